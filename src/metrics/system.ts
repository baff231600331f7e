/**
 * Samplers over the /proc files (paths injectable, so tests use temp files),
 * process CPU time and the balloon's sysfs counters.
 */
import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { readBalloonSysfs, BALLOON_SYSFS_DIR } from '../kernel/sysfs.js';
import { devMajorMinor, parseDiskstats, parseMeminfo, parseSwaps, parseVmstat, type DiskStats, type SwapEntry } from './parsers.js';

export interface ProcPaths {
  vmstat: string;
  meminfo: string;
  diskstats: string;
  swaps: string;
  /** The balloon's sysfs directory. */
  balloonSysfs: string;
}

export const DEFAULT_PROC_PATHS: ProcPaths = {
  vmstat: '/proc/vmstat',
  meminfo: '/proc/meminfo',
  diskstats: '/proc/diskstats',
  swaps: '/proc/swaps',
  balloonSysfs: BALLOON_SYSFS_DIR,
};

/** vmstat counters the experiments report. */
export const VMSTAT_KEYS = ['pswpin', 'pswpout', 'pgmajfault', 'pgfault', 'pgsteal_kswapd', 'pgsteal_direct', 'pgscan_kswapd', 'pgscan_direct'] as const;

export function readVmstat(paths: Pick<ProcPaths, 'vmstat'> = DEFAULT_PROC_PATHS): Record<string, number> {
  return parseVmstat(readFileSync(paths.vmstat, 'utf8'));
}

export function readMeminfo(paths: Pick<ProcPaths, 'meminfo'> = DEFAULT_PROC_PATHS): Record<string, number> {
  return parseMeminfo(readFileSync(paths.meminfo, 'utf8'));
}

const MEM_FREE = Buffer.from('MemFree:');
const NEWLINE_MEM_FREE = Buffer.from('\nMemFree:');

/** MemFree in bytes from meminfo's bytes, or undefined when they hold no MemFree line. */
function memFreeBytes(text: Buffer, file: string): number | undefined {
  // The start of a line (MemFree is the second), so that no other name ending in it matches.
  let at = 0;
  if (!text.subarray(0, MEM_FREE.length).equals(MEM_FREE)) {
    const newline = text.indexOf(NEWLINE_MEM_FREE);
    if (newline < 0) return undefined;
    at = newline + 1;
  }
  let i = at + MEM_FREE.length;
  while (text[i] === 0x20) i++;
  let kib = 0;
  const first = i;
  for (let c = text[i]; c !== undefined && c >= 0x30 && c <= 0x39; c = text[++i]) kib = kib * 10 + (c - 0x30);
  if (i === first) throw new Error(`${file}: MemFree has no number`);
  return kib * 1024;
}

/** MemFree in bytes (what the balloon threshold is compared with), read once. */
export function readFreeBytes(paths: Pick<ProcPaths, 'meminfo'> = DEFAULT_PROC_PATHS): number {
  const bytes = memFreeBytes(readFileSync(paths.meminfo), paths.meminfo);
  if (bytes === undefined) throw new Error(`${paths.meminfo} has no MemFree line`);
  return bytes;
}

/**
 * Reads MemFree again and again: one open file, read from its start into
 * one small buffer (MemFree is meminfo's second line). `balloon run` reads
 * it ten times a second (the free-memory series, proactive rounds) on the
 * thread that answers the kernel: opening the file, reading it whole into a
 * new buffer and parsing every line cost 3.7 to 7.5 s of that thread's CPU
 * in a one- to two-minute TCG run.
 */
export class FreeMemoryReader {
  private fd: number | undefined;
  private readonly buffer = Buffer.alloc(1024);

  constructor(private readonly file: string = DEFAULT_PROC_PATHS.meminfo) {}

