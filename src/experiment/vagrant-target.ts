/**
 * `--target vagrant[:MACHINE]`: the box of this checkout's Vagrantfile, reached
 * through the ssh port that vagrant-libvirt forwards to 127.0.0.1 (the
 * Vagrantfile turns `forward_ssh_port` on). `vagrant ssh-config` gives the
 * login and the key; the forward itself is the `ssh -L` process whose pid
 * vagrant-libvirt keeps in the machine's data directory.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { projectRoot } from '../harness/paths.js';
import { loginNameProblem } from '../harness/ssh.js';
import { ExperimentError } from './errors.js';

export interface SshConfigEntry {
  host: string;
  hostName: string;
  user: string;
  port: number;
  identityFiles: string[];
}

/** Parses `vagrant ssh-config` (one or more `Host` blocks). */
export function parseSshConfig(text: string): SshConfigEntry[] {
  const entries: SshConfigEntry[] = [];
  let current: SshConfigEntry | null = null;
  for (const raw of text.split('\n')) {
    const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(raw);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.replace(/^"(.*)"$/, '$1');
    if (key === 'host') {
      current = { host: value, hostName: value, user: '', port: 22, identityFiles: [] };
      entries.push(current);
    } else if (current !== null) {
      if (key === 'hostname') current.hostName = value;
      else if (key === 'user') current.user = value;
      else if (key === 'port') current.port = Number(value);
      else if (key === 'identityfile') current.identityFiles.push(value);
    }
  }
  return entries;
}

export interface PortForward {
  bindHost: string;
  hostPort: number;
  guestHost: string;
  guestPort: number;
}

/** The `-L BIND:PORT:HOST:PORT` of an ssh command line (NUL-separated, as in /proc/PID/cmdline). */
export function parseForward(cmdline: string): PortForward | null {
  const args = cmdline.split('\0');
  const i = args.indexOf('-L');
  const spec = i >= 0 ? args[i + 1] : undefined;
  const m = spec === undefined ? null : /^(.*):(\d+):(\[[^\]]+\]|[^:]+):(\d+)$/.exec(spec);
  if (!m) return null;
  return { bindHost: m[1]!, hostPort: Number(m[2]), guestHost: m[3]!, guestPort: Number(m[4]) };
}

/** A forward that listens on loopback (`127.0.0.1`, `localhost`, or every address). */
export function listensOnLoopback(bindHost: string): boolean {
  return /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\*|0\.0\.0\.0|)$/.test(bindHost);
}

export interface VagrantSsh {
  machine: string;
  user: string;
  port: number;
  identity: string | undefined;
  /** The box's own address (on libvirt's network), for messages. */
  guestAddress: string;
}

/** The directory with the Vagrantfile: VAGRANT_CWD as vagrant uses it, else this checkout. */
export function vagrantRoot(env: NodeJS.ProcessEnv = process.env): string {
  const cwd = env['VAGRANT_CWD'];
  return cwd !== undefined && cwd !== '' ? path.resolve(cwd) : projectRoot;
}

/** vagrant-libvirt's data directory of a machine (VAGRANT_DOTFILE_PATH is relative to the Vagrantfile's directory). */
export function machineDataDir(machine: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = vagrantRoot(env);
  const dot = env['VAGRANT_DOTFILE_PATH'];
  const dotDir = dot !== undefined && dot !== '' ? path.resolve(root, dot) : path.join(root, '.vagrant');
  return path.join(dotDir, 'machines', machine, 'libvirt');
}

/** The live `ssh -L` forwards of the machine's guest port 22 that listen on loopback. */
async function loopbackSshForwards(dataDir: string): Promise<PortForward[]> {
  const pidsDir = path.join(dataDir, 'pids');
  const found: PortForward[] = [];
  for (const name of await readdir(pidsDir).catch(() => [] as string[])) {
    if (!/^ssh_\d+\.pid$/.test(name)) continue;
    const pid = Number((await readFile(path.join(pidsDir, name), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const forward = parseForward(cmdline);
    if (forward !== null && forward.guestPort === 22 && listensOnLoopback(forward.bindHost)) found.push(forward);
  }
  return found.sort((a, b) => a.hostPort - b.hostPort);
}

/** Vagrant's message as one line (it wraps its sentences over several lines). */
export function vagrantMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
}

/** Resolves a Vagrant machine to an ssh login on 127.0.0.1. */
export async function resolveVagrantSsh(machine: string, env: NodeJS.ProcessEnv = process.env): Promise<VagrantSsh> {
  const root = vagrantRoot(env);
  const dataDir = machineDataDir(machine, env);
  // A machine that was never created has no id; vagrant itself would then only
  // say that it is "not yet ready for SSH", and leave a .vagrant/ behind.
  const idFile = path.join(dataDir, 'id');
  if (!(await access(idFile).then(() => true, () => false))) {
    throw new ExperimentError(
      `--target vagrant: there is no Vagrant machine "${machine}" for ${root} (no ${path.relative(root, idFile) || idFile}); create it with \`vagrant up --provider=libvirt\` (see README, "Vagrant")`,
    );
  }
  const r = await execa('vagrant', ['ssh-config', machine], {
    cwd: root,
    reject: false,
    timeout: 120_000,
    stdin: 'ignore',
    env: { ...env, VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_BOX_UPDATE_CHECK_DISABLE: '1' },
    extendEnv: false,
  }).catch((err: unknown) => ({ exitCode: undefined, stdout: '', stderr: err instanceof Error ? err.message : String(err) }));
  if (r.exitCode === undefined) throw new ExperimentError(`--target vagrant: cannot run vagrant (${String(r.stderr).split('\n')[0]}); install it (see README, "Vagrant")`);
  if (r.exitCode !== 0) {
    const why = vagrantMessage(String(r.stderr));
    throw new ExperimentError(`--target vagrant: \`vagrant ssh-config ${machine}\` in ${root} failed (${why || `exit ${r.exitCode}`}); is the machine up? (vagrant up --provider=libvirt)`);
  }
  const entries = parseSshConfig(String(r.stdout));
  const entry = entries.find((e) => e.host === machine) ?? entries[0];
  if (entry === undefined || entry.user === '') throw new ExperimentError(`--target vagrant: \`vagrant ssh-config ${machine}\` printed no Host block with a User`);
  const problem = loginNameProblem(entry.user);
  if (problem !== null) throw new ExperimentError(`--target vagrant: \`vagrant ssh-config ${machine}\` gives a login ssh cannot be given: ${problem}`);
  const forward = (await loopbackSshForwards(dataDir))[0];
  if (forward === undefined) {
    throw new ExperimentError(
      `--target vagrant: the machine's ssh (${entry.hostName}:${entry.port}) is not forwarded to 127.0.0.1 (no live ssh -L forward in ${path.join(dataDir, 'pids')}); ` +
        'the Vagrantfile of this checkout forwards it (BALLOON_VAGRANT_SSH_PORT, default 2222): run `vagrant reload`, or use --target ssh://USER@127.0.0.1:PORT with a forward of your own',
    );
  }
  return { machine, user: entry.user, port: forward.hostPort, identity: entry.identityFiles[0], guestAddress: entry.hostName };
}
