import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Loaded when first needed, and never by a bundle: a worker's bundle that holds this module (through
// a barrel) does not start esbuild, and a data: URL could not import it by name.
const require = createRequire(import.meta.url);

/** Bundles already made in this process, by the source's URL. */
const bundles = new Map<string, URL>();

/**
 * What `new Worker(url, …)` starts to run module `name` (without extension),
 * a module in the same directory as `callerUrl` (the caller's
 * import.meta.url). A compiled build starts `name`.js directly.
 *
 * From the TypeScript sources (tsx, vitest), the module and everything it
 * imports are bundled by esbuild into one ES module, once per process (tens
 * of ms), and the worker starts it as a data: URL. Starting the .ts module
 * through tsx's loader instead cost every worker 0.6 to 1.9 s (the loader
 * and its hooks thread are set up again in each worker): the unit tests start
 * dozens of workers, and the agent in a TCG guest waited that long for its
 * profiler.
 */
export function workerUrl(callerUrl: string, name: string): URL {
  if (!callerUrl.endsWith('.ts')) return new URL(`./${name}.js`, callerUrl);
  const source = new URL(`./${name}.ts`, callerUrl);
  let url = bundles.get(source.href);
  if (url === undefined) {
    url = bundle(source);
    bundles.set(source.href, url);
  }
  return url;
}

function bundle(source: URL): URL {
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const result = buildSync({
    entryPoints: [fileURLToPath(source)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    write: false,
    logLevel: 'silent',
    external: ['esbuild'],
    // A data: URL has no place in the file system; a module that finds files from its own URL
    // (src/kernel/addon.ts looks for the package root above it) gets the entry's, in the same tree.
    define: { 'import.meta.url': JSON.stringify(source.href) },
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild made no bundle of ${source.href}`);
  return new URL(`data:text/javascript;base64,${Buffer.from(output.contents).toString('base64')}`);
}
