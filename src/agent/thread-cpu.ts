/**
 * CPU time of the calling thread, from /proc/thread-self. Node 20 has no
 * per-thread CPU clock (process.cpuUsage() counts every thread of the
 * process, the workload's worker included), so the agent's scans and
 * selections, and the workload's worker, read their own thread's:
 * - schedstat: the scheduler's time on CPU in ns (user + system), when the
 *   kernel has CONFIG_SCHED_INFO (the balloon kernel's defconfig does);
 * - else stat: utime + stime in clock ticks (USER_HZ = 100: 10 ms steps).
 * Synchronous reads (readFileSync runs on the calling thread, which is what
 * /proc/thread-self names); each costs a few microseconds.
 */
import { readFileSync } from 'node:fs';

export type ThreadCpuSource = 'schedstat' | 'stat';

/** Milliseconds of CPU the calling thread has used since it started. */
export interface ThreadCpuClock {
  readonly source: ThreadCpuSource;
  now(): number;
}

/** USER_HZ: the unit of utime and stime in /proc/…/stat on every Linux architecture Node runs on. */
const USER_HZ = 100;

/** The first field of /proc/…/schedstat (ns on CPU) in ms; null when unreadable. */
export function parseSchedstatMs(text: string): number | null {
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (!/^\d+$/.test(first)) return null;
  return Number(first) / 1e6;
}

/** utime + stime of /proc/…/stat in ms; null when unreadable. The command name may hold spaces and parentheses. */
export function parseStatCpuMs(text: string): number | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // After "pid (comm)": field 3 (state) is index 0, so utime (field 14) is 11 and stime (15) is 12.
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) return null;
  return ((utime + stime) * 1000) / USER_HZ;
}

export interface ThreadCpuClockOptions {
  /** /proc/thread-self (tests point elsewhere). */
  dir?: string;
  read?: (path: string) => string;
}

/** A clock of the calling thread's CPU time, or null when /proc tells none. */
export function threadCpuClock(options: ThreadCpuClockOptions = {}): ThreadCpuClock | null {
  const dir = options.dir ?? '/proc/thread-self';
  const read = options.read ?? ((path: string) => readFileSync(path, 'utf8'));
  const probe = (parse: (text: string) => number | null, path: string): number | null => {
    try {
      return parse(read(path));
    } catch {
      return null;
    }
  };
  const schedstat = `${dir}/schedstat`;
  // 0 ns for a thread that has already run: the kernel keeps no schedstat (no CONFIG_SCHED_INFO).
  if ((probe(parseSchedstatMs, schedstat) ?? 0) > 0) return { source: 'schedstat', now: () => parseSchedstatMs(read(schedstat)) ?? Number.NaN };
  const stat = `${dir}/stat`;
  if (probe(parseStatCpuMs, stat) !== null) return { source: 'stat', now: () => parseStatCpuMs(read(stat)) ?? Number.NaN };
  return null;
}
