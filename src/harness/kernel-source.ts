import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, access } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { machineDebianMirror, PrivateApt } from './apt.js';
import { HarnessError } from './errors.js';
import { run } from './exec.js';
import { keyOf, sha256File } from './hash.js';
import { notice, step } from './log.js';

/** Checksums of upstream tarballs we know (from a public Nix expression for linux 5.11.5). */
export const knownKernelOrgTarballs: Readonly<Record<string, string>> = {
  '5.11.5': '2208e4617b63a889373fb3f85ef56a73aeba83c117516bfcc92ef44b08bd3d6b',
};

export const defaultSourceSpec = 'kernel.org:5.11.5';

export type SourceSpec =
  | { kind: 'kernel.org'; version: string; sha256: string }
  | { kind: 'debian'; series: '5.10' }
  | { kind: 'tarball'; path: string }
  | { kind: 'directory'; path: string };

const validForms =
  '`kernel.org:5.11.5` (download and verify), `debian:5.10` (Debian bullseye linux-source-5.10), or a path to a kernel tarball (.tar.xz, .tar.gz, .tar) or an unpacked tree';

/** Parses a source spec; a path must exist to be told apart from a typo. */
export async function parseSourceSpec(spec: string, cwd = process.cwd()): Promise<SourceSpec> {
  const trimmed = spec.trim();
  const kernelOrg = /^kernel\.org:(.+)$/.exec(trimmed);
  if (kernelOrg) {
    const version = kernelOrg[1]!;
    const sha256 = knownKernelOrgTarballs[version];
    if (!sha256) {
      throw new HarnessError(
        `Unknown kernel source "${spec}": no published checksum is known for kernel.org version ${version}.`,
        `Use kernel.org:${Object.keys(knownKernelOrgTarballs).join(', kernel.org:')}, or download the tarball yourself and pass its path.`,
      );
    }
    return { kind: 'kernel.org', version, sha256 };
  }
  const debian = /^debian:(.+)$/.exec(trimmed);
  if (debian) {
    if (debian[1] !== '5.10') {
      throw new HarnessError(`Unknown kernel source "${spec}": only debian:5.10 is supported.`, `Valid sources: ${validForms}.`);
    }
    return { kind: 'debian', series: '5.10' };
  }
  if (trimmed.includes('/') || trimmed.startsWith('.') || /\.tar(\.(xz|gz|bz2|zst))?$/.test(trimmed)) {
    const full = path.resolve(cwd, trimmed);
    const info = await stat(full).catch(() => undefined);
    if (!info) throw new HarnessError(`Kernel source path ${full} does not exist.`, `Valid sources: ${validForms}.`);
    if (info.isDirectory()) {
      const hasMakefile = await access(path.join(full, 'Makefile')).then(() => true, () => false);
      if (!hasMakefile) throw new HarnessError(`${full} is not a kernel tree (no Makefile).`, 'Pass the top directory of an unpacked kernel source.');
      return { kind: 'directory', path: full };
    }
    if (/\.tar(\.(xz|gz|bz2|zst))?$/.test(full)) return { kind: 'tarball', path: full };
    throw new HarnessError(`${full} is neither a directory nor a .tar, .tar.xz, .tar.gz, .tar.bz2 or .tar.zst file.`, `Valid sources: ${validForms}.`);
  }
  throw new HarnessError(`Unknown kernel source "${spec}".`, `Valid sources: ${validForms}.`);
}

/** A source ready to unpack: a tarball or a tree, and an identity for cache keys. */
export interface ResolvedSource {
  /** Identity of the exact source content (goes into cache keys). */
  id: string;
  /** What to tell the user. */
  description: string;
  tarball?: string;
  directory?: string;
}

export interface ResolveOptions {
  cacheDir: string;
  /** True when the user did not choose the source: kernel.org may then fall back to debian:5.10. */
  isDefault: boolean;
  /** Seconds to wait for kernel.org before falling back. */
  connectTimeoutSeconds?: number;
}

export async function resolveSource(spec: SourceSpec, options: ResolveOptions): Promise<ResolvedSource> {
  switch (spec.kind) {
    case 'kernel.org':
      return resolveKernelOrg(spec, options);
    case 'debian':
      return resolveDebian(options.cacheDir);
    case 'tarball':
      return { id: `tarball:sha256=${await sha256File(spec.path)}`, description: spec.path, tarball: spec.path };
    case 'directory':
      return { id: `directory:${await directoryIdentity(spec.path)}`, description: spec.path, directory: spec.path };
  }
}

