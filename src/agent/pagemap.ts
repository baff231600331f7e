import { AgentError } from './errors.js';
import { nodeFileIo, openKernelFile, preadFully, type FileIo } from './file-io.js';
import { PAGE_SHIFT, type PageRange } from './page-state.js';
import type { RegionLayout } from './region-layout.js';

/** Bytes per /proc/<pid>/pagemap entry. */
export const PAGEMAP_ENTRY_BYTES = 8;

/** Bits of the 64-bit pagemap entry (Documentation/admin-guide/mm/pagemap.rst). */
export const PagemapBit = {
  Present: 63n,
  Swapped: 62n,
  FileOrSharedAnon: 61n,
  ExclusivelyMapped: 56n,
  SoftDirty: 55n,
} as const;

/** Compact per-page flags the bulk decoder writes (one byte per page). */
export const PageFlag = {
  Present: 1,
  Swapped: 2,
  FileOrSharedAnon: 4,
  ExclusivelyMapped: 8,
  SoftDirty: 16,
} as const;

/** Value stored in the PFN array for pages that have no PFN (absent or swapped). */
export const NO_PFN = -1;

const PFN_MASK = (1n << 55n) - 1n;

/** One decoded entry; for tests, tools and debugging (the hot path uses decodePagemapEntries). */
export interface PagemapEntry {
  present: boolean;
  swapped: boolean;
  fileOrSharedAnon: boolean;
  exclusivelyMapped: boolean;
  softDirty: boolean;
  /** Page frame number when present (0 if hidden from an unprivileged reader). */
  pfn: bigint | undefined;
  swapType: number | undefined;
  swapOffset: bigint | undefined;
}

export function decodePagemapEntry(entry: bigint): PagemapEntry {
  const bit = (n: bigint): boolean => ((entry >> n) & 1n) === 1n;
  const present = bit(PagemapBit.Present);
  const swapped = bit(PagemapBit.Swapped);
  return {
    present,
    swapped,
    fileOrSharedAnon: bit(PagemapBit.FileOrSharedAnon),
    exclusivelyMapped: bit(PagemapBit.ExclusivelyMapped),
    softDirty: bit(PagemapBit.SoftDirty),
    pfn: present ? entry & PFN_MASK : undefined,
    swapType: swapped ? Number(entry & 0x1fn) : undefined,
    swapOffset: swapped ? (entry & PFN_MASK) >> 5n : undefined,
  };
}

/** Builds a raw entry; the inverse of decodePagemapEntry, used by tests and the bench. */
export function encodePagemapEntry(fields: {
  present?: boolean;
  swapped?: boolean;
  fileOrSharedAnon?: boolean;
  exclusivelyMapped?: boolean;
  softDirty?: boolean;
  pfn?: bigint;
  swapType?: number;
  swapOffset?: bigint;
}): bigint {
  let entry = 0n;
  if (fields.present) entry |= 1n << PagemapBit.Present;
  if (fields.swapped) entry |= 1n << PagemapBit.Swapped;
  if (fields.fileOrSharedAnon) entry |= 1n << PagemapBit.FileOrSharedAnon;
  if (fields.exclusivelyMapped) entry |= 1n << PagemapBit.ExclusivelyMapped;
  if (fields.softDirty) entry |= 1n << PagemapBit.SoftDirty;
  if (fields.present && fields.pfn !== undefined) entry |= fields.pfn & PFN_MASK;
  if (fields.swapped) {
    entry |= BigInt((fields.swapType ?? 0) & 0x1f);
    entry |= ((fields.swapOffset ?? 0n) << 5n) & PFN_MASK;
  }
  return entry;
}

/**
 * Decodes `count` little-endian entries from `words` (a Uint32Array view: low
 * word then high word per entry) into per-page flags and PFNs, starting at
 * `outOffset`. No BigInt and no allocation: 32-bit halves only.
 * PFNs are returned as doubles (exact below 2^53, i.e. any real machine).
 */
