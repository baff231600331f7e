/**
 * Where the experiment runs: the harness VM (`vm`, `vm:NAME`), the Vagrant box
 * of this checkout (`vagrant`, `vagrant:MACHINE`, through its ssh port
 * forwarded to 127.0.0.1), or any ssh destination on this machine's loopback
 * interface (`ssh://user@127.0.0.1:PORT`). Commands go over ssh.
 */
import { execa } from 'execa';
import { vmSshDestination, vmStatus } from '../harness/vm.js';
import { shQuote } from '../harness/exec.js';
import { GUEST_SOURCES, guestPayload } from '../harness/guest-payload.js';
import { isLoopbackAddress, loginNameProblem, sshArgs, type LoopbackSshDestination } from '../harness/ssh.js';
import { projectRoot } from '../harness/paths.js';
import { UsageError } from '../shared/usage.js';
import { ExperimentError } from './errors.js';
import { resolveVagrantSsh } from './vagrant-target.js';

export { ExperimentError };

export type TargetSpec =
  | { kind: 'vm'; instance: string }
  | { kind: 'vagrant'; machine: string }
  | { kind: 'ssh'; user: string; host: string; port: number };

/** Where the harness VM sees this checkout (shared read-only). */
export const VM_GUEST_DIR = '/opt/app-balloon';
/** Default directory, relative to the login's home, for a copied checkout (not /tmp: it may be RAM). */
export const DEFAULT_SSH_GUEST_DIR = 'app-balloon';

/**
 * Loopback only (our network rule allows no other destination): `localhost`
 * or a literal loopback address; the address ssh is given (localhost is 127.0.0.1).
 */
export function loopbackAddress(host: string): string | null {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return '127.0.0.1';
  return isLoopbackAddress(h) ? h : null;
}

export function isLoopbackHost(host: string): boolean {
  return loopbackAddress(host) !== null;
}

export function parseTarget(text: string): TargetSpec {
  const t = text.trim();
  if (t === 'vm') return { kind: 'vm', instance: 'vm' };
  const vm = /^vm:(.*)$/.exec(t);
  if (vm) {
    const instance = vm[1]!;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(instance)) throw new UsageError(`--target ${text}: "${instance}" is not a VM instance name`);
    return { kind: 'vm', instance };
  }
  const vagrant = /^vagrant(?::(.*))?$/.exec(t);
  if (vagrant) {
    const machine = vagrant[1] ?? 'default';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(machine)) throw new UsageError(`--target ${text}: "${machine}" is not a Vagrant machine name`);
    return { kind: 'vagrant', machine };
  }
  if (t.startsWith('ssh://')) {
    const m = /^ssh:\/\/([^@/\s]+)@(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?\/?$/.exec(t);
    if (!m) throw new UsageError(`--target ${text}: expected ssh://USER@127.0.0.1:PORT`);
    const [, user, host, portText] = m as unknown as [string, string, string, string | undefined];
    const problem = loginNameProblem(user);
    if (problem !== null) throw new UsageError(`--target ${text}: ${problem}`);
    const port = portText === undefined ? 22 : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--target ${text}: port must be 1-65535`);
    const address = loopbackAddress(host);
    if (address === null) {
      throw new UsageError(`--target ${text}: only loopback destinations (127.0.0.1, localhost) are allowed; forward the guest's ssh port to 127.0.0.1 (as vagrant and vm:up do)`);
    }
    return { kind: 'ssh', user, host: address, port };
  }
  throw new UsageError(`--target ${text}: expected vm, vm:INSTANCE, vagrant, vagrant:MACHINE or ssh://USER@127.0.0.1:PORT`);
}

export interface ExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A command's end, whatever it was. */
export interface ExecOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Stopped through the abort signal. */
  canceled: boolean;
  durationMs: number;
}

export interface Target {
  /** For messages and meta.json. */
  label: string;
  spec: TargetSpec;
  /** The checkout's directory in the guest. */
  guestDir: string;
  /** Commands run as root (else `sudo -n` is put before balloon run). */
  asRoot: boolean;
  /** Runs a shell command line in the guest. */
  exec(command: string, options?: ExecOptions): Promise<ExecOutcome>;
  /** Brings the checkout into the guest (the harness VM shares it: there, it fails saying how to restart the VM). */
  prepare(log: (line: string) => void): Promise<void>;
}

