/**
 * The local Vagrant box for the libvirt provider, made from the harness's own
 * guest image (`npm run vm:image`): box.img (qcow2) + metadata.json + a small
 * Vagrantfile, in an uncompressed tar (`.box`), cached by its inputs; then
 * `vagrant box add --force` under a fixed name. Also packs the checkout for the
 * Vagrantfile's provisioning (the guest downloads nothing).
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeyedCache } from '../src/harness/cache.js';
import { HarnessError } from '../src/harness/errors.js';
import { guestPayload } from '../src/harness/guest-payload.js';
import { requireTools, run } from '../src/harness/exec.js';
import { keyOf } from '../src/harness/hash.js';
import { step } from '../src/harness/log.js';
import { cacheRoot, projectRoot } from '../src/harness/paths.js';
import type { ImageArtefact } from '../src/harness/vm-image.js';
import { imageStateFile, readRecord, recordsDir, writeJsonFile } from '../src/harness/vm-state.js';

/** The name the box is added under; the Vagrantfile's default box. */
export const localBoxName = 'app-balloon/local';

/** Bump when the box recipe changes. */
const boxRecipeVersion = '1';

/** The Vagrantfile inside the box: defaults for any Vagrantfile that uses the box. */
export const boxVagrantfile = `# app-balloon/local: the app-balloon guest image (no bootloader, no sudo; root logs in by key).
# Boot it with the patched kernel through the libvirt provider's kernel and cmd_line options:
# see the Vagrantfile of the app-balloon checkout.
Vagrant.configure('2') do |config|
  config.ssh.username = 'root'
  config.ssh.insert_key = false
  config.ssh.sudo_command = '%c'
  config.vm.synced_folder '.', '/vagrant', disabled: true
  config.vm.provider :libvirt do |lv|
    lv.disk_bus = 'virtio'
    lv.graphics_type = 'none'
    lv.video_type = 'none'
  end
end
`;

export interface BoxMetadata {
  provider: 'libvirt';
  format: 'qcow2';
  /** GB (vagrant-libvirt reads it as GiB-sized units), rounded up. */
  virtual_size: number;
}

export function boxMetadata(virtualBytes: number): BoxMetadata {
  return { provider: 'libvirt', format: 'qcow2', virtual_size: Math.max(1, Math.ceil(virtualBytes / 2 ** 30)) };
}

/** The box's cache key: the image (itself keyed by all its inputs) and this recipe. */
export function boxKey(imageKey: string): string {
  return keyOf({ recipe: boxRecipeVersion, image: imageKey, format: 'qcow2', vagrantfile: boxVagrantfile });
}

export interface BoxArtefact {
  key: string;
  imageKey: string;
  box: string;
  virtualSize: number;
  builtAt: string;
}

/**
 * Packs `dir`/box.img (qcow2) with its metadata.json and the box's own
 * Vagrantfile into `dir`/`boxFile`, an uncompressed tar, and removes box.img.
 */
export async function packBox(dir: string, boxFile: string, vagrantfile: string, virtualBytes: number): Promise<BoxMetadata> {
  const metadata = boxMetadata(virtualBytes);
  await writeFile(path.join(dir, 'metadata.json'), `${JSON.stringify(metadata)}\n`);
  await writeFile(path.join(dir, 'Vagrantfile'), vagrantfile);
  step('vagrant:box', `packing ${boxFile} (tar of metadata.json, Vagrantfile, box.img)`);
  await run('tar', ['-cf', path.join(dir, boxFile), '-C', dir, 'metadata.json', 'Vagrantfile', 'box.img']);
  await rm(path.join(dir, 'box.img'));
  return metadata;
}

/** Builds (or finds in the cache) the .box file for the checkout's image. */
export async function buildBox(): Promise<{ artefact: BoxArtefact; hit: boolean; seconds: number }> {
  const started = Date.now();
  await requireTools('vagrant:box', [
    { command: 'qemu-img', debianPackage: 'qemu-utils' },
    { command: 'tar', debianPackage: 'tar' },
  ]);
  const image = await readRecord<ImageArtefact>(imageStateFile(), 'VM image', 'npm run vm:image');
  await stat(image.image).catch(() => {
    throw new HarnessError(`vagrant:box: the image ${image.image} is gone from the cache.`, 'Run `npm run vm:image` again.');
  });
  const key = boxKey(image.key);
  const boxes = new KeyedCache<BoxArtefact>(path.join(cacheRoot(), 'vagrant-boxes'));
  const { meta, hit } = await boxes.getOrBuild(key, async (tmp) => {
    step('vagrant:box', `converting the image to qcow2 (${path.basename(image.image)}, key ${image.key.slice(0, 12)})`);
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', image.image, path.join(tmp, 'box.img')]);
    const info = JSON.parse(await run('qemu-img', ['info', '--output=json', path.join(tmp, 'box.img')])) as { 'virtual-size': number };
    const metadata = await packBox(tmp, 'app-balloon.box', boxVagrantfile, info['virtual-size']);
    return {
      key,
      imageKey: image.key,
      box: path.join(boxes.entryDir(key), 'app-balloon.box'),
      virtualSize: metadata.virtual_size,
      builtAt: new Date().toISOString(),
    };
  });
  return { artefact: meta, hit, seconds: (Date.now() - started) / 1000 };
}

