/**
 * The Vagrantfile's path for a box that boots through its own bootloader, on
 * a stand-in for a public Debian 12 box built here (Debian's kernel, GRUB,
 * systemd, user vagrant with Vagrant's insecure key, no Node.js): `vagrant up`
 * uploads the kernel package of `kernel:build --deb`, installs it, makes it
 * GRUB's default over Debian's newer kernel, reboots into it, installs Node.js
 * and the checkout; `vagrant provision` again is safe; destroy leaves nothing.
 * All of it inside a network namespace this test creates, under software
 * emulation. Runs after vagrant.test.ts (one file at a time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernel, recordKernelDebs, type KernelDebs } from '../../src/harness/kernel-build.js';
import { step } from '../../src/harness/log.js';
import { kernelDebsStateFile } from '../../src/harness/vm-state.js';
import { grubBoxName } from '../../vagrant/grub-box.js';
import { destroyAndExpectNothingLeft, requireVagrantHost, startVagrantEnv, tearDownQuietly, vagrantBox, vagrantOf, withoutProgress, type VagrantEnv } from './vagrant-env.js';

describe(`vagrant up with ${grubBoxName} (GRUB, the kernel installed as a Debian package)`, () => {
  let env: VagrantEnv | undefined;
  let debs: KernelDebs;
  let up = false;
  const { vagrant, guest } = vagrantOf(() => env);

  beforeAll(async () => {
    await requireVagrantHost();
    // The kernel's packages (cached by the kernel's key), recorded where the Vagrantfile reads them.
    const built = await buildKernel({ ...(process.env.BALLOON_KERNEL_SOURCE ? { source: process.env.BALLOON_KERNEL_SOURCE } : {}), debs: true });
    if (!built.debs) throw new Error('buildKernel returned no packages');
    debs = built.debs.meta;
    await recordKernelDebs(kernelDebsStateFile(), debs);
    step('vagrant', `kernel package ${debs.image} (${built.debs.hit ? 'cache hit' : 'built'})`);
    await vagrantBox(['--grub']);
    env = await startVagrantEnv('grub', { BALLOON_VAGRANT_BOX: grubBoxName, BALLOON_VAGRANT_MEMORY: '1G' });
  });

  afterAll(() => tearDownQuietly(env, up));

  it('vagrant up installs the kernel package, reboots into it and provisions', async () => {
    const started = Date.now();
    const r = await vagrant(['up', '--provider=libvirt', '--no-color']);
    up = true;
    step('vagrant', `vagrant up took ${((Date.now() - started) / 1000).toFixed(1)} s (Debian's kernel, the package, a reboot, provisioning)`);
    const output = withoutProgress(r.all);
    expect(r.exitCode, output.slice(-5000)).toBe(0);
    expect(output).toContain(`app-balloon kernel: installing linux-image-${debs.release} ${debs.packageVersion}`);
    expect(output).toMatch(/app-balloon kernel: running \S+; the reboot that follows starts/);
    expect(output).toContain(`app-balloon provision: kernel ${debs.release}`);
    expect(output).toMatch(/installed Node\.js v\d+\.\d+\.\d+ in \/usr\/local\/bin/);
    expect(output).toContain('balloon CLI runs');
  });

  it('runs the patched kernel from the package, booted by GRUB, with the balloon interface', async () => {
    expect(await guest('uname -r')).toBe(debs.release);
    expect(await guest('cat /proc/cmdline')).toMatch(/BOOT_IMAGE=\/boot\/vmlinuz-\S+-balloon root=UUID=/);
    expect(await guest(`dpkg-query -W -f='\${Status} \${Version}' linux-image-${debs.release}`)).toBe(`install ok installed ${debs.packageVersion}`);
    // Debian's own kernel is still there, and newer: GRUB boots ours because of our default.
    expect(await guest('ls /boot')).toMatch(/vmlinuz-6\./);
    expect(await guest('ls /sys/kernel/mm/balloon')).toContain('threshold_bytes');
    expect(await guest('whoami')).toBe('vagrant');
    expect(await guest('cd /opt/app-balloon && sudo node bin/balloon.js --help')).toContain('Usage: balloon');
  });

  it('vagrant provision again keeps the package, reboots and still runs the patched kernel', async () => {
    const r = await vagrant(['provision', '--no-color'], 15 * 60_000);
    const output = withoutProgress(r.all);
    expect(r.exitCode, output.slice(-3000)).toBe(0);
    expect(output).toContain(`app-balloon kernel: linux-image-${debs.release} ${debs.packageVersion} is installed`);
    expect(output).toContain(`app-balloon kernel: running ${debs.release} already`);
    expect(await guest('uname -r')).toBe(debs.release);
  });

  it('vagrant destroy -f, then tear-down, leave nothing behind', async () => {
    up = false;
    await destroyAndExpectNothingLeft(env!, 'app-balloon-VAGRANTSLASH-debian12-grub_vagrant_box_image_');
    env = undefined;
  });
});
