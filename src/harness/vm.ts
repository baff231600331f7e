import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { processAlive } from './cache.js';
import { HarnessError } from './errors.js';
import { requireTools, run, shQuote } from './exec.js';
import { readinessMarker } from './guest-files.js';
import { localKernelInputs, type KernelArtefact } from './kernel-build.js';
import { step } from './log.js';
import type { VmOptions } from './vm-options.js';
import { sshArgs, type LoopbackSshDestination } from './ssh.js';
import { checkoutId, projectRoot } from './paths.js';
import { assertPortFree, freePort, qemuArgs, type Accelerator } from './qemu.js';
import { plural } from './sizes.js';
import { resolveSwapDevice, type SwapDeviceModel, type SwapDeviceRequest } from './swap-device.js';
import { guestFilesHash, type ImageArtefact } from './vm-image.js';
import { ensureSshKey, imageStateFile, instanceDir, kernelStateFile, readRecord } from './vm-state.js';

export { vmDefaults, type VmOptions } from './vm-options.js';

/** What a running VM is: enough to reach it and to stop it. */
export interface VmState {
  instance: string;
  name: string;
  pid: number;
  port: number;
  sshKey: string;
  knownHosts: string;
  kernel: string;
  kernelRelease?: string;
  kernelBuildHost?: string;
  kernelKey?: string;
  image: string;
  memoryMiB: number;
  cpus: number;
  swapMiB: number;
  /** Absent in the state of a VM booted before the swap device model. */
  swapDevice?: SwapDeviceModel;
  accel: Accelerator;
  consoleLog: string;
  qmpSocket: string;
  startedAt: string;
  bootSeconds: number;
}

const stateFile = (instance: string): string => path.join(instanceDir(instance), 'state.json');

export async function readVmState(instance: string): Promise<VmState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(instance), 'utf8')) as VmState;
  } catch {
    return undefined;
  }
}

/** True when `pid` is a QEMU process of ours with this name (a pid may be reused). */
async function isOurQemu(pid: number, name: string): Promise<boolean> {
  if (!processAlive(pid)) return false;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.split('\0').some((arg, i, all) => arg === name && all[i - 1] === '-name');
}

export const vmName = (instance: string): string => `app-balloon-${checkoutId}-${instance}`;

/** The artefacts to boot, refusing ones that no longer match the checkout's inputs. */
async function artefactsToBoot(options: VmOptions): Promise<{ kernel: Partial<KernelArtefact> & { bzImage: string }; image: ImageArtefact }> {
  let kernel: Partial<KernelArtefact> & { bzImage: string };
  if (options.kernel) {
    kernel = { bzImage: path.resolve(options.kernel) };
  } else {
    const recorded = await readRecord<KernelArtefact>(kernelStateFile(), 'kernel', 'npm run kernel:build');
    if (recorded.localInputs !== (await localKernelInputs())) {
      throw new HarnessError(
        'vm:up: kernel-patch/ changed since the last kernel build, so that kernel is stale.',
        'Run `npm run kernel:build` first.',
      );
    }
    kernel = recorded;
  }
  if (!(await access(kernel.bzImage).then(() => true, () => false))) {
    throw new HarnessError(`vm:up: the kernel ${kernel.bzImage} does not exist.`, 'Run `npm run kernel:build` (or fix --kernel).');
  }
  const image = await readRecord<ImageArtefact>(imageStateFile(), 'VM image', 'npm run vm:image');
  if (image.guestFilesHash !== guestFilesHash() || !(await access(image.image).then(() => true, () => false))) {
    throw new HarnessError('vm:up: the VM image is stale or missing (the guest files changed, or the cache was cleaned).', 'Run `npm run vm:image` first.');
  }
  return { kernel, image };
}

