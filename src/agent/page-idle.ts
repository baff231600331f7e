import { AgentError } from './errors.js';
import { nodeFileIo, openKernelFile, type FileIo } from './file-io.js';

/** Bytes per bitmap word; each word covers 64 page frames. */
export const IDLE_WORD_BYTES = 8;
export const PFNS_PER_IDLE_WORD = 64;

export interface PageIdleBitmapOptions {
  /** The page_idle bitmap; tests point this at a synthetic file. */
  path: string;
  io: FileIo;
  /**
   * Frames the bitmap covers (the kernel's max_pfn), when known. Otherwise
   * the end is found where a read meets end of file or a write is refused
   * (ENXIO), the first time a scan gets there.
   */
  maxPfn?: number;
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
 *
 * The bitmap ends at the kernel's max_pfn, rounded down to whole words
 * (reads there return 0 bytes, writes fail with ENXIO). Frames at or past
 * its end cannot be tracked: they are left out of the plan and read as not
 * idle (accessed), as no evidence of idleness exists for them.
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
  /** Words the bitmap holds (Infinity until its end is known). */
  private endWord: number;
  private untracked = 0;

  constructor(options: Partial<PageIdleBitmapOptions> = {}) {
    this.options = { ...DEFAULT_PAGE_IDLE_BITMAP_OPTIONS, ...options };
    const { maxPfn } = this.options;
    if (maxPfn !== undefined && !(Number.isSafeInteger(maxPfn) && maxPfn >= 0)) {
      throw new AgentError('maxPfn must be a non-negative integer', { maxPfn });
    }
    this.endWord = maxPfn === undefined ? Number.POSITIVE_INFINITY : Math.floor(maxPfn / PFNS_PER_IDLE_WORD);
  }

  /** Frames the bitmap covers, once known (the kernel's max_pfn rounded down to whole words). */
  get trackedFrames(): number {
    return this.endWord * PFNS_PER_IDLE_WORD;
  }

  /** Frames of the current plan past the bitmap's end (never idle). */
  get untrackedCount(): number {
    return this.untracked;
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
    const all = count;
    while (count > 0 && Math.floor(sortedUniquePfns[count - 1]! / PFNS_PER_IDLE_WORD) >= this.endWord) count--;
    this.untracked = all - count;
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
    this.transferRuns('read');
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
    this.transferRuns('write');
  }

  /**
   * Moves every planned run of words between the buffer and the bitmap file,
   * looping on short transfers. Where the file ends (a read of 0 bytes, a
   * write of 0 bytes or ENXIO), the bitmap's end is learnt and the plan cut
   * there.
   */
  private transferRuns(direction: 'read' | 'write'): void {
    const fd = this.ensureOpen();
    const { io } = this.options;
    for (let r = 0; r < this.runs; r++) {
      const offset = this.runByteOffset[r]!;
      const length = this.runWordCount[r]! * IDLE_WORD_BYTES;
      const position = this.runStartWord[r]! * IDLE_WORD_BYTES;
      for (let done = 0; done < length; ) {
        let n: number;
        try {
          n = direction === 'read' ? io.read(fd, this.bytes, offset + done, length - done, position + done) : io.write(fd, this.bytes, offset + done, length - done, position + done);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
          n = 0;
        }
        if (n <= 0) {
          this.cutAt(Math.floor((position + done) / IDLE_WORD_BYTES), r);
          return;
        }
        done += n;
      }
    }
  }

  /** The bitmap ends at `word` (inside run r or at its start): drop everything from there. */
  private cutAt(word: number, r: number): void {
    this.endWord = Math.min(this.endWord, word);
    const kept = word - this.runStartWord[r]!;
    this.bytes.fill(0, this.runByteOffset[r]! + kept * IDLE_WORD_BYTES, this.plannedBytes);
    this.runWordCount[r] = kept;
    this.runs = kept > 0 ? r + 1 : r;
    const all = this.plannedCount + this.untracked;
    while (this.plannedCount > 0 && Math.floor(this.plannedPfns[this.plannedCount - 1]! / PFNS_PER_IDLE_WORD) >= word) this.plannedCount--;
    this.untracked = all - this.plannedCount;
    this.lastRun = 0;
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