export function decodePagemapEntries(
  words: Uint32Array,
  count: number,
  flagsOut: Uint8Array,
  pfnOut: Float64Array,
  outOffset: number,
): void {
  for (let i = 0; i < count; i++) {
    const low = words[2 * i]!;
    const high = words[2 * i + 1]!;
    let flags = 0;
    if (high & 0x80000000) flags |= PageFlag.Present;
    if (high & 0x40000000) flags |= PageFlag.Swapped;
    if (high & 0x20000000) flags |= PageFlag.FileOrSharedAnon;
    if (high & 0x01000000) flags |= PageFlag.ExclusivelyMapped;
    if (high & 0x00800000) flags |= PageFlag.SoftDirty;
    flagsOut[outOffset + i] = flags;
    pfnOut[outOffset + i] = flags & PageFlag.Present ? (high & 0x7fffff) * 4294967296 + low : NO_PFN;
  }
}

export interface PagemapReaderOptions {
  /** Pagemap file; tests point this at a synthetic file. */
  path: string;
  io: FileIo;
  /** Largest number of entries per pread (bounds the reused buffer: 8 bytes each). */
  maxEntriesPerRead: number;
}

export const DEFAULT_PAGEMAP_READER_OPTIONS: PagemapReaderOptions = {
  path: '/proc/self/pagemap',
  io: nodeFileIo,
  maxEntriesPerRead: 1 << 18, // 2 MiB buffer = 1 GiB of address space per call
};

/** Reads pagemap entries for virtual page ranges, one pread per chunk. */
export class PagemapReader {
  private readonly options: PagemapReaderOptions;
  private fd: number | undefined;
  private bytes: Uint8Array = new Uint8Array(0);
  private words: Uint32Array = new Uint32Array(0);

  constructor(options: Partial<PagemapReaderOptions> = {}) {
    this.options = { ...DEFAULT_PAGEMAP_READER_OPTIONS, ...options };
    const probe = new Uint16Array([1]);
    if (new Uint8Array(probe.buffer)[0] !== 1) {
      throw new AgentError('pagemap decoding assumes a little-endian host', {});
    }
  }

  get path(): string {
    return this.options.path;
  }

  /**
   * Decodes entries for `count` pages starting at virtual page number
   * `firstVirtualPage` into flagsOut/pfnOut at outOffset.
   */
  read(firstVirtualPage: number, count: number, flagsOut: Uint8Array, pfnOut: Float64Array, outOffset: number): void {
    const fd = this.ensureOpen();
    const chunk = Math.min(count, this.options.maxEntriesPerRead);
    if (this.words.length < chunk * 2) {
      const buffer = new ArrayBuffer(chunk * PAGEMAP_ENTRY_BYTES);
      this.bytes = new Uint8Array(buffer);
      this.words = new Uint32Array(buffer);
    }
    for (let done = 0; done < count; ) {
      const n = Math.min(chunk, count - done);
      preadFully(
        this.options.io,
        fd,
        this.bytes,
        0,
        n * PAGEMAP_ENTRY_BYTES,
        (firstVirtualPage + done) * PAGEMAP_ENTRY_BYTES,
        this.options.path,
      );
      decodePagemapEntries(this.words, n, flagsOut, pfnOut, outOffset + done);
      done += n;
    }
  }

  /**
   * Decodes the entries of the given pages of the layout (ranges of its page
   * indices) into flagsOut/pfnOut at their page index; the other entries are
   * left as they were.
   */
  readPages(layout: RegionLayout, ranges: readonly PageRange[], flagsOut: Uint8Array, pfnOut: Float64Array): void {
    for (const { first, count } of ranges) {
      const end = first + count;
      for (let page = first; page < end; ) {
        const r = layout.regionOf(page);
        const n = Math.min(end, layout.firstPage[r]! + layout.pageCounts[r]!) - page;
        this.read(Number(layout.regions[r]!.start >> PAGE_SHIFT) + page - layout.firstPage[r]!, n, flagsOut, pfnOut, page);
        page += n;
      }
    }
  }

  /** Decodes the entries of every page of the layout's regions into flagsOut/pfnOut, indexed by the layout's page index. */
  readLayout(layout: RegionLayout, flagsOut: Uint8Array, pfnOut: Float64Array): void {
    for (let r = 0; r < layout.regions.length; r++) {
      this.read(Number(layout.regions[r]!.start >> PAGE_SHIFT), layout.pageCounts[r]!, flagsOut, pfnOut, layout.firstPage[r]!);
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      this.options.io.close(this.fd);
      this.fd = undefined;
    }
  }

  private ensureOpen(): number {
    if (this.fd === undefined) this.fd = openKernelFile(this.options.io, this.options.path, 'r', 'pagemap');
    return this.fd;
  }
}
