/**
 * The Vagrantfile is valid Ruby and valid Vagrant configuration for the
 * libvirt provider (`vagrant validate`), and rejects bad settings with a
 * message naming the variable. Needs vagrant and vagrant-libvirt installed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/harness/paths.js';
import { boxKey, boxMetadata, boxVagrantfile, localBoxName } from '../../../vagrant/box.js';

const installHint = 'install them with: apt-get install --no-install-recommends vagrant vagrant-libvirt (Debian 12: vagrant 2.3.4, vagrant-libvirt 0.11.2)';

describe('Vagrantfile', () => {
  let dotDir: string;

  beforeAll(async () => {
    dotDir = await mkdtemp(path.join(tmpdir(), 'balloon-vagrant-validate-'));
  });
  afterAll(async () => {
    await rm(dotDir, { recursive: true, force: true });
  });

  const validate = async (env: Record<string, string> = {}) => {
    const r = await execa('vagrant', ['validate'], {
      cwd: projectRoot,
      reject: false,
      all: true,
      timeout: 120_000,
      env: {
        // Machine state outside the checkout; no network look-ups.
        VAGRANT_DOTFILE_PATH: dotDir,
        VAGRANT_CHECKPOINT_DISABLE: '1',
        VAGRANT_BOX_UPDATE_CHECK_DISABLE: '1',
        VAGRANT_DEFAULT_PROVIDER: 'libvirt',
        ...env,
      },
    });
    if (r.failed && r.exitCode === undefined) throw new Error(`vagrant cannot be run (${r.shortMessage}): ${installHint}`);
    return r;
  };

  it('vagrant and vagrant-libvirt are installed', async () => {
    const version = await execa('vagrant', ['--version'], { reject: false });
    expect(version.exitCode === 0, `vagrant is not installed: ${installHint}`).toBe(true);
    const plugins = await execa('vagrant', ['plugin', 'list'], { reject: false, env: { VAGRANT_CHECKPOINT_DISABLE: '1' } });
    expect(String(plugins.stdout), `the vagrant-libvirt plugin is not installed: ${installHint}`).toContain('vagrant-libvirt');
  }, 120_000);

  it('passes `vagrant validate` with the defaults and with every setting given', async () => {
    const plain = await validate();
    expect(plain.exitCode, String(plain.all)).toBe(0);
    const all = await validate({
      BALLOON_VAGRANT_MEMORY: '3G',
      BALLOON_VAGRANT_CPUS: '1',
      BALLOON_VAGRANT_SWAP: '2048M',
      BALLOON_VAGRANT_DRIVER: 'kvm',
      BALLOON_VAGRANT_BOX: 'debian/bookworm64',
      BALLOON_VAGRANT_KERNEL: '/nonexistent/bzImage',
      BALLOON_VAGRANT_SSH_PORT: '2299',
      BALLOON_VAGRANT_KERNEL_DEB: '/nonexistent/linux-image-5.10.223-balloon_5.10.223-balloon-1_amd64.deb',
    });
    expect(all.exitCode, String(all.all)).toBe(0);
  }, 240_000);

  it('rejects a bad accelerator, size, port or CPU count, naming the variable', async () => {
    const driver = await validate({ BALLOON_VAGRANT_DRIVER: 'xen' });
    expect(driver.exitCode).not.toBe(0);
    expect(String(driver.all)).toContain('BALLOON_VAGRANT_DRIVER="xen": expected qemu (software emulation) or kvm');
    const memory = await validate({ BALLOON_VAGRANT_MEMORY: 'lots' });
    expect(memory.exitCode).not.toBe(0);
    expect(String(memory.all)).toContain('BALLOON_VAGRANT_MEMORY="lots"');
    const port = await validate({ BALLOON_VAGRANT_SSH_PORT: '22' });
    expect(port.exitCode).not.toBe(0);
    expect(String(port.all)).toContain('BALLOON_VAGRANT_SSH_PORT="22": expected a port above 1024');
    const cpus = await validate({ BALLOON_VAGRANT_CPUS: '0' });
    expect(cpus.exitCode).not.toBe(0);
    expect(String(cpus.all)).toContain('BALLOON_VAGRANT_CPUS="0": expected a positive integer');
  }, 240_000);

  it('the provisioning scripts are valid sh', async () => {
    for (const script of ['provision.sh', 'install-kernel.sh']) {
      const r = await execa('sh', ['-n', path.join(projectRoot, 'vagrant', script)], { reject: false, all: true });
      expect(r.exitCode, `${script}: ${String(r.all)}`).toBe(0);
    }
  });
});

describe('the local box', () => {
  it('declares a libvirt qcow2 disk with its virtual size in whole GiB, rounded up', () => {
    expect(boxMetadata(4 * 2 ** 30)).toEqual({ provider: 'libvirt', format: 'qcow2', virtual_size: 4 });
    expect(boxMetadata(4 * 2 ** 30 + 1).virtual_size).toBe(5);
    expect(boxMetadata(1).virtual_size).toBe(1);
  });

  it('is keyed by the image it is made from', () => {
    expect(boxKey('a'.repeat(64))).toBe(boxKey('a'.repeat(64)));
    expect(boxKey('a'.repeat(64))).not.toBe(boxKey('b'.repeat(64)));
  });

  it('logs in as root without sudo, and the project Vagrantfile defaults to it', async () => {
    expect(boxVagrantfile).toContain("config.ssh.username = 'root'");
    expect(boxVagrantfile).toContain("config.ssh.sudo_command = '%c'");
    expect(await readFile(path.join(projectRoot, 'Vagrantfile'), 'utf8')).toContain(`LOCAL_BOX = '${localBoxName}'`);
  });
});
