import { nodeFileIo, openKernelFile, preadFully, pwriteFully, type FileIo } from './file-io.js';

/** Bytes per bitmap word; each word covers 64 page frames. */
export const IDLE_WORD_BYTES = 8;
export const PFNS_PER_IDLE_WORD = 64;

export interface PageIdleBitmapOptions {
  /** The page_idle bitmap; tests point this at a synthetic file. */
  path: string;
  io: FileIo;
}

export const DEFAULT_PAGE_IDLE_BITMAP_OPTIONS: PageIdleBitmapOptions = {
  path: '/sys/kernel/mm/page_idle/bitmap',
  io: nodeFileIo,
};

/**
 * Batched access to /sys/kernel/mm/page_idle/bitmap.
 *
 * Usage per scan: `plan(sortedUniquePfns)` groups the frames into contiguous
 * runs of 64-bit words; `read()` issues one pread per run (looping on the
 * short counts sysfs returns beyond 4096 bytes); `isIdle(pfn)` answers from
 * the buffer; `markIdle()` writes the 1-bits of exactly the planned frames
 * (0-bits are ignored by the kernel), again one pwrite loop per run.
 * Buffers grow to the largest plan and are then reused.
 */
export class PageIdleBitmap {
  private readonly options: PageIdleBitmapOptions;
  private fd: number | undefined;
  private bytes = new Uint8Array(0);
  private runStartWord = new Float64Array(0);
  private runWordCount = new Uint32Array(0);
  private runByteOffset = new Uint32Array(0);
  private runs = 0;
  private plannedPfns: Float64Array = new Float64Array(0);
  private plannedCount = 0;
  /** Bytes of the buffer the planned runs use. */
  private plannedBytes = 0;
  private lastRun = 0;

  constructor(options: Partial<PageIdleBitmapOptions> = {}) {
    this.options = { ...DEFAULT_PAGE_IDLE_BITMAP_OPTIONS, ...options };
  }

  get path(): string {
    return this.options.path;
  }

  /** Number of contiguous word runs in the current plan (= calls per pass, before short-count loops). */
  get runCount(): number {
    return this.runs;
  }

  /** Plans I/O for `count` PFNs, which must be sorted ascending without duplicates. */
  plan(sortedUniquePfns: Float64Array, count: number): void {
    if (this.runStartWord.length < count) {
      this.runStartWord = new Float64Array(count);
      this.runWordCount = new Uint32Array(count);
      this.runByteOffset = new Uint32Array(count);
    }
    let runs = 0;
    let words = 0;
    let previousWord = -2;
    for (let i = 0; i < count; i++) {
      const word = Math.floor(sortedUniquePfns[i]! / PFNS_PER_IDLE_WORD);
      if (word === previousWord) continue;
      if (word === previousWord + 1 && runs > 0) {
        this.runWordCount[runs - 1]!++;
      } else {
        this.runStartWord[runs] = word;
        this.runWordCount[runs] = 1;
        this.runByteOffset[runs] = words * IDLE_WORD_BYTES;
        runs++;
      }
      words++;
      previousWord = word;
    }
    this.runs = runs;
    this.plannedBytes = words * IDLE_WORD_BYTES;
    if (this.bytes.length < this.plannedBytes) this.bytes = new Uint8Array(this.plannedBytes);
    this.plannedPfns = sortedUniquePfns;
    this.plannedCount = count;
    this.lastRun = 0;
  }

  /** Reads the planned words into the buffer. */
  read(): void {
    this.transferRuns(preadFully);
  }

  /** True if the frame's idle bit was still set at the last read (not accessed since marked). */
  isIdle(pfn: number): boolean {
    const word = Math.floor(pfn / PFNS_PER_IDLE_WORD);
    const r = this.findRun(word);
    if (r < 0) return false;
    const bit = pfn - word * PFNS_PER_IDLE_WORD;
    const byte = this.runByteOffset[r]! + (word - this.runStartWord[r]!) * IDLE_WORD_BYTES + (bit >> 3);
    return ((this.bytes[byte]! >> (bit & 7)) & 1) === 1;
  }

  /** Marks every planned frame idle. */
  markIdle(): void {
    this.bytes.fill(0, 0, this.plannedBytes);
    let r = 0;
    for (let i = 0; i < this.plannedCount; i++) {
      const pfn = this.plannedPfns[i]!;
      const word = Math.floor(pfn / PFNS_PER_IDLE_WORD);
      while (word >= this.runStartWord[r]! + this.runWordCount[r]!) r++;
      const bit = pfn - word * PFNS_PER_IDLE_WORD;
      const byte = this.runByteOffset[r]! + (word - this.runStartWord[r]!) * IDLE_WORD_BYTES + (bit >> 3);
      this.bytes[byte]! |= 1 << (bit & 7);
    }
    this.transferRuns(pwriteFully);
  }

  /** Moves every planned run of words between the buffer and the bitmap file. */
  private transferRuns(transfer: typeof preadFully): void {
    const fd = this.ensureOpen();
    for (let r = 0; r < this.runs; r++) {
      transfer(
        this.options.io,
        fd,
        this.bytes,
        this.runByteOffset[r]!,
        this.runWordCount[r]! * IDLE_WORD_BYTES,
        this.runStartWord[r]! * IDLE_WORD_BYTES,
        this.options.path,
      );
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      this.options.io.close(this.fd);
      this.fd = undefined;
    }
  }

  private findRun(word: number): number {
    const cached = this.lastRun;
    if (cached < this.runs && word >= this.runStartWord[cached]! && word < this.runStartWord[cached]! + this.runWordCount[cached]!) {
      return cached;
    }
    let lo = 0;
    let hi = this.runs - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const start = this.runStartWord[mid]!;
      if (word < start) hi = mid - 1;
      else if (word >= start + this.runWordCount[mid]!) lo = mid + 1;
      else {
        this.lastRun = mid;
        return mid;
      }
    }
    return -1;
  }

  private ensureOpen(): number {
    if (this.fd === undefined) this.fd = openKernelFile(this.options.io, this.options.path, 'r+', 'page_idle bitmap');
    return this.fd;
  }
}
