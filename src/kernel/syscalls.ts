/**
 * The balloon syscalls (kernel-patch/include/uapi/linux/balloon.h):
 *   balloon_ctl(BALLOON_REGISTER | BALLOON_UNREGISTER | BALLOON_QUERY, 0)
 *   balloon_swapout(ranges, count, flags, &result)
 * Arguments are checked here (TypeError / RangeError) before anything reaches
 * the kernel; kernel errors become {@link BalloonSyscallError}.
 *
 * On a kernel without the patch every call fails with ENOSYS. The addon does not
 * even enter the kernel there: the series' syscall numbers (442, 443) belong to
 * other syscalls (mount_setattr, quotactl_fd) on kernels newer than its base.
 */
import { addon } from './addon.js';
import { translateError } from './errors.js';
import type { NativeConstants, NativeKernelProbe, NativeSwapOutResult } from './native.js';
import { MemoryRegion } from './regions.js';

/** What one balloon_swapout() did (its return value and struct balloon_swapout_result). */
export type SwapOutResult = Readonly<NativeSwapOutResult>;

/** A range to swap out: [start, length] in bytes, page-aligned. */
export type SwapOutRange = readonly [start: bigint, length: bigint | number] | { readonly start: bigint; readonly length: bigint | number };

/** Ranges in any of the accepted forms. */
export type SwapOutRanges = BigUint64Array | MemoryRegion | readonly SwapOutRange[];

/** balloon_swapout flags (values from the kernel header). */
export const SwapOutFlags = {
  /** Start writeback, do not wait for it (BALLOON_SWAPOUT_ASYNC). */
  get ASYNC(): number {
    return headerConstant('BALLOON_SWAPOUT_ASYNC');
  },
  /** Split every huge page met (BALLOON_SWAPOUT_THP_SPLIT). */
  get THP_SPLIT(): number {
    return headerConstant('BALLOON_SWAPOUT_THP_SPLIT');
  },
  /** Skip partly covered huge pages (BALLOON_SWAPOUT_THP_NOSPLIT). */
  get THP_NOSPLIT(): number {
    return headerConstant('BALLOON_SWAPOUT_THP_NOSPLIT');
  },
} as const;

export interface SwapOutOptions {
  /** OR of {@link SwapOutFlags}; default 0 (synchronous: pages are freed on return). */
  flags?: number;
}

/** The kernel header's constants, as compiled into the addon (empty without the header). */
export function balloonConstants(): Readonly<NativeConstants> {
  return addon().constants;
}

function headerConstant(name: keyof NativeConstants): number {
  const v = addon().constants[name];
  if (v === undefined) {
    throw new TypeError(
      `${name} is unknown: the addon was built without kernel-patch/include/uapi/linux/balloon.h; rebuild it with npm run build:native`,
    );
  }
  return v;
}

/** What the addon knows about the running kernel. */
export function kernelProbe(): NativeKernelProbe {
  return addon().kernelProbe();
}

function translate(err: unknown, op?: string): unknown {
  return translateError(err, { headerMissing: !addon().haveUapiHeader, ...(op === undefined ? {} : { op }) });
}

function checkFlags(fn: string, flags: unknown): number {
  if (flags === undefined) return 0;
  if (typeof flags !== 'number') throw new TypeError(`${fn}: flags must be a number, got ${typeof flags}`);
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    throw new RangeError(`${fn}: flags must be an unsigned 32-bit integer, got ${flags}`);
  }
  const known = addon().constants.BALLOON_SWAPOUT_FLAGS;
  if (known !== undefined && (flags & ~known) !== 0) {
    throw new RangeError(`${fn}: unknown flag bits 0x${(flags & ~known).toString(16)} (known: 0x${known.toString(16)}, see SwapOutFlags)`);
  }
  const { BALLOON_SWAPOUT_THP_SPLIT: split, BALLOON_SWAPOUT_THP_NOSPLIT: nosplit } = addon().constants;
  if (split !== undefined && nosplit !== undefined && flags & split && flags & nosplit) {
    throw new RangeError(`${fn}: THP_SPLIT and THP_NOSPLIT exclude each other`);
  }
  return flags;
}

/**
 * Normalizes ranges to a BigUint64Array of start/length pairs and checks them:
 * page-aligned, non-empty, no overflow, within the per-call limits. Whether each
 * lies inside a live memory region is checked by the addon (also before the syscall).
 */