async function resolveKernelOrg(spec: Extract<SourceSpec, { kind: 'kernel.org' }>, options: ResolveOptions): Promise<ResolvedSource> {
  const dir = path.join(options.cacheDir, 'sources', 'kernel.org');
  const file = path.join(dir, `linux-${spec.version}.tar.xz`);
  const id = `kernel.org:${spec.version}:sha256=${spec.sha256}`;
  const have = await access(file).then(() => true, () => false);
  if (have && (await sha256File(file)) === spec.sha256) {
    return { id, description: `kernel.org linux-${spec.version} (cached)`, tarball: file };
  }
  const major = spec.version.split('.')[0];
  const url = `https://cdn.kernel.org/pub/linux/kernel/v${major}.x/linux-${spec.version}.tar.xz`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout((options.connectTimeoutSeconds ?? 15) * 1000) });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
  } catch (err) {
    const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    if (options.isDefault) {
      notice('kernel', `kernel.org cannot be reached (${why}); falling back to Debian's linux-source-5.10 (debian:5.10). ` +
        'Set BALLOON_KERNEL_SOURCE=debian:5.10 to skip this attempt, or pass a 5.11.5 tarball by path.');
      return resolveDebian(options.cacheDir);
    }
    throw new HarnessError(`Cannot download ${url}: ${why}.`, 'Check the network, or download the tarball yourself and pass its path.');
  }
  step('kernel', `downloading ${url}`);
  await mkdir(dir, { recursive: true });
  const partial = `${file}.part-${process.pid}`;
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(partial));
    await verifyChecksum(partial, spec.sha256, `linux-${spec.version}.tar.xz`);
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return { id, description: `kernel.org linux-${spec.version}`, tarball: file };
}

/** Refuses a file whose SHA-256 is not the published one (the caller deletes it). */
export async function verifyChecksum(file: string, expected: string, label: string): Promise<void> {
  const actual = await sha256File(file);
  if (actual !== expected) {
    throw new HarnessError(
      `Checksum mismatch for ${label}: got sha256 ${actual}, expected ${expected}.`,
      'The download is corrupt or not the published release, and was deleted. Retry, or pass a verified tarball by path.',
    );
  }
}

/** Debian bullseye's linux-source-5.10, fetched with a private apt configuration. */
async function resolveDebian(cacheDir: string): Promise<ResolvedSource> {
  const dir = path.join(cacheDir, 'sources', 'debian');
  const apt = new PrivateApt(path.join(cacheDir, 'apt-bullseye'), await machineDebianMirror(), 'bullseye');
  let version: string | undefined;
  try {
    await apt.update();
    version = await apt.candidate('linux-source-5.10');
  } catch (err) {
    const cached = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.tar.xz')).sort().pop();
    if (!cached) throw err;
    notice('kernel', `the Debian mirror cannot be reached; using the cached ${cached}`);
    const tarball = path.join(dir, cached);
    return { id: `debian:${cached}:sha256=${await sha256File(tarball)}`, description: `Debian ${cached} (cached)`, tarball };
  }
  if (!version) {
    throw new HarnessError('The bullseye suite of the Debian mirror has no linux-source-5.10 package.', 'Pass a kernel source by path instead.');
  }
  const tarball = path.join(dir, `linux-source-5.10_${version}.tar.xz`);
  if (!(await access(tarball).then(() => true, () => false))) {
    step('kernel', `fetching Debian linux-source-5.10 ${version}`);
    const tmp = path.join(dir, `.download-${process.pid}`);
    try {
      const deb = await apt.download('linux-source-5.10', version, tmp);
      await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./usr/src/linux-source-5.10.tar.xz', 'sh', deb, tmp]);
      await rename(path.join(tmp, 'usr', 'src', 'linux-source-5.10.tar.xz'), tarball);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return {
    id: `debian:linux-source-5.10=${version}:sha256=${await sha256File(tarball)}`,
    description: `Debian linux-source-5.10 ${version}`,
    tarball,
  };
}

/** Identity of an unpacked tree: every file's path, size and modification time (an edit changes it). */
async function directoryIdentity(dir: string): Promise<string> {
  const listing = await run(
    'sh',
    ['-c', 'cd "$1" && find . -path ./.git -prune -o -type f -printf "%P %s %T@\\n" | LC_ALL=C sort', 'sh', dir],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  return `${dir}:files=${keyOf({ listing })}`;
}
