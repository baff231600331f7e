import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { machineDebianMirror } from './apt.js';
import { KeyedCache } from './cache.js';
import { HarnessError } from './errors.js';
import { requireTools, run } from './exec.js';
import { guestFiles } from './guest-files.js';
import { keyOf, sha256File } from './hash.js';
import { Progress, step } from './log.js';
import { cacheRoot } from './paths.js';
import { writeJsonFile } from './vm-state.js';

/** Bump when the image recipe changes in a way that changes the product. */
const recipeVersion = '1';

export const guestSuite = 'bookworm';

/** Debian packages of the guest beyond debootstrap's minbase. */
export const guestPackages = ['openssh-server', 'procps', 'util-linux', 'iproute2', 'kmod', 'tini', 'busybox', 'e2fsprogs'];

/** The size of the (sparse) root file system image. */
export const imageSizeMiB = 4096;

export interface ImageArtefact {
  key: string;
  image: string;
  nodeVersion: string;
  suite: string;
  /** The guest's ssh host key, for a known_hosts line (no blind trust). */
  hostKey: string;
  /** Hash of the files the harness writes into the guest. */
  guestFilesHash: string;
  builtAt: string;
}

interface RootfsArtefact {
  key: string;
  suite: string;
  packages: string[];
}

export function guestFilesHash(): string {
  return keyOf(Object.fromEntries(Object.entries(guestFiles).map(([p, f]) => [p, `${f.mode}:${f.content}`])));
}

/** Builds (or finds in the cache) the guest image: Debian rootfs + host Node.js + our init, as ext4. */
export async function buildImage(): Promise<{ artefact: ImageArtefact; hit: boolean; seconds: number }> {
  const started = Date.now();
  await requireTools('vm:image', [
    { command: 'debootstrap', debianPackage: 'debootstrap' },
    { command: 'mke2fs', debianPackage: 'e2fsprogs' },
    { command: 'ssh-keygen', debianPackage: 'openssh-client' },
    { file: '/usr/share/keyrings/debian-archive-keyring.gpg', debianPackage: 'debian-archive-keyring' },
  ]);
  if (process.getuid?.() !== 0) {
    throw new HarnessError('vm:image: debootstrap must run as root.', 'Run `sudo npm run vm:image` (later steps do not need root).');
  }
  const cache = cacheRoot();
  const nodeBinary = process.execPath;
  const nodeHash = await sha256File(nodeBinary);
  const rootfsKey = keyOf({ recipeVersion, suite: guestSuite, packages: guestPackages.join(',') });
  const imageKey = keyOf({ recipeVersion, rootfsKey, guestFiles: guestFilesHash(), node: nodeHash, size: String(imageSizeMiB) });

  const images = new KeyedCache<ImageArtefact>(path.join(cache, 'images'));
  const result = await images.getOrBuild(imageKey, async (tmp) => {
    const rootfs = await buildRootfs(cache, rootfsKey);
    const root = path.join(tmp, 'root');
    step('vm:image', 'assembling the root file system');
    // cp -a, not fs.cp: the tree holds device nodes, which fs.cp cannot copy.
    await run('cp', ['-a', rootfs, root]);
    for (const [rel, file] of Object.entries(guestFiles)) {
      const dest = path.join(root, rel);
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, file.content);
      await chmod(dest, file.mode);
    }
    await copyFile(nodeBinary, path.join(root, 'usr/local/bin/node'));
    await chmod(path.join(root, 'usr/local/bin/node'), 0o755);
    // The guest must run Node.js as it is: fail here, not in the VM.
    await run('chroot', [root, '/usr/local/bin/node', '-e', 'process.exit(0)'], {
      hint: "The host's Node.js binary does not run in the Debian guest (missing shared libraries?).",
    });
    const nodeVersion = await run('chroot', [root, '/usr/local/bin/node', '--version']);
    const hostKey = (await readFile(path.join(root, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const image = path.join(tmp, 'rootfs.ext4');
    step('vm:image', `writing a ${imageSizeMiB} MiB ext4 image (sparse, no loop mount)`);
    await run('mke2fs', ['-q', '-t', 'ext4', '-L', 'balloon-root', '-d', root, '-F', image, `${imageSizeMiB}M`]);
    await rm(root, { recursive: true, force: true });
    return {
      key: imageKey,
      image: path.join(images.entryDir(imageKey), 'rootfs.ext4'),
      nodeVersion,
      suite: guestSuite,
      hostKey,
      guestFilesHash: guestFilesHash(),
      builtAt: new Date().toISOString(),
    };
  });
  return { artefact: result.meta, hit: result.hit, seconds: (Date.now() - started) / 1000 };
}

/**
 * debootstrap: Debian bookworm (guestSuite), minbase plus `packages` (their Depends, not their Recommends),
 * from the machine's configured Debian mirror, into `target`; apt's download cache emptied.
 */
export async function debootstrap(scope: string, target: string, packages: readonly string[]): Promise<void> {
  const mirror = await machineDebianMirror();
  const progress = new Progress(scope);
  step(scope, `debootstrap ${guestSuite} (minbase + ${packages.join(', ')}) from the machine's Debian mirror`);
  const { execa } = await import('execa');
  const child = execa('debootstrap', ['--variant=minbase', `--include=${packages.join(',')}`, '--components=main', guestSuite, target, mirror], {
    all: true,
    reject: false,
    buffer: { all: true },
  });
  child.all?.on('data', (chunk: Buffer) => {
    const line = chunk.toString().trim().split('\n').pop() ?? '';
    progress.update(`debootstrap: ${line.slice(0, 70)}`);
  });
  const done = await child;
  if (done.exitCode !== 0) {
    const log = await readFile(path.join(target, 'debootstrap/debootstrap.log'), 'utf8').catch(() => '');
    throw new HarnessError(
      `${scope}: debootstrap failed (exit ${done.exitCode}).`,
      'Check that the machine reaches its Debian mirror.',
      `${String(done.all ?? '').split('\n').slice(-15).join('\n')}\n${log.split('\n').slice(-15).join('\n')}`,
    );
  }
  progress.done('debootstrap finished');
  await rm(path.join(target, 'var/cache/apt/archives'), { recursive: true, force: true });
  await mkdir(path.join(target, 'var/cache/apt/archives/partial'), { recursive: true });
}

/** debootstrap minbase + our packages, from the machine's configured Debian mirror. Cached. */
async function buildRootfs(cache: string, key: string): Promise<string> {
  const rootfsCache = new KeyedCache<RootfsArtefact>(path.join(cache, 'rootfs'));
  const { meta } = await rootfsCache.getOrBuild(key, async (tmp) => {
    const target = path.join(tmp, 'root');
    await debootstrap('vm:image', target, guestPackages);
    return { key, suite: guestSuite, packages: guestPackages };
  });
  return path.join(rootfsCache.entryDir(meta.key), 'root');
}

/** Where this checkout records the last image it built (vm:up boots that one). */
export async function recordImage(stateFile: string, artefact: ImageArtefact): Promise<void> {
  await writeJsonFile(stateFile, artefact);
}