/** Where the checkout records which box key it added under a name. */
export const boxRecordFile = (name = localBoxName): string =>
  path.join(recordsDir, 'vagrant', name === localBoxName ? 'box.json' : `box-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);

/** `vagrant box add --force` unless this very box (by key) is already there. */
export async function addBox(artefact: BoxArtefact, force = false, name = localBoxName): Promise<{ added: boolean }> {
  await requireTools('vagrant:box', [{ command: 'vagrant', debianPackage: 'vagrant' }]);
  const env = { VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_BOX_UPDATE_CHECK_DISABLE: '1' };
  const listed = await run('vagrant', ['box', 'list', '--machine-readable'], { env, cwd: tmpdir() }).catch(() => '');
  const present = listed.split('\n').some((line) => line.split(',')[3] === name);
  const recorded = await readFile(boxRecordFile(name), 'utf8').then((t) => (JSON.parse(t) as { key?: string }).key, () => undefined);
  if (!force && present && recorded === artefact.key) return { added: false };
  step('vagrant:box', `vagrant box add --force --name ${name}`);
  await run('vagrant', ['box', 'add', '--force', '--provider', 'libvirt', '--name', name, artefact.box], { env, cwd: tmpdir() });
  await writeJsonFile(boxRecordFile(name), { name, key: artefact.key, box: artefact.box });
  return { added: true };
}

/** The archive of the checkout that the Vagrantfile's provisioning unpacks in /opt/app-balloon. */
export const projectArchiveFile = (): string => path.join(recordsDir, 'vagrant', 'app-balloon.tar.gz');

/**
 * Packs what `node bin/balloon.js` needs in the guest (src/harness/guest-payload.ts:
 * the command, the sources, the built addon and the runtime npm packages) and
 * this host's Node.js binary (.vagrant-node/node). The host's Node.js and
 * addon run unchanged in a Debian 12 guest.
 */
export async function packProject(): Promise<{ archive: string; bytes: number }> {
  await requireTools('vagrant:box', [{ command: 'git', debianPackage: 'git' }]);
  const present = guestPayload(projectRoot);
  const archive = projectArchiveFile();
  await mkdir(path.dirname(archive), { recursive: true });
  const revision = await run('git', ['describe', '--always', '--dirty'], { cwd: projectRoot }).catch(() => 'unknown');
  const stampDir = path.join(path.dirname(archive), 'stamp');
  await mkdir(stampDir, { recursive: true });
  await writeFile(path.join(stampDir, '.vagrant-packed'), `${revision} packed ${new Date().toISOString()}\n`);
  const list = path.join(path.dirname(archive), 'files.txt');
  await writeFile(list, `${present.join('\n')}\n`);
  const tmp = `${archive}.tmp`;
  // This host's Node.js, for boxes without Node.js 20 (provisioning installs it; the guest downloads
  // nothing), renamed on its way into the archive rather than copied first. Only a member named
  // exactly like the binary is renamed.
  const nodeName = path.basename(process.execPath);
  if (present.includes(nodeName)) throw new HarnessError(`vagrant:box: the checkout has a file named ${nodeName}, which would be taken for the Node.js binary.`, 'Rename it.');
  const rename = `--transform=s,^${nodeName.replace(/[^A-Za-z0-9_-]/g, '\\$&')}$,.vagrant-node/node,`;
  await run('tar', [
    '-czf', tmp, rename,
    '-C', projectRoot, '-T', list,
    '-C', stampDir, '.vagrant-packed',
    '-C', path.dirname(process.execPath), nodeName,
  ]);
  await run('mv', [tmp, archive]);
  await rm(list, { force: true });
  return { archive, bytes: (await stat(archive)).size };
}