export function toRangeArray(fn: string, ranges: SwapOutRanges): BigUint64Array {
  let out: BigUint64Array;
  if (ranges instanceof MemoryRegion) {
    out = BigUint64Array.from(ranges.range());
  } else if (ranges instanceof BigUint64Array) {
    out = ranges;
  } else if (Array.isArray(ranges)) {
    out = new BigUint64Array(ranges.length * 2);
    ranges.forEach((r: unknown, i: number) => {
      let start: unknown;
      let length: unknown;
      if (Array.isArray(r)) [start, length] = r as unknown[];
      else if (typeof r === 'object' && r !== null) ({ start, length } = r as { start: unknown; length: unknown });
      else throw new TypeError(`${fn}: range ${i} must be [start, length] or { start, length }`);
      if (typeof start !== 'bigint') throw new TypeError(`${fn}: range ${i}: start must be a bigint`);
      if (typeof length !== 'bigint' && typeof length !== 'number') {
        throw new TypeError(`${fn}: range ${i}: length must be a bigint or number`);
      }
      if (typeof length === 'number' && !Number.isSafeInteger(length)) throw new RangeError(`${fn}: range ${i}: length must be an integer`);
      const len = BigInt(length);
      if (start < 0n || len < 0n || start >= 1n << 64n || len >= 1n << 64n) throw new RangeError(`${fn}: range ${i} is out of range`);
      out[i * 2] = start;
      out[i * 2 + 1] = len;
    });
  } else {
    throw new TypeError(`${fn}: ranges must be a BigUint64Array of start/length pairs, an array of ranges, or a MemoryRegion`);
  }
  if (out.length === 0 || out.length % 2 !== 0) {
    throw new RangeError(`${fn}: ranges must hold a non-zero, even number of values (start/length pairs), got ${out.length}`);
  }
  const { BALLOON_SWAPOUT_MAX_RANGES: maxRanges, BALLOON_SWAPOUT_MAX_PAGES: maxPages } = addon().constants;
  if (maxRanges !== undefined && out.length / 2 > maxRanges) {
    throw new RangeError(`${fn}: at most ${maxRanges} ranges per call (BALLOON_SWAPOUT_MAX_RANGES), got ${out.length / 2}; split the request`);
  }
  const page = BigInt(addon().pageSize);
  let pages = 0n;
  for (let i = 0; i < out.length; i += 2) {
    const start = out[i]!;
    const len = out[i + 1]!;
    if (start % page !== 0n) throw new RangeError(`${fn}: range ${i / 2}: start 0x${start.toString(16)} is not page-aligned`);
    if (len === 0n || len % page !== 0n) {
      throw new RangeError(`${fn}: range ${i / 2}: length ${len} must be a non-zero multiple of the page size (${page})`);
    }
    if (start + len > (1n << 64n) - 1n) throw new RangeError(`${fn}: range ${i / 2}: start + length overflows`);
    pages += len / page;
  }
  if (maxPages !== undefined && pages > BigInt(maxPages)) {
    throw new RangeError(`${fn}: at most ${maxPages} pages per call (BALLOON_SWAPOUT_MAX_PAGES), got ${pages}; split the request`);
  }
  return out;
}

/**
 * Writes the anonymous pages of `ranges` to swap and frees them. Runs on a
 * libuv pool thread (it waits for the I/O); resolves with what the kernel did.
 * Needs {@link register} first (EPERM otherwise).
 */
export async function swapOut(ranges: SwapOutRanges, options: SwapOutOptions = {}): Promise<SwapOutResult> {
  const arr = toRangeArray('swapOut', ranges);
  const flags = checkFlags('swapOut', options.flags);
  // One handler for both: the addon throws synchronously on bad arguments and rejects on a failed call.
  try {
    return await addon().sysSwapOut(arr, flags);
  } catch (err) {
    throw translate(err);
  }
}

/** Synchronous {@link swapOut}: blocks the calling thread (tests, worker threads). */
export function swapOutSync(ranges: SwapOutRanges, options: SwapOutOptions = {}): SwapOutResult {
  const arr = toRangeArray('swapOutSync', ranges);
  const flags = checkFlags('swapOutSync', options.flags);
  try {
    return addon().sysSwapOutSync(arr, flags);
  } catch (err) {
    throw translate(err);
  }
}

function ctl(op: 'register' | 'unregister' | 'query'): number {
  const name = op === 'register' ? 'BALLOON_REGISTER' : op === 'unregister' ? 'BALLOON_UNREGISTER' : 'BALLOON_QUERY';
  const native = addon();
  // Without the header there is no op number: the addon fails with ENOSYS anyway.
  const code = native.constants[name] ?? 0;
  try {
    return native.sysCtl(code, 0);
  } catch (err) {
    throw translate(err, op);
  }
}

/**
 * Registers this process with the balloon (balloon_ctl(BALLOON_REGISTER)):
 * from now on it gets SIGBALLOON requests (when it listens, see
 * onBalloonSignal) and the kernel keeps its anonymous memory out of swap.
 * Registering again is harmless. Ends on exit and execve.
 */
export function register(): void {
  ctl('register');
}

/** Unregisters this process (ENOENT when it was not registered). */
export function unregister(): void {
  ctl('unregister');
}

/** Whether this process is registered (balloon_ctl(BALLOON_QUERY)). */
export function isRegistered(): boolean {
  return ctl('query') === 1;
}
