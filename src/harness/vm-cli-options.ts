import { InvalidArgumentError, type Command } from 'commander';
import type { Accelerator } from './qemu.js';
import { parseSizeMiB } from './sizes.js';
import { vmDefaults, type VmOptions } from './vm.js';

const size = (what: string) => (value: string): number => {
  try {
    return parseSizeMiB(value, what);
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

/** The options of vm:up, shared by every command that boots a VM. */
export function addVmOptions(cmd: Command, defaults: Partial<Pick<VmOptions, 'memoryMiB'>> = {}): Command {
  return cmd
    .option('--memory <size>', 'guest memory, e.g. 2G', size('--memory'), defaults.memoryMiB ?? vmDefaults.memoryMiB)
    .option('--cpus <n>', 'guest CPUs', integer(1, 64), vmDefaults.cpus)
    .option('--swap <size>', 'size of the swap disk', size('--swap'), vmDefaults.swapMiB)
    .option('--accel <tcg|kvm>', 'accelerator; KVM hangs on machines without working nested virtualization', accelerator, vmDefaults.accel)
    .option('--port <port>', 'ssh port on 127.0.0.1 (default: a free one)', integer(1, 65535))
    .option('--kernel <bzImage>', "boot this kernel instead of the checkout's last kernel:build")
    .option('--ready-timeout <seconds>', 'how long to wait for the guest', integer(1, 3600), vmDefaults.readyTimeoutSeconds)
    .option('--no-share', 'do not share this checkout read-only at /opt/app-balloon in the guest');
}

export interface VmCliOptions {
  memory: number;
  cpus: number;
  swap: number;
  accel: Accelerator;
  port?: number;
  kernel?: string;
  readyTimeout: number;
  share: boolean;
}

export function toVmOptions(instance: string, o: VmCliOptions): VmOptions {
  return {
    instance,
    memoryMiB: o.memory,
    cpus: o.cpus,
    swapMiB: o.swap,
    accel: o.accel,
    readyTimeoutSeconds: o.readyTimeout,
    shareProject: o.share,
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.kernel !== undefined ? { kernel: o.kernel } : {}),
  };
}