async function sshCommand(dest: LoopbackSshDestination, command: string, options: ExecOptions): Promise<ExecOutcome> {
  const t0 = performance.now();
  const r = await execa('ssh', sshArgs(dest, [command]), {
    reject: false,
    stdin: 'ignore',
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    ...(options.signal !== undefined ? { cancelSignal: options.signal } : {}),
    forceKillAfterDelay: 5000,
  });
  return {
    exitCode: r.exitCode ?? null,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: r.timedOut === true,
    canceled: r.isCanceled === true,
    durationMs: performance.now() - t0,
  };
}

/** The ssh destination of an ssh:// (or Vagrant) target. */
export function sshDestination(spec: Extract<TargetSpec, { kind: 'ssh' }>, identity?: string, knownHosts?: string): LoopbackSshDestination {
  return {
    user: spec.user,
    host: spec.host,
    port: spec.port,
    ...(identity !== undefined ? { identity } : {}),
    ...(knownHosts !== undefined ? { knownHosts } : {}),
  };
}

export interface TargetOptions {
  identity?: string;
  knownHosts?: string;
  guestDir?: string;
}

export async function openTarget(spec: TargetSpec, options: TargetOptions = {}): Promise<Target> {
  if (spec.kind === 'vm') {
    const status = await vmStatus(spec.instance);
    if (!status.running || status.state === undefined) {
      throw new ExperimentError(`VM not running: npm run vm:up${spec.instance === 'vm' ? '' : ` (no running instance "${spec.instance}" in this checkout)`}`);
    }
    const state = status.state;
    const dest = vmSshDestination(state);
    return {
      label: `vm:${spec.instance} (ssh 127.0.0.1:${state.port})`,
      spec,
      guestDir: VM_GUEST_DIR,
      asRoot: true,
      exec: (command, o = {}) => sshCommand(dest, command, o),
      // vm:up shares the checkout; nothing is copied into the VM.
      prepare: () =>
        Promise.reject(new ExperimentError(`the checkout is not at ${VM_GUEST_DIR} in the VM (it is shared there by vm:up); restart it with npm run vm:down && npm run vm:up`)),
    };
  }
  if (spec.kind === 'vagrant') {
    // The Vagrantfile's provisioning unpacks the checkout in /opt/app-balloon.
    const login = await resolveVagrantSsh(spec.machine);
    const ssh = { kind: 'ssh', user: login.user, host: '127.0.0.1', port: login.port } as const;
    const target = sshTarget(ssh, { identity: login.identity, knownHosts: undefined, guestDir: options.guestDir ?? VM_GUEST_DIR });
    return { ...target, spec, label: `vagrant:${spec.machine} (ssh ${login.user}@127.0.0.1:${login.port}, forwarded to ${login.guestAddress}:22)` };
  }
  return sshTarget(spec, { identity: options.identity, knownHosts: options.knownHosts, guestDir: options.guestDir ?? DEFAULT_SSH_GUEST_DIR });
}

function sshTarget(
  spec: Extract<TargetSpec, { kind: 'ssh' }>,
  options: { identity: string | undefined; knownHosts: string | undefined; guestDir: string },
): Target {
  const dest = sshDestination(spec, options.identity, options.knownHosts);
  sshArgs(dest); // refuses a destination it cannot pin now, not at the first command
  const guestDir = options.guestDir;
  return {
    label: `ssh://${spec.user}@${spec.host}:${spec.port}`,
    spec,
    guestDir,
    asRoot: spec.user === 'root',
    exec: (command, o = {}) => sshCommand(dest, command, o),
    prepare: async (log) => {
      const payload = guestPayload(projectRoot);
      log(`copying what runs in the guest to ${guestDir} (${GUEST_SOURCES.join(', ')} and ${payload.length - GUEST_SOURCES.length} npm packages)`);
      const unpack = `mkdir -p ${shQuote(guestDir)} && tar -C ${shQuote(guestDir)} -xzf -`;
      let why: string | null = null;
      try {
        const r = await execa('tar', ['-C', projectRoot, '-czf', '-', '--', ...payload], { reject: false })
          .pipe('ssh', sshArgs(dest, [unpack]), { reject: false, timeout: 30 * 60_000 });
        if (r.exitCode !== 0) why = `exit ${r.exitCode}: ${String(r.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`;
      } catch (err) {
        why = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      }
      if (why !== null) throw new ExperimentError(`copying the checkout to ${label(spec)}:${guestDir} failed (${why})`);
    },
  };
}

const label = (spec: Extract<TargetSpec, { kind: 'ssh' }>): string => `${spec.user}@${spec.host}:${spec.port}`;
