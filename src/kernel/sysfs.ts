/**
 * The balloon's counters and tunables in sysfs (/sys/kernel/mm/balloon/),
 * read from TypeScript: read-only files are counters, writable ones tunables.
 */
import { constants as fsConstants, promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import path from 'node:path';

export const BALLOON_SYSFS_DIR = '/sys/kernel/mm/balloon';

/**
 * A value as read: a number when the file holds one integer (bigint past 2^53),
 * a list of numbers for list files (`registered`: one tgid per line), else the trimmed text.
 */
export type SysfsValue = number | bigint | string | number[];

/** Files that hold one number per line (possibly none). */
const LIST_FILES = new Set(['registered']);

/**
 * The files of kernel-patch/README.md ("/sys/kernel/mm/balloon/"), for
 * reference; {@link readBalloonSysfs} returns whatever the kernel has.
 */
export const BALLOON_TUNABLES = ['enabled', 'unprivileged', 'max_per_user', 'threshold_pages', 'threshold_bytes', 'answer_timeout_ms', 'interval_ms'] as const;
export const BALLOON_COUNTERS = [
  'registered',
  'free_pages',
  'signals_sent',
  'signals_undelivered',
  'signals_flushed',
  'swapout_calls',
  'pages_requested',
  'pages_freed',
  'pages_skipped_swapped',
  'pages_skipped_shared',
  'pages_skipped_locked',
  'pages_skipped_not_present',
  'pages_skipped_thp',
  'pages_failed',
  'fallbacks',
  'fallback_pages',
  'rail_activations',
  'swapout_time_ns',
] as const;

export interface BalloonSysfs {
  /** Read-only files (statistics). */
  counters: Record<string, SysfsValue>;
  /** Writable files (knobs). */
  tunables: Record<string, SysfsValue>;
}

/** The sysfs directory is missing or unreadable. */
export class BalloonSysfsError extends Error {
  override name = 'BalloonSysfsError';
  constructor(
    message: string,
    readonly code: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Parses one sysfs value: decimal (or 0x hex) integers become numbers (bigint when not safe). */
export function parseSysfsValue(text: string, name?: string): SysfsValue {
  const t = text.trim();
  if (name !== undefined && LIST_FILES.has(name)) {
    return t === '' ? [] : t.split(/\s+/).map((line) => Number.parseInt(line, 10));
  }
  if (/^-?\d+$/.test(t)) {
    const big = BigInt(t);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  if (/^0x[0-9a-f]+$/i.test(t)) {
    const big = BigInt(t);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  return t;
}

function wrap(err: unknown, dir: string): BalloonSysfsError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'EIO';
  const message =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? `${dir} does not exist: the running kernel has no balloon patch (uname -r: ${osRelease()}); ` +
        "boot the project's VM with npm run vm:up"
      : code === 'EACCES' || code === 'EPERM'
        ? `cannot read ${dir} (${code}): run as root inside the VM`
        : `cannot read ${dir}: ${code}`;
  return new BalloonSysfsError(message, code, dir, { cause: err });
}

const isWritable = (mode: number): boolean => (mode & (fsConstants.S_IWUSR | fsConstants.S_IWGRP | fsConstants.S_IWOTH)) !== 0;

/** Reads every file of the balloon's sysfs directory (synchronously). */
export function readBalloonSysfsSync(dir: string = BALLOON_SYSFS_DIR): BalloonSysfs {
  const out: BalloonSysfs = { counters: {}, tunables: {} };
  try {
    for (const name of readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const st = statSync(file);
      if (!st.isFile()) continue;
      if ((st.mode & (fsConstants.S_IRUSR | fsConstants.S_IRGRP | fsConstants.S_IROTH)) === 0) continue;
      const value = parseSysfsValue(readFileSync(file, 'utf8'), name);
      (isWritable(st.mode) ? out.tunables : out.counters)[name] = value;
    }
  } catch (err) {
    throw wrap(err, dir);
  }
  return out;
}

/** Reads every file of the balloon's sysfs directory. */
export async function readBalloonSysfs(dir: string = BALLOON_SYSFS_DIR): Promise<BalloonSysfs> {
  const out: BalloonSysfs = { counters: {}, tunables: {} };
  try {
    for (const name of (await fs.readdir(dir)).sort()) {
      const file = path.join(dir, name);
      const st = await fs.stat(file);
      if (!st.isFile()) continue;
      if ((st.mode & (fsConstants.S_IRUSR | fsConstants.S_IRGRP | fsConstants.S_IROTH)) === 0) continue;
      const value = parseSysfsValue(await fs.readFile(file, 'utf8'), name);
      (isWritable(st.mode) ? out.tunables : out.counters)[name] = value;
    }
  } catch (err) {
    throw wrap(err, dir);
  }
  return out;
}

/** Reads one counter or tunable by file name. */
export async function readBalloonSysfsValue(name: string, dir: string = BALLOON_SYSFS_DIR): Promise<SysfsValue> {
  if (typeof name !== 'string' || name === '' || name.includes('/') || name === '.' || name === '..') {
    throw new TypeError(`readBalloonSysfsValue: name must be a plain file name, got ${JSON.stringify(name)}`);
  }
  try {
    return parseSysfsValue(await fs.readFile(path.join(dir, name), 'utf8'), name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        await fs.access(dir);
      } catch (dirErr) {
        throw wrap(dirErr, dir);
      }
      throw new BalloonSysfsError(`${path.join(dir, name)} does not exist: no such balloon counter or tunable`, 'ENOENT', path.join(dir, name), {
        cause: err,
      });
    }
    throw wrap(err, dir);
  }
}
