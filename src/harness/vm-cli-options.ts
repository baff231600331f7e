import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Accelerator } from './qemu.js';
import { parseSizeMiB } from './sizes.js';
import { isSwapDeviceName, parseRate, resolveSwapDevice, SWAP_DEVICE_NAMES, type SwapDeviceName, type SwapDeviceRequest } from './swap-device.js';
import { defaultCpus, vmDefaults, type VmOptions } from './vm-options.js';

/** The smallest guest vm:up boots (vmUp checks it too). */
export const MIN_VM_MEMORY_MIB = 256;

const size = (what: string, minMiB = 1) => (value: string): number => {
  try {
    return parseSizeMiB(value, what, minMiB);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

const integer = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
  return n;
};

const accelerator = (value: string): Accelerator => {
  if (value !== 'tcg' && value !== 'kvm') throw new InvalidArgumentError('must be tcg (software emulation, the default) or kvm');
  return value;
};

const swapDevice = (value: string): SwapDeviceName => {
  if (!isSwapDeviceName(value)) throw new InvalidArgumentError(`must be one of ${SWAP_DEVICE_NAMES.join(', ')}`);
  return value;
};

const rate = (value: string): number => {
  try {
    return parseRate(value, '--swap-bps');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

const slowdown = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError('must be a number of at least 1');
  return n;
};

/** MiB as the size grammar writes it (2048 -> 2G), for the help's defaults. */
const mibText = (mib: number): string => (mib % 1024 === 0 ? `${mib / 1024}G` : `${mib}M`);

/** The options of vm:up, shared by every command that boots a VM. */
export function addVmOptions(cmd: Command, defaults: Partial<Pick<VmOptions, 'memoryMiB'> & { swapDevice: SwapDeviceName }> = {}): Command {
  const memoryMiB = defaults.memoryMiB ?? vmDefaults.memoryMiB;
  return cmd
    .addOption(new Option('--memory <size>', `guest memory (at least ${MIN_VM_MEMORY_MIB}M)`).argParser(size('--memory', MIN_VM_MEMORY_MIB)).default(memoryMiB, mibText(memoryMiB)))
    .addOption(new Option('--cpus <n>', `guest CPUs (default: ${defaultCpus('tcg')} under tcg, whose vCPUs take turns on one host thread; ${defaultCpus('kvm')} under kvm)`).argParser(integer(1, 64)))
    .addOption(new Option('--swap <size>', 'size of the swap disk').argParser(size('--swap')).default(vmDefaults.swapMiB, mibText(vmDefaults.swapMiB)))
    .addOption(
      new Option(
        '--swap-device <name>',
        `cost of swap I/O: ${SWAP_DEVICE_NAMES.join(', ')} (QEMU throttling with a SATA SSD's or a 7200 rpm disk's data-sheet figures; docs/swap-device.md)`,
      )
        .argParser(swapDevice)
        .default(defaults.swapDevice ?? vmDefaults.swapDevice.device),
    )
    .addOption(new Option('--swap-iops <n>', 'custom device: I/O requests per second').argParser(integer(1, 10_000_000)))
    .addOption(new Option('--swap-bps <rate>', 'custom device: bytes per second, e.g. 200M (powers of 1024, as every size)').argParser(rate))
    .addOption(new Option('--swap-slowdown <factor>', "divides the device's rates (default: the guest's slowdown, 7 under tcg, 1 under kvm)").argParser(slowdown))
    .addOption(new Option('--accel <tcg|kvm>', 'accelerator; KVM hangs on machines without working nested virtualization').argParser(accelerator).default(vmDefaults.accel))
    .addOption(new Option('--port <port>', 'ssh port on 127.0.0.1 (default: a free one)').argParser(integer(1, 65535)))
    .option('--kernel <bzImage>', "boot this kernel instead of the checkout's last kernel:build")
    .addOption(new Option('--ready-timeout <seconds>', 'how long to wait for the guest').argParser(integer(1, 3600)).default(vmDefaults.readyTimeoutSeconds))
    .option('--no-share', 'do not share this checkout read-only at /opt/app-balloon in the guest');
}

export interface VmCliOptions {
  memory: number;
  /** Unset: defaultCpus(accel). */
  cpus?: number;
  swap: number;
  swapDevice: SwapDeviceName;
  swapIops?: number;
  swapBps?: number;
  swapSlowdown?: number;
  accel: Accelerator;
  port?: number;
  kernel?: string;
  readyTimeout: number;
  share: boolean;
}

/** The swap device options as a request; a bad combination fails here, before anything boots. */
export function toSwapDeviceRequest(o: Pick<VmCliOptions, 'swapDevice' | 'swapIops' | 'swapBps' | 'swapSlowdown' | 'accel'>): SwapDeviceRequest {
  const request: SwapDeviceRequest = {
    device: o.swapDevice,
    ...(o.swapIops !== undefined ? { iops: o.swapIops } : {}),
    ...(o.swapBps !== undefined ? { bytesPerSecond: o.swapBps } : {}),
    ...(o.swapSlowdown !== undefined ? { slowdown: o.swapSlowdown } : {}),
  };
  resolveSwapDevice(request, o.accel);
  return request;
}

export function toVmOptions(instance: string, o: VmCliOptions): VmOptions {
  return {
    instance,
    memoryMiB: o.memory,
    cpus: o.cpus ?? defaultCpus(o.accel),
    swapMiB: o.swap,
    swapDevice: toSwapDeviceRequest(o),
    accel: o.accel,
    readyTimeoutSeconds: o.readyTimeout,
    shareProject: o.share,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.kernel !== undefined ? { kernel: o.kernel } : {}),
  };
}
