/**
 * Memory regions: anonymous private mappings (mmap) that workloads fill and the
 * agent swaps out.
 *
 * Sharing with worker threads: the region's ArrayBuffer is an external buffer
 * and cannot be moved to another thread (postMessage copies it, even when it
 * is put in the transfer list). Send the region's `address` (a bigint) instead
 * and call {@link attachRegion} in the worker: it wraps the very same memory in
 * that thread's own ArrayBuffer.
 *
 * Lifetime: {@link MemoryRegion.free} unmaps the memory once no thread holds a
 * view any more. The freeing thread's ArrayBuffer is detached at once (length
 * 0) and its wrapper refuses access; other threads' views stay valid but read
 * zeroes (the pages are returned to the kernel immediately) until they call
 * {@link MemoryRegion.release} or exit, and only then is the range unmapped.
 */
import { readFileSync } from 'node:fs';
import { addon } from './addon.js';
import { translateError } from './errors.js';
import type { NativeRegion, NativeRegionInfo } from './native.js';

export type HugePageAdvice = 'default' | 'huge' | 'nohuge';

export interface AllocRegionOptions {
  /**
   * 'huge': madvise(MADV_HUGEPAGE), 2 MiB-aligned start, size a multiple of 2 MiB;
   * 'nohuge': madvise(MADV_NOHUGEPAGE); 'default' (default): no advice.
   */
  hugePages?: HugePageAdvice;
}

const adviceCode: Record<HugePageAdvice, 0 | 1 | 2> = { default: 0, huge: 1, nohuge: 2 };
const adviceName: Record<0 | 1 | 2, HugePageAdvice> = { 0: 'default', 1: 'huge', 2: 'nohuge' };

/** Page size of this machine, in bytes. */
export function pageSize(): number {
  return addon().pageSize;
}

/** Transparent huge page size the addon aligns to (2 MiB). */
export function hugePageSize(): number {
  return addon().hugePageSize;
}

/** Error thrown by a {@link MemoryRegion} used after free/release. */
export class RegionStateError extends Error {
  override name = 'RegionStateError';
  readonly code = 'ERR_BALLOON_REGION_GONE';
}

/** One thread's handle on a mapped region. */
export class MemoryRegion {
  /** Start address of the mapping. */
  readonly address: bigint;
  /** Length in bytes (page-aligned; 2 MiB-aligned with huge pages). */
  readonly size: number;
  readonly hugePages: HugePageAdvice;
  #buffer: ArrayBuffer | undefined;
  #state: 'live' | 'released' | 'freed' = 'live';

  /** @internal use {@link allocRegion} / {@link attachRegion}. */
  constructor(native: NativeRegion) {
    this.address = native.address;
    this.size = native.size;
    this.hugePages = adviceName[native.advice];
    this.#buffer = native.buffer;
  }

  /** 'live', or why this handle no longer gives access. */
  get state(): 'live' | 'released' | 'freed' {
    if (this.#state === 'live') {
      const info = addon().regionInfo(this.address);
      if (info === undefined || info.freed) return 'freed';
    }
    return this.#state;
  }

  /**
   * The memory, as an ArrayBuffer valid in this thread. Throws after free/release,
   * also when another thread freed the region (this thread's view is then given up,
   * so the memory can be unmapped).
   */
  get buffer(): ArrayBuffer {
    if (this.#state === 'live') {
      const info = addon().regionInfo(this.address);
      if (info === undefined || info.freed) {
        this.#state = 'freed';
        this.#buffer = undefined;
        addon().regionRelease(this.address);
      }
    }
    if (this.#state !== 'live' || this.#buffer === undefined) {
      throw new RegionStateError(
        `memory region 0x${this.address.toString(16)} was ${this.#state} in this thread; allocate or attach it again`,
      );
    }
    return this.#buffer;
  }

  /** A byte view over the whole region (or part of it). */
  bytes(offset = 0, length?: number): Uint8Array {
    const buffer = this.buffer;
    checkInt('offset', offset, 0, this.size);
    const len = length ?? this.size - offset;
    checkInt('length', len, 0, this.size - offset);
    return new Uint8Array(buffer, offset, len);
  }

