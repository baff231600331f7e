/**
 * `balloon run` on a machine without the balloon kernel is almost always a
 * mistake: the workloads are meant to overcommit memory (the default size is
 * 1.25 x MemTotal) and the kernel baseline locks the threshold's worth on top,
 * which on a workstation means heavy swapping or the OOM killer. Outside the
 * balloon kernel a run may take at most half of MemAvailable (the rest of the
 * machine keeps the other half); a bigger one is refused unless --allow-host.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseMeminfo } from '../metrics/parsers.js';
import { formatBytes } from '../workloads/index.js';

export interface HostHazardInput {
  /** /sys/kernel/mm/balloon exists: this is the balloon kernel (the VM), where swapping is the point. */
  balloonKernel: boolean;
  balloonSysfsDir: string;
  /** The workload's region. */
  sizeBytes: number;
  /** Memory held unswappable besides it (the kernel baseline's bystander). */
  lockedBytes: number;
  memAvailableBytes: number;
}

/** What a run may take outside the balloon kernel: half of MemAvailable. */
export const hostLimitBytes = (memAvailableBytes: number): number => Math.floor(memAvailableBytes / 2);

/** Why the run must not happen here (one line), or null when it may. */
export function hostHazard(i: HostHazardInput): string | null {
  if (i.balloonKernel) return null;
  const need = i.sizeBytes + i.lockedBytes;
  if (need <= hostLimitBytes(i.memAvailableBytes)) return null;
  const parts = i.lockedBytes > 0 ? ` (workload ${formatBytes(i.sizeBytes)} + ${formatBytes(i.lockedBytes)} locked by the kernel baseline's bystander)` : '';
  return (
    `this machine runs no balloon kernel (no ${i.balloonSysfsDir}) and the run needs ${formatBytes(need)}${parts}, ` +
    `more than half of the ${formatBytes(i.memAvailableBytes)} available: it could push this machine into swap or the OOM killer; ` +
    'run it in the VM (balloon vm up, then balloon vm ssh or balloon experiment), give a smaller --size, or pass --allow-host to run it here anyway'
  );
}

/** MemAvailable (MemFree on kernels that lack it) from a meminfo file. */
export function readMemAvailableBytes(meminfoPath: string): number {
  const m = parseMeminfo(readFileSync(meminfoPath, 'utf8'));
  const bytes = m['MemAvailable'] ?? m['MemFree'];
  if (bytes === undefined) throw new Error(`${meminfoPath} has neither MemAvailable nor MemFree`);
  return bytes;
}

export function isBalloonKernel(balloonSysfsDir: string): boolean {
  return existsSync(balloonSysfsDir);
}