  read(): number {
    this.fd ??= openSync(this.file, 'r');
    const n = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
    const bytes = memFreeBytes(this.buffer.subarray(0, n), this.file);
    if (bytes !== undefined) return bytes;
    if (n < this.buffer.length) throw new Error(`${this.file} has no MemFree line`);
    return readFreeBytes({ meminfo: this.file }); // further down than the buffer reaches
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface SwapDevice {
  swap: string;
  /** diskstats name of the device holding it, or null when not found. */
  device: string | null;
}

/**
 * The block devices behind the swap areas: a partition is its (resolved)
 * device node's name; a swap file is the device its file system lives on
 * (matched on major:minor). `statDev` is injectable for tests.
 */
export function swapBackingDevices(
  swaps: readonly SwapEntry[],
  disks: readonly DiskStats[],
  statDev: (file: string) => bigint = (file) => statSync(file, { bigint: true }).dev,
  resolve: (file: string) => string = (file) => {
    try {
      return realpathSync(file);
    } catch {
      return file;
    }
  },
): SwapDevice[] {
  return swaps.map((s) => {
    if (s.type === 'partition') {
      const name = path.basename(resolve(s.filename));
      return { swap: s.filename, device: disks.some((d) => d.name === name) ? name : null };
    }
    try {
      const { major, minor } = devMajorMinor(statDev(s.filename));
      return { swap: s.filename, device: disks.find((d) => d.major === major && d.minor === minor)?.name ?? null };
    } catch {
      return { swap: s.filename, device: null };
    }
  });
}

export interface SystemSnapshot {
  /** performance.now() when taken. */
  tMs: number;
  vmstat: Record<string, number>;
  meminfo: Record<string, number>;
  /** io_ticks (ms) of each device backing swap. */
  swapIoTicksMs: Record<string, number>;
  swapDevices: SwapDevice[];
}

export function readSystemSnapshot(paths: ProcPaths = DEFAULT_PROC_PATHS): SystemSnapshot {
  const vmstat = readVmstat(paths);
  const meminfo = readMeminfo(paths);
  const disks = parseDiskstats(readFileSync(paths.diskstats, 'utf8'));
  const swapDevices = swapBackingDevices(parseSwaps(readFileSync(paths.swaps, 'utf8')), disks);
  const swapIoTicksMs: Record<string, number> = {};
  for (const s of swapDevices) {
    const d = s.device === null ? undefined : disks.find((x) => x.name === s.device);
    if (d !== undefined) swapIoTicksMs[d.name] = d.ioTicksMs;
  }
  return { tMs: performance.now(), vmstat, meminfo, swapIoTicksMs, swapDevices };
}

export interface SystemDelta {
  elapsedMs: number;
  /** Differences of VMSTAT_KEYS (0 when a counter is missing from the kernel). */
  vmstat: Record<(typeof VMSTAT_KEYS)[number], number>;
  /** Sum over swap devices of the io_ticks difference: time the swap device was busy. */
  swapBusyMs: number;
  swapDevices: SwapDevice[];
}

export function diffSnapshots(before: SystemSnapshot, after: SystemSnapshot): SystemDelta {
  const vmstat = {} as Record<(typeof VMSTAT_KEYS)[number], number>;
  for (const k of VMSTAT_KEYS) vmstat[k] = (after.vmstat[k] ?? 0) - (before.vmstat[k] ?? 0);
  let swapBusyMs = 0;
  for (const [dev, ticks] of Object.entries(after.swapIoTicksMs)) swapBusyMs += ticks - (before.swapIoTicksMs[dev] ?? ticks);
  return { elapsedMs: after.tMs - before.tMs, vmstat, swapBusyMs, swapDevices: after.swapDevices };
}

export interface ProcessUsage {
  userMs: number;
  systemMs: number;
  /** Major page faults of this process (all threads). */
  majorFaults: number;
  minorFaults: number;
}

/** CPU time and faults of this process, all threads included (getrusage(RUSAGE_SELF)). */
export function readProcessUsage(): ProcessUsage {
  const r = process.resourceUsage();
  return { userMs: r.userCPUTime / 1000, systemMs: r.systemCPUTime / 1000, majorFaults: r.majorPageFault, minorFaults: r.minorPageFault };
}

export function diffProcessUsage(before: ProcessUsage, after: ProcessUsage): ProcessUsage {
  return {
    userMs: after.userMs - before.userMs,
    systemMs: after.systemMs - before.systemMs,
    majorFaults: after.majorFaults - before.majorFaults,
    minorFaults: after.minorFaults - before.minorFaults,
  };
}

/** Numeric balloon counters, or null with the reason when the sysfs directory is missing. */
export async function readBalloonCounters(
  dir: string = BALLOON_SYSFS_DIR,
): Promise<{ counters: Record<string, number>; tunables: Record<string, number> } | { error: string }> {
  try {
    const s = await readBalloonSysfs(dir);
    const num = (o: Record<string, unknown>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
        else if (typeof v === 'bigint') out[k] = Number(v);
      return out;
    };
    return { counters: num(s.counters), tunables: num(s.tunables) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** after − before for every counter present in both. */
export function diffCounters(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (before[k] !== undefined) out[k] = v - before[k];
  return out;
}
