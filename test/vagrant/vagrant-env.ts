/**
 * What both Vagrant tests share: the checks that the tools are there, a
 * private libvirtd in a network namespace, and `vagrant` run inside it with
 * the machine's state in the test's own directory (not the checkout).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { step } from '../../src/harness/log.js';
import { projectRoot } from '../../src/harness/paths.js';
import { LibvirtNetns } from './libvirt-netns.js';

const tools = ['vagrant', 'libvirtd', 'virsh', 'ip', 'qemu-system-x86_64', 'qemu-img'];
const packages = 'vagrant vagrant-libvirt libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients dnsmasq-base iptables qemu-system-x86 qemu-utils';

/** Fails, naming what is missing, unless this runs as root with every tool the test needs. */
export async function requireVagrantHost(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the Vagrant tests run as root (they create a network namespace and start libvirtd)');
  for (const tool of tools) {
    const r = await execa('sh', ['-c', `command -v ${tool}`], { reject: false });
    if (r.exitCode !== 0) throw new Error(`${tool} is missing: apt-get install --no-install-recommends ${packages}`);
  }
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

/** vagrant's output without its progress lines. */
export const withoutProgress = (text: unknown): string => String(text).replace(/(?:\u001b\[K)?Progress: \d+%/g, '');
