import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cacheRoot } from './cache-root.js';

// Loaded when first needed, and never by a bundle: a worker's bundle that holds this module (through
// a barrel) does not start esbuild, and a data: URL could not import it by name.
const require = createRequire(import.meta.url);

/** Bundles already made or read in this process, by the source's URL. */
const bundles = new Map<string, URL>();

/**
 * What `new Worker(url, …)` starts to run module `name` (without extension),
 * a module in the same directory as `callerUrl` (the caller's
 * import.meta.url). A compiled build starts `name`.js directly.
 *
 * From the TypeScript sources (tsx, vitest), the module and everything it
 * imports are bundled by esbuild into one ES module, and the worker starts
 * it as a data: URL. Starting the .ts module through tsx's loader instead
 * cost every worker 0.6 to 1.9 s (the loader and its hooks thread are set
 * up again in each worker): the unit tests start dozens of workers. The
 * bundle is kept in the cache directory (`workers/`) with the size and
 * mtime of every file that went into it, and made again when one changed:
 * esbuild takes tens of ms here, but seconds in a TCG guest, on the thread
 * that answers the kernel.
 */
export function workerUrl(callerUrl: string, name: string): URL {
  if (!callerUrl.endsWith('.ts')) return new URL(`./${name}.js`, callerUrl);
  const source = new URL(`./${name}.ts`, callerUrl);
  let url = bundles.get(source.href);
  if (url === undefined) {
    url = new URL(`data:text/javascript;base64,${workerBundle(fileURLToPath(source)).toString('base64')}`);
    bundles.set(source.href, url);
  }
  return url;
}

/** A kept bundle: the files that went into it, each with its size and mtime then. */
interface Manifest {
  esbuild: string;
  node: string;
  inputs: [file: string, size: number, mtimeMs: number][];
}

/** The ES module bundle of `file` (a .ts module), kept under cacheRoot()/workers. */
export function workerBundle(file: string): Buffer {
  const { buildSync, version } = require('esbuild') as typeof import('esbuild');
  const key = createHash('sha256').update(`${file}\0${version}\0${process.versions.node}`).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot(), 'workers');
  const [manifestFile, bundleFile] = [path.join(dir, `${key}.json`), path.join(dir, `${key}.mjs`)];
  const kept = readKept(manifestFile, bundleFile);
  if (kept !== undefined) return kept;

  const result = buildSync({
    entryPoints: [file],
    absWorkingDir: path.dirname(file),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: ['esbuild'],
    // A data: URL has no place in the file system; a module that finds files from its own URL
    // (src/kernel/addon.ts looks for the package root above it) gets the entry's, in the same tree.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(file).href) },
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild made no bundle of ${file}`);
  const contents = Buffer.from(output.contents);
  const inputs = Object.keys(result.metafile.inputs).map((input): Manifest['inputs'][number] => {
    const absolute = path.resolve(path.dirname(file), input);
    const { size, mtimeMs } = statSync(absolute);
    return [absolute, size, mtimeMs];
  });
  keep(dir, manifestFile, bundleFile, contents, { esbuild: version, node: process.versions.node, inputs });
  return contents;
}

/** The kept bundle, if every file that went into it is as it was. */
function readKept(manifestFile: string, bundleFile: string): Buffer | undefined {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    for (const [file, size, mtimeMs] of manifest.inputs) {
      const now = statSync(file, { throwIfNoEntry: false });
      if (now === undefined || now.size !== size || now.mtimeMs !== mtimeMs) return undefined;
    }
    return readFileSync(bundleFile);
  } catch {
    return undefined; // none kept, or unreadable: made again
  }
}

/** Keeps a bundle (bundle first, then its manifest, each by rename); a cache that cannot be written is no error. */
function keep(dir: string, manifestFile: string, bundleFile: string, contents: Buffer, manifest: Manifest): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(bundleFile + tmp, contents);
    renameSync(bundleFile + tmp, bundleFile);
    writeFileSync(manifestFile + tmp, JSON.stringify(manifest));
    renameSync(manifestFile + tmp, manifestFile);
  } catch {
    // A read-only home, a full disk: the next process bundles again.
  }
}