  /** True when [start, start + length) lies inside this region. */
  contains(start: bigint, length: bigint | number): boolean {
    const len = BigInt(length);
    return start >= this.address && len >= 0n && start + len <= this.address + BigInt(this.size);
  }

  /** The [start, length] of a page-aligned part of the region, for {@link swapOut}. */
  range(offset = 0, length?: number): [bigint, bigint] {
    const len = length ?? this.size - offset;
    checkInt('offset', offset, 0, this.size);
    checkInt('length', len, 1, this.size - offset);
    const page = pageSize();
    if (offset % page !== 0 || len % page !== 0) {
      throw new RangeError(`offset (${offset}) and length (${len}) must be multiples of the page size (${page})`);
    }
    return [this.address + BigInt(offset), BigInt(len)];
  }

  /**
   * Gives up this thread's view (detaches its ArrayBuffer) without freeing the
   * region for the others. Returns false when it was already given up.
   */
  release(): boolean {
    if (this.#state !== 'live') return false;
    this.#state = 'released';
    this.#buffer = undefined;
    return addon().regionRelease(this.address);
  }

  /**
   * Frees the region for every thread (munmap once no thread holds a view).
   * Returns false when it was already freed (by this or another thread).
   */
  free(): boolean {
    if (this.#state === 'freed') return false;
    this.#state = 'freed';
    this.#buffer = undefined;
    return addon().regionFree(this.address);
  }
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${name} must be a safe integer, got ${typeof value === 'number' ? value : typeof value}`);
  }
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
}

/**
 * Maps `size` bytes of anonymous private memory (zero-filled, not yet backed by
 * pages). `size` must be a positive multiple of the page size, or of 2 MiB with
 * `hugePages: 'huge'`.
 */
export function allocRegion(size: number, options: AllocRegionOptions = {}): MemoryRegion {
  if (typeof size !== 'number') throw new TypeError(`allocRegion: size must be a number, got ${typeof size}`);
  if (!Number.isSafeInteger(size)) throw new RangeError(`allocRegion: size must be a safe integer, got ${size}`);
  if (size <= 0) throw new RangeError(`allocRegion: size must be greater than 0, got ${size}`);
  const hugePages = options.hugePages ?? 'default';
  if (!Object.hasOwn(adviceCode, hugePages)) {
    throw new TypeError(`allocRegion: hugePages must be 'default', 'huge' or 'nohuge', got ${String(hugePages)}`);
  }
  const align = hugePages === 'huge' ? hugePageSize() : pageSize();
  if (size % align !== 0) {
    throw new RangeError(
      `allocRegion: size must be a multiple of ${align} bytes${hugePages === 'huge' ? ' (2 MiB, for huge pages)' : ' (the page size)'}, got ${size}`,
    );
  }
  return new MemoryRegion(addon().regionAlloc(size, adviceCode[hugePages]));
}

/**
 * Wraps an existing region (allocated by any thread of this process) for this
 * thread, e.g. in a worker given the region's address. Throws a RangeError when
 * no live region starts at `address`.
 */
export function attachRegion(address: bigint): MemoryRegion {
  if (typeof address !== 'bigint') throw new TypeError(`attachRegion: address must be a bigint, got ${typeof address}`);
  if (address <= 0n || address >= 1n << 64n) throw new RangeError(`attachRegion: address out of range: ${address}`);
  return new MemoryRegion(addon().regionAttach(address));
}

export interface RegionInfo {
  address: bigint;
  size: number;
  hugePages: HugePageAdvice;
  /** Threads holding a view on it. */
  attachments: number;
}

/** Live (not freed) regions of the whole process. */
export function listRegions(): RegionInfo[] {
  return addon()
    .regionList()
    .map((r: NativeRegionInfo) => ({
      address: r.address,
      size: r.size,
      hugePages: adviceName[r.advice],
      attachments: r.attachments,
    }));
}

/** What {@link pinArrays} locked, and how to let go of it. */
export interface PinnedArrays {
  /** Bytes locked (whole pages). */
  bytes: number;
  /** munlock of the same pages; idempotent. */
  unpin(): void;
}

/**
 * Keeps the memory under these arrays resident (mlock of their whole pages),
 * so that the agent never waits for its own per-page arrays to come back from
 * swap while it answers the kernel: the kernel's fallback for a late answer
 * swaps out whatever of the process is cold, the agent's arrays included.
 * Arrays on a SharedArrayBuffer, and small ones (under a page), are left
 * alone. Throws a BalloonSyscallError (mlock: ENOMEM, EPERM or EAGAIN without
 * CAP_IPC_LOCK and enough RLIMIT_MEMLOCK), with nothing left locked.
 */
export function pinArrays(arrays: readonly ArrayBufferView[]): PinnedArrays {
  const buffers = [...new Set(arrays.map((a) => a.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && b.byteLength >= pageSize());
  const locked: ArrayBuffer[] = [];
  let bytes = 0;
  const unpin = (): void => {
    for (const b of locked.splice(0)) if (b.byteLength > 0) addon().unlockArrayBuffer(b);
  };
  try {
    for (const b of buffers) {
      bytes += addon().lockArrayBuffer(b);
      locked.push(b);
    }
  } catch (err) {
    unpin();
    throw translateError(err);
  }
  return { bytes, unpin };
}

/** A file-backed mapping of /proc/self/maps. */
export interface FileMapping {
  start: bigint;
  end: bigint;
  perms: string;
  path: string;
}

/**
 * The readable, private, file-backed mappings of a /proc/PID/maps text: the
 * code and read-only data of the executable and its libraries (the addon
 * included). Device files, /proc and /sys, memfd and deleted files are left
 * out, as are anonymous mappings (V8's heap among them).
 */
export function codeMappings(mapsText: string): FileMapping[] {
  const mappings: FileMapping[] = [];
  for (const line of mapsText.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s+(\/.*)$/.exec(line);
    if (m === null) continue;
    const [, start, end, perms, path] = m as unknown as [string, string, string, string, string];
    if (perms[0] !== 'r' || perms[3] !== 'p') continue;
    if (/^\/(dev|proc|sys|memfd:)/.test(path) || path.endsWith(' (deleted)')) continue;
    mappings.push({ start: BigInt(`0x${start}`), end: BigInt(`0x${end}`), perms, path });
  }
  return mappings;
}

/**
 * Keeps the code the process runs resident: mlock2(MLOCK_ONFAULT) of its
 * file-backed mappings ({@link codeMappings}: Node.js, its libraries, the
 * addon), so that the pages in memory now stay, and every other page stays
 * once it has been used. While a process is registered the kernel's own
 * reclaim takes only file pages, the code of every process included, and an
 * agent whose code is evicted answers the kernel at the speed of its page
 * faults. `bytes` is the size of the ranges marked, not the memory locked
 * (pages never used are never loaded). Throws a BalloonSyscallError (mlock2:
 * EPERM or ENOMEM without CAP_IPC_LOCK and enough RLIMIT_MEMLOCK), with
 * nothing left locked.
 */
export function pinCode(mapsText: string = readFileSync('/proc/self/maps', 'utf8')): PinnedArrays {
  const locked: FileMapping[] = [];
  let bytes = 0;
  const unpin = (): void => {
    for (const m of locked.splice(0)) {
      try {
        addon().unlockRange(m.start, Number(m.end - m.start));
      } catch {
        // Unmapped since (a library unloaded): nothing is locked there any more.
      }
    }
  };
  try {
    for (const m of codeMappings(mapsText)) {
      bytes += addon().lockRangeOnFault(m.start, Number(m.end - m.start));
      locked.push(m);
    }
  } catch (err) {
    unpin();
    throw translateError(err);
  }
  return { bytes, unpin };
}
