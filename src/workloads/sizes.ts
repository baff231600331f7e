/** Sizes: parsing, the machine's memory, default workload sizes and the limits. */
import { readFileSync } from 'node:fs';
import { parseMeminfo } from '../metrics/parsers.js';
import { PAGE_BYTES } from './pattern.js';
import { WorkloadArgumentError } from './definitions.js';
import { parseSizeBytes, SizeError } from '../harness/sizes.js';

/**
 * Parses a size into bytes with the one size grammar of every command
 * (src/harness/sizes.ts: "4096" bytes, "64K", "512M", "1.5G", "2GiB", "100p" pages).
 * Zero, negative and malformed sizes are refused.
 */
export function parseSize(text: string, what = 'size'): number {
  try {
    return parseSizeBytes(text, what);
  } catch (err) {
    if (err instanceof SizeError) throw new WorkloadArgumentError(err.message);
    throw err;
  }
}

export interface MachineMemory {
  memTotalBytes: number;
  swapTotalBytes: number;
}

export function readMachineMemory(meminfoPath = '/proc/meminfo'): MachineMemory {
  const m = parseMeminfo(readFileSync(meminfoPath, 'utf8'));
  const memTotalBytes = m['MemTotal'];
  if (memTotalBytes === undefined) throw new Error(`${meminfoPath} has no MemTotal line`);
  return { memTotalBytes, swapTotalBytes: m['SwapTotal'] ?? 0 };
}

/**
 * Default region size: 1.25 × MemTotal (bigger than memory, so the workload
 * swaps), but at most 80% of RAM + swap; in whole pages.
 */
export function defaultRegionBytes(mem: MachineMemory): number {
  const bytes = Math.min(1.25 * mem.memTotalBytes, 0.8 * (mem.memTotalBytes + mem.swapTotalBytes));
  return Math.max(PAGE_BYTES, Math.floor(bytes / PAGE_BYTES) * PAGE_BYTES);
}

/** Rounds up to whole pages and refuses sizes that cannot fit in RAM + swap. */
export function checkRegionBytes(bytes: number, mem: MachineMemory, what = 'workload size'): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new WorkloadArgumentError(`${what} must be a positive number of bytes, got ${bytes}`);
  const rounded = Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES;
  const limit = mem.memTotalBytes + mem.swapTotalBytes;
  if (rounded > limit) {
    throw new WorkloadArgumentError(
      `${what} ${formatBytes(rounded)} is bigger than RAM + swap (${formatBytes(mem.memTotalBytes)} + ${formatBytes(mem.swapTotalBytes)}); choose a smaller --size`,
    );
  }
  return rounded;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}
