/**
 * `vagrant up` with the locally built box, under libvirt with software
 * emulation, all of it inside a network namespace this test creates: the
 * guest boots the patched kernel, the balloon sysfs and the CLI are there,
 * `balloon experiment --target vagrant` runs a matrix through the ssh port
 * forwarded to the namespace's 127.0.0.1, `vagrant destroy -f` and the
 * tear-down leave nothing behind.
 *
 * Needs root, vagrant, vagrant-libvirt, libvirt's daemon and QEMU (see README,
 * "Vagrant"). Part of `npm test` (after the other suites); alone: `npm run test:vagrant`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/experiment/index.js';
import type { KernelArtefact } from '../../src/harness/kernel-build.js';
import { step } from '../../src/harness/log.js';
import { projectRoot } from '../../src/harness/paths.js';
import { sshArgs } from '../../src/harness/ssh.js';
import { prepareVmArtefacts } from '../../src/harness/vm-artefacts.js';
import { localBoxName } from '../../vagrant/box.js';
import { destroyAndExpectNothingLeft, requireVagrantHost, startVagrantEnv, tearDownQuietly, vagrantBox, vagrantOf, withoutProgress, type VagrantEnv } from './vagrant-env.js';

/** On the namespace's own loopback. */
const sshPort = 2222;

describe('vagrant up with the local box (libvirt, software emulation, in a network namespace)', () => {
  let env: VagrantEnv | undefined;
  let kernel: KernelArtefact;
  let up = false;
  const { vagrant, guest } = vagrantOf(() => env);

  beforeAll(async () => {
    await requireVagrantHost();
    // The kernel and the image, from the cache when their inputs did not change (as the e2e suite does).
    kernel = (await prepareVmArtefacts(process.env.BALLOON_KERNEL_SOURCE)).kernel.artefact;
    await vagrantBox();
    env = await startVagrantEnv('vagrant', {
      BALLOON_VAGRANT_BOX: localBoxName,
      // The size the e2e experiment runs at (a 448 MiB workload under pressure).
      BALLOON_VAGRANT_MEMORY: '768M',
      BALLOON_VAGRANT_SSH_PORT: String(sshPort),
    });
  });

  // Safety net when a test failed half-way; the last test does the same and checks it.
  afterAll(() => tearDownQuietly(env, up));

  it('vagrant up --provider=libvirt boots the patched kernel and provisions', async () => {
    const started = Date.now();
    const r = await vagrant(['up', '--provider=libvirt', '--no-color']);
    const seconds = (Date.now() - started) / 1000;
    up = true;
    step('vagrant', `vagrant up took ${seconds.toFixed(1)} s (box upload, boot under TCG, ssh, provisioning)`);
    const output = withoutProgress(r.all);
    expect(r.exitCode, output.slice(-4000)).toBe(0);
    expect(output).toContain(`app-balloon provision: kernel ${kernel.release}`);
    expect(output).toContain('balloon CLI runs');
  });

  it('vagrant ssh: the patched kernel, /sys/kernel/mm/balloon, swap and THP madvise', async () => {
    expect(await guest('uname -r')).toBe(kernel.release);
    expect(await guest('cat /proc/version')).toContain(`balloon@k-${kernel.key.slice(0, 12)}`);
    expect((await guest('ls /sys/kernel/mm/balloon')).split(/\s+/)).toEqual(expect.arrayContaining(['enabled', 'threshold_bytes']));
    expect(await guest("awk '/SwapTotal/ {print $2}' /proc/meminfo").then(Number)).toBeGreaterThan(1024 * 1024);
    expect(await guest('cat /sys/kernel/mm/transparent_hugepage/enabled')).toContain('[madvise]');
  });

  it('the balloon CLI runs from the copied checkout', async () => {
    const help = await guest('cd /opt/app-balloon && node bin/balloon.js --help');
    expect(help).toContain('Usage: balloon');
    expect(help).toMatch(/\brun\b/);
  });

  it('the guest\'s ssh is forwarded to 127.0.0.1 (in the namespace)', async () => {
    const r = await env!.libvirt.exec('ssh', sshArgs({ user: 'root', port: sshPort, identity: path.join(projectRoot, '.vm', 'id_ed25519') }, ['uname -r']), {
      reject: false,
      timeout: 120_000,
      stdin: 'ignore',
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout).trim()).toBe(kernel.release);
  });

  it('balloon experiment --target vagrant runs balloon and kernel in the box', async () => {
    const { libvirt, dotDir } = env!;
    const out = path.join(libvirt.dir, 'results');
    const r = await libvirt.exec(process.execPath, [
      path.join(projectRoot, 'bin', 'balloon.js'), 'experiment', '--target', 'vagrant', '--workloads', 'course', '--policies', 'balloon,kernel',
      '--repetitions', '1', '--size', '448M', '--threshold', '160M', '--passes', '2', '--out', out,
    ], { cwd: projectRoot, reject: false, all: true, timeout: 30 * 60_000, stdin: 'ignore', env: { VAGRANT_DOTFILE_PATH: dotDir } });
    process.stdout.write(`--- balloon experiment --target vagrant (exit ${r.exitCode}) ---\n${String(r.stderr).split('\n').slice(-12).join('\n')}\n`);
    expect(r.exitCode, String(r.all).slice(-3000)).toBe(0);
    expect(String(r.stderr)).toMatch(new RegExp(`target vagrant:default \\(ssh root@127\\.0\\.0\\.1:${sshPort}, forwarded to [0-9.]+:22\\)`));
    const dirs = readdirSync(out);
    expect(dirs).toHaveLength(1);
    const dir = path.join(out, dirs[0]!);
    const runs = JSON.parse(readFileSync(path.join(dir, 'runs.json'), 'utf8')) as RunRecord[];
    expect(runs.map((x) => [x.policy, x.status])).toEqual([
      ['balloon', 'ok'],
      ['kernel', 'ok'],
    ]);
    for (const x of runs) expect(x.result?.integrity.ok, `${x.policy}: integrity`).toBe(true);
    expect(runs[0]!.result!.sigballoonCount).toBeGreaterThan(0);
    expect(runs[0]!.result!.pagesFreed).toBeGreaterThan(0);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { status: string; guest: { uname: string }; target: { spec: unknown } };
    expect(meta.status).toBe('complete');
    expect(meta.guest.uname).toContain(kernel.release);
    expect(meta.target.spec).toEqual({ kind: 'vagrant', machine: 'default' });
    expect(existsSync(path.join(dir, 'runs.csv'))).toBe(true);
  });

  it('vagrant provision is safe to re-run', async () => {
    const r = await vagrant(['provision', '--no-color'], 10 * 60_000);
    expect(r.exitCode, String(r.all).slice(-3000)).toBe(0);
    expect(String(r.all)).toContain('swap on /dev/vdb');
    expect(await guest('swapon --noheadings --show=NAME')).toBe('/dev/vdb');
  });

  it('vagrant destroy -f, then tear-down, leave no domain, volume, network, namespace or libvirtd', async () => {
    up = false;
    // vagrant destroy keeps the box's volume in the pool (for the next `vagrant up`): only that.
    await destroyAndExpectNothingLeft(env!, 'app-balloon-VAGRANTSLASH-local_vagrant_box_image_');
    env = undefined;
  });
});
