/** What vm:up takes, and its defaults (apart from vm.ts, so that parsing options loads no QEMU code). */
import type { Accelerator } from './qemu.js';
import type { SwapDeviceRequest } from './swap-device.js';

export interface VmOptions {
  /** Instance name: the interactive VM is `vm`; tests use their own. */
  instance: string;
  memoryMiB: number;
  cpus: number;
  swapMiB: number;
  /** The swap disk's cost model (src/harness/swap-device.ts). */
  swapDevice: SwapDeviceRequest;
  accel: Accelerator;
  /** Fixed ssh port on 127.0.0.1; a free one is chosen when undefined. */
  port?: number;
  /** Boot this bzImage instead of the checkout's last kernel:build. */
  kernel?: string;
  readyTimeoutSeconds: number;
  extraKernelArgs?: string[];
  /** Share the checkout read-only at /opt/app-balloon in the guest. */
  shareProject: boolean;
  /** TCG threading (default single; see qemu.ts). */
  tcgThreads?: 'single' | 'multi';
}

/**
 * The guest's vCPUs unless told: one under TCG, two under KVM. Single-threaded
 * TCG (the harness's, see qemu.ts) runs every vCPU in turn on one host thread,
 * so a second vCPU adds no compute; it only makes every cross-CPU wait (a TLB
 * shootdown, lru_add_drain_all(), a lock held by the other vCPU) last until
 * that vCPU's next turn. Measured (docs/controller.md, "One vCPU under TCG"):
 * in a 768 MiB guest under course 640M, balloon_swapout() freed 5,400 to
 * 9,800 pages/s with two vCPUs and 24,000 to 32,000 with one, and the
 * kernel's own swapping did not change.
 */
export function defaultCpus(accel: Accelerator): number {
  return accel === 'tcg' ? 1 : 2;
}

/** Defaults in one place: a small guest that fits CI, under TCG because KVM hangs on our machines. */
export const vmDefaults: Omit<VmOptions, 'instance'> = {
  memoryMiB: 2048,
  cpus: defaultCpus('tcg'),
  swapMiB: 4096,
  // Unthrottled, as before the device model: interactive use and the e2e tests stay fast.
  swapDevice: { device: 'none' },
  accel: 'tcg',
  readyTimeoutSeconds: 180,
  shareProject: true,
};