/** Boots the VM and waits until ssh works. */
export async function vmUp(options: VmOptions): Promise<VmState> {
  const started = Date.now();
  await requireTools('vm:up', [
    { command: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
    { command: 'qemu-img', debianPackage: 'qemu-utils' },
    { command: 'ssh', debianPackage: 'openssh-client' },
  ]);
  if (!Number.isInteger(options.cpus) || options.cpus < 1 || options.cpus > 64) throw new RangeError(`--cpus must be 1..64, got ${options.cpus}`);
  if (options.memoryMiB < 256) throw new RangeError(`--memory must be at least 256M, got ${options.memoryMiB}M`);
  const swapDevice = resolveSwapDevice(options.swapDevice, options.accel);
  const name = vmName(options.instance);
  const previous = await readVmState(options.instance);
  if (previous && (await isOurQemu(previous.pid, name))) {
    throw new HarnessError(
      `vm:up: the VM "${options.instance}" is already running (pid ${previous.pid}, ssh port ${previous.port}).`,
      `Use it, or stop it with \`npm run vm:down\`${options.instance === 'vm' ? '' : ` -- --instance ${options.instance}`}.`,
    );
  }
  const { kernel, image } = await artefactsToBoot(options);
  const { privateKey, publicKey } = await ensureSshKey();
  const dir = instanceDir(options.instance);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files = {
    rootDisk: path.join(dir, 'root.qcow2'),
    swapDisk: path.join(dir, 'swap.img'),
    consoleLog: path.join(dir, 'console.log'),
    qmpSocket: path.join(dir, 'qmp.sock'),
    pidFile: path.join(dir, 'qemu.pid'),
    knownHosts: path.join(dir, 'known_hosts'),
  };
  // A copy-on-write overlay: the cached image stays read-only and shared; the VM's writes die with it.
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', image.image, files.rootDisk]);
  await run('qemu-img', ['create', '-q', '-f', 'raw', files.swapDisk, `${options.swapMiB}M`]);
  if (options.port !== undefined) await assertPortFree(options.port);

  let port = options.port ?? (await freePort());
  for (let attempt = 1; ; attempt++) {
    const result = await execa(
      'qemu-system-x86_64',
      qemuArgs({
        name,
        kernel: kernel.bzImage,
        ...files,
        memoryMiB: options.memoryMiB,
        cpus: options.cpus,
        accel: options.accel,
        sshPort: port,
        sshKey: publicKey.split(/\s+/)[1] ?? '',
        ...(options.extraKernelArgs ? { extraKernelArgs: options.extraKernelArgs } : {}),
        ...(options.shareProject ? { share: projectRoot } : {}),
        ...(options.tcgThreads ? { tcgThreads: options.tcgThreads } : {}),
        swapThrottle: swapDevice.throttle,
      }),
      { reject: false, all: true },
    );
    if (result.exitCode === 0) break;
    const output = String(result.all ?? '');
    // Another process took the port between our check and QEMU's bind: try another one.
    if (/host ?forward/i.test(output) && options.port === undefined && attempt < 5) {
      port = await freePort();
      continue;
    }
    throw new HarnessError(`vm:up: QEMU failed to start (exit ${result.exitCode}).`, 'See its message below.', output.trim());
  }
  const pid = Number((await readFile(files.pidFile, 'utf8')).trim());
  const state: VmState = {
    instance: options.instance,
    name,
    pid,
    port,
    sshKey: privateKey,
    knownHosts: files.knownHosts,
    kernel: kernel.bzImage,
    ...(kernel.release ? { kernelRelease: kernel.release } : {}),
    ...(kernel.buildHost ? { kernelBuildHost: kernel.buildHost } : {}),
    ...(kernel.key ? { kernelKey: kernel.key } : {}),
    image: image.image,
    memoryMiB: options.memoryMiB,
    cpus: options.cpus,
    swapMiB: options.swapMiB,
    swapDevice,
    accel: options.accel,
    consoleLog: files.consoleLog,
    qmpSocket: files.qmpSocket,
    startedAt: new Date().toISOString(),
    bootSeconds: 0,
  };
  await writeFile(stateFile(options.instance), `${JSON.stringify(state, null, 2)}\n`);
  await writeFile(files.knownHosts, `[127.0.0.1]:${port} ${image.hostKey}\n`);
  step('vm:up', `QEMU pid ${pid} (${options.accel}, ${options.memoryMiB} MiB, ${plural(options.cpus, 'CPU')}), ssh on 127.0.0.1:${port}; waiting for the guest`);
  step('vm:up', `swap device ${swapDevice.description}`);

  try {
    await waitForReadiness(state, options.readyTimeoutSeconds);
    await waitForSsh(state, 60);
  } catch (err) {
    await stopQemu(state);
    // Keep console.log for a post-mortem; drop the disks and the state.
    for (const file of [stateFile(options.instance), files.rootDisk, files.swapDisk, files.qmpSocket]) await rm(file, { force: true });
    throw err;
  }
  state.bootSeconds = (Date.now() - started) / 1000;
  await writeFile(stateFile(options.instance), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

async function consoleTail(state: VmState, lines = 30): Promise<string> {
  const text = await readFile(state.consoleLog, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n') || '(the console printed nothing)';
}

async function waitForReadiness(state: VmState, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const text = await readFile(state.consoleLog, 'utf8').catch(() => '');
    if (text.includes(readinessMarker)) return;
    if (!(await isOurQemu(state.pid, state.name))) {
      throw new HarnessError('vm:up: QEMU exited while the guest was booting.', 'The last console lines are below.', await consoleTail(state));
    }
    if (Date.now() > deadline) {
      throw new HarnessError(
        `vm:up: the guest did not become ready within ${timeoutSeconds} s; QEMU was stopped.`,
        'The last console lines are below; raise --ready-timeout if the machine is just slow.',
        await consoleTail(state),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitForSsh(state: VmState, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = '';
  while (Date.now() < deadline) {
    const result = await sshExec(state, ['true'], { timeoutSeconds: 20 });
    if (result.exitCode === 0) return;
    last = result.stderr;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new HarnessError(`vm:up: the guest is up but ssh to 127.0.0.1:${state.port} fails.`, 'See the ssh error below.', last);
}

/** The VM's ssh: root on its port on 127.0.0.1, the checkout's key, the guest's known host key. */
export function vmSshDestination(state: Pick<VmState, 'sshKey' | 'knownHosts' | 'port'>): LoopbackSshDestination {
  return { user: 'root', port: state.port, identity: state.sshKey, knownHosts: state.knownHosts };
}

/** Runs a command in the guest; resolves with its result whatever the exit code. */
export async function sshExec(
  state: Pick<VmState, 'sshKey' | 'knownHosts' | 'port'>,
  command: readonly string[],
  options: { timeoutSeconds?: number; input?: string | Uint8Array; /** Show the guest's stderr as it comes (progress); it is then not returned. */ inheritStderr?: boolean } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa('ssh', sshArgs(vmSshDestination(state), command), {
    reject: false,
    ...(options.inheritStderr ? { stderr: 'inherit' as const } : {}),
    ...(options.timeoutSeconds ? { timeout: options.timeoutSeconds * 1000 } : {}),
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
}

/** Writes a file into the guest (through ssh's standard input). */
export async function copyToGuest(state: Pick<VmState, 'sshKey' | 'knownHosts' | 'port'>, content: Uint8Array, guestPath: string, mode = '644'): Promise<void> {
  const quoted = shQuote(guestPath);
  const result = await sshExec(state, [`mkdir -p "$(dirname ${quoted})" && cat > ${quoted} && chmod ${mode} ${quoted}`], { input: content, timeoutSeconds: 300 });
  if (result.exitCode !== 0) throw new HarnessError(`copying to ${guestPath} in the guest failed.`, 'See the ssh error below.', result.stderr);
}

/** Like sshExec, but a non-zero exit is an error. */
export async function sshRun(state: Pick<VmState, 'sshKey' | 'knownHosts' | 'port'>, command: string, timeoutSeconds = 600): Promise<string> {
  const result = await sshExec(state, [command], { timeoutSeconds });
  if (result.exitCode !== 0) {
    throw new HarnessError(`guest command \`${command}\` exited with ${result.exitCode}.`, 'Its output is below.', `${result.stdout}\n${result.stderr}`.trim());
  }
  return result.stdout;
}

/** An interactive ssh session (or one command) with the terminal attached. */
export async function sshInteractive(state: VmState, command: readonly string[]): Promise<{ exitCode: number }> {
  const result = await execa('ssh', sshArgs(vmSshDestination(state), command, { tty: command.length === 0 }), {
    stdio: 'inherit',
    reject: false,
  });
  return { exitCode: result.exitCode ?? 1 };
}

async function waitForExit(pid: number, name: string, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (!(await isOurQemu(pid, name))) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return !(await isOurQemu(pid, name));
}

/** Asks QEMU to quit through its QMP socket. */
function qmpQuit(socket: string): Promise<void> {
  return new Promise((resolve) => {
    const conn = createConnection(socket);
    const done = (): void => {
      conn.destroy();
      resolve();
    };
    conn.setTimeout(5000, done);
    conn.on('error', done);
    conn.on('close', done);
    let greeted = false;
    conn.on('data', () => {
      if (greeted) return;
      greeted = true;
      conn.write('{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n');
    });
  });
}

/** Stops QEMU: QMP quit, then SIGTERM, then SIGKILL. Never leaves the process behind. */
async function stopQemu(state: VmState): Promise<void> {
  if (!(await isOurQemu(state.pid, state.name))) return;
  await qmpQuit(state.qmpSocket);
  if (await waitForExit(state.pid, state.name, 10)) return;
  process.kill(state.pid, 'SIGTERM');
  if (await waitForExit(state.pid, state.name, 10)) return;
  process.kill(state.pid, 'SIGKILL');
  if (!(await waitForExit(state.pid, state.name, 10))) {
    throw new HarnessError(`vm:down: QEMU pid ${state.pid} survived SIGKILL.`, 'Check the process table.');
  }
}

/** Shuts the guest down cleanly (power-off from inside), stopping QEMU harder if it does not exit. */
export async function vmDown(instance: string): Promise<{ wasRunning: boolean; clean: boolean }> {
  const state = await readVmState(instance);
  if (!state) return { wasRunning: false, clean: true };
  let clean = false;
  if (await isOurQemu(state.pid, state.name)) {
    await sshExec(state, ['/usr/local/sbin/balloon-poweroff'], { timeoutSeconds: 20 });
    clean = await waitForExit(state.pid, state.name, 30);
    if (!clean) await stopQemu(state);
  }
  await rm(instanceDir(instance), { recursive: true, force: true });
  return { wasRunning: true, clean };
}

export async function vmStatus(instance: string): Promise<{ running: boolean; state?: VmState }> {
  const state = await readVmState(instance);
  if (!state) return { running: false };
  return { running: await isOurQemu(state.pid, state.name), state };
}
