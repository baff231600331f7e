/**
 * What both Vagrant tests share: the checks that the tools are there, a
 * private libvirtd in a network namespace, and `vagrant` run inside it with
 * the machine's state in the test's own directory (not the checkout).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { requireTools } from '../../src/harness/exec.js';
import { step } from '../../src/harness/log.js';
import { projectRoot } from '../../src/harness/paths.js';
import { LibvirtNetns } from './libvirt-netns.js';

/** Fails, naming what is missing and the packages to install, unless this runs as root with every tool the test needs. */
export async function requireVagrantHost(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the Vagrant tests run as root (they create a network namespace and start libvirtd)');
  await requireTools('test:vagrant', [
    { command: 'vagrant', debianPackage: 'vagrant' },
    { command: 'libvirtd', debianPackage: 'libvirt-daemon' },
    { command: 'virsh', debianPackage: 'libvirt-clients' },
    { command: 'dnsmasq', debianPackage: 'dnsmasq-base' },
    { command: 'iptables', debianPackage: 'iptables' },
    { command: 'ip', debianPackage: 'iproute2' },
    { command: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
    { command: 'qemu-img', debianPackage: 'qemu-utils' },
  ]);
}

/** `npm run vagrant:box -- ARGS`, failing with its output. */
export async function vagrantBox(args: readonly string[] = []): Promise<void> {
  const r = await execa('npm', ['run', '--silent', 'vagrant:box', '--', ...args], { cwd: projectRoot, all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`npm run vagrant:box ${args.join(' ')} failed:\n${String(r.all)}`);
}

export interface VagrantEnv {
  libvirt: LibvirtNetns;
  /** The machine's state directory (VAGRANT_DOTFILE_PATH). */
  dotDir: string;
  vagrant(args: readonly string[], timeoutMs?: number): ReturnType<LibvirtNetns['exec']>;
  /** `vagrant ssh -c COMMAND`: its stdout, trimmed; throws on a non-zero exit. */
  guest(command: string): Promise<string>;
}

/** Starts libvirtd in a new network namespace and returns vagrant bound to it, with `settings` (BALLOON_VAGRANT_*) in its environment. */
export async function startVagrantEnv(label: string, settings: Record<string, string>): Promise<VagrantEnv> {
  const namespace = `balloon-${label}-${process.pid}`;
  const dir = await mkdtemp(path.join(tmpdir(), `balloon-${label}-`));
  const dotDir = path.join(dir, 'dot');
  const libvirt = await LibvirtNetns.start(namespace, dir);
  step('vagrant', `libvirtd ${await libvirt.libvirtdPid()} runs in network namespace ${namespace}; pool in ${libvirt.poolDir}`);
  const vagrant = (args: readonly string[], timeoutMs = 20 * 60_000) =>
    libvirt.exec('vagrant', args, {
      cwd: projectRoot,
      timeout: timeoutMs,
      all: true,
      reject: false,
      env: {
        VAGRANT_DOTFILE_PATH: dotDir,
        VAGRANT_CHECKPOINT_DISABLE: '1',
        VAGRANT_BOX_UPDATE_CHECK_DISABLE: '1',
        VAGRANT_DEFAULT_PROVIDER: 'libvirt',
        BALLOON_VAGRANT_DRIVER: 'qemu',
        ...settings,
      },
    });
  const guest = async (command: string): Promise<string> => {
    const r = await vagrant(['ssh', '-c', command], 5 * 60_000);
    if (r.exitCode !== 0) throw new Error(`vagrant ssh -c '${command}' exited with ${r.exitCode}:\n${String(r.all)}`);
    return String(r.stdout).trim();
  };
  return { libvirt, dotDir, vagrant, guest };
}

/**
 * `vagrant` and `guest` of an environment that beforeAll starts later (and the
 * last test or afterAll ends): they fail with a clear message when it is not running.
 */
export function vagrantOf(current: () => VagrantEnv | undefined): Pick<VagrantEnv, 'vagrant' | 'guest'> {
  const env = (): VagrantEnv => {
    const e = current();
    if (!e) throw new Error('libvirtd is not running');
    return e;
  };
  return { vagrant: (args, timeoutMs) => env().vagrant(args, timeoutMs), guest: (command) => env().guest(command) };
}

/** afterAll's safety net when a test failed half-way: destroy the machine if it is up, stop libvirtd, report what went wrong. */
export async function tearDownQuietly(env: VagrantEnv | undefined, up: boolean): Promise<void> {
  if (!env) return;
  if (up) await env.vagrant(['destroy', '-f'], 5 * 60_000);
  const problems = await env.libvirt.stop();
  if (problems.length > 0) step('vagrant', `tear-down problems: ${problems.join('; ')}`);
}

/**
 * `vagrant destroy -f`, then checks that only the box's volume (named with
 * `boxVolumePrefix`; vagrant keeps it for the next `up`) is left, deletes it,
 * and checks that stopping libvirtd leaves no domain, volume, network,
 * process (such as the ssh port forward), namespace or configuration.
 */
export async function destroyAndExpectNothingLeft(env: VagrantEnv, boxVolumePrefix: string): Promise<void> {
  const r = await env.vagrant(['destroy', '-f', '--no-color'], 5 * 60_000);
  expect(r.exitCode, String(r.all)).toBe(0);
  const { libvirt } = env;
  const after = await libvirt.inventory();
  expect(after.domains).toEqual([]);
  expect(after.networks).toEqual([]);
  expect(after.volumes.every((v) => v.startsWith(boxVolumePrefix))).toBe(true);
  for (const v of after.volumes) await libvirt.virsh(['vol-delete', '--pool', 'default', v]);
  expect((await libvirt.inventory()).volumes).toEqual([]);
  const libvirtd = await libvirt.libvirtdPid();
  const others = (await libvirt.processes()).filter((p) => p !== libvirtd);
  expect(others, 'processes left in the namespace besides libvirtd (the ssh port forward?)').toEqual([]);
  expect(await libvirt.stop()).toEqual([]);
  expect(await libvirt.leftovers()).toEqual([]);
}

/** vagrant's output without its progress lines. */
export const withoutProgress = (text: unknown): string => String(text).replace(/(?:\u001b\[K)?Progress: \d+%/g, '');
