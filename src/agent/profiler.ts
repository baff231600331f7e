import { AgentError, PROFILER_ADVICE } from './errors.js';
import { nodeFileIo, openKernelFile, preadFully, type FileIo } from './file-io.js';
import { DEFAULT_PAGE_IDLE_BITMAP_OPTIONS, PageIdleBitmap } from './page-idle.js';
import { DEFAULT_PAGEMAP_READER_OPTIONS, NO_PFN, PageFlag, PagemapReader } from './pagemap.js';
import { PAGE_SHIFT, PageState, type ByteRange } from './page-state.js';
import { RegionLayout } from './region-layout.js';

export interface ProfilerOptions {
  pagemapPath: string;
  idleBitmapPath: string;
  /** /proc/kpageflags: tells a transparent huge page's head frame (read only for aligned candidates). */
  kpageflagsPath: string;
  /** I/O layer (injectable to count calls or emulate short sysfs transfers). */
  io: FileIo;
  /** Largest pagemap pread, in entries. */
  maxPagemapEntriesPerRead: number;
  /**
   * What to report for present pages on the very first scan, when nothing has
   * been marked idle yet. true (default) = "accessed": never call a page
   * cold without evidence.
   */
  assumeAccessedOnFirstScan: boolean;
}

export const DEFAULT_PROFILER_OPTIONS: ProfilerOptions = {
  pagemapPath: DEFAULT_PAGEMAP_READER_OPTIONS.path,
  idleBitmapPath: DEFAULT_PAGE_IDLE_BITMAP_OPTIONS.path,
  kpageflagsPath: '/proc/kpageflags',
  io: nodeFileIo,
  maxPagemapEntriesPerRead: DEFAULT_PAGEMAP_READER_OPTIONS.maxEntriesPerRead,
  assumeAccessedOnFirstScan: true,
};

/** Result of one scan. The arrays are owned by the profiler and overwritten by the next scan. */
export interface ScanResult {
  scan: number;
  /** 1 = accessed since the previous scan (idle bit cleared, or PFN changed). */
  accessed: Uint8Array;
  /** PageState per page. */
  state: Uint8Array;
  /** PFN per page (NO_PFN when not present). */
  pfn: Float64Array;
  /** Raw pagemap flags per page (PageFlag bits). */
  flags: Uint8Array;
  present: number;
  swapped: number;
  /** Pages whose PFN differs from the one marked idle last scan. */
  pfnChanged: number;
  /** Pages mapped by a transparent huge page (head and tails). */
  thpPages: number;
}

/** /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst). */
export const KPageFlag = { CompoundHead: 15, CompoundTail: 16, Thp: 22 } as const;

/** Base pages per PMD-mapped transparent huge page (x86-64). */
export const THP_PAGES = 512;

/**
 * Learns which pages of the managed regions were touched since the previous
 * scan, using pagemap (residency, PFN) and the page_idle bitmap.
 *
 * Per scan: one pagemap pread per region (or per large chunk); PFNs of present
 * pages are sorted and deduplicated (a THP contributes 512 consecutive PFNs,
 * i.e. 8 consecutive bitmap words); the bitmap is read and then re-marked with
 * one pread/pwrite loop per contiguous run of words. A page counts as accessed
 * when its idle bit was cleared, or when its PFN changed since it was marked
 * (swapped in, migrated or newly faulted). Swapped and absent pages are never
 * "accessed" and never reported present. All buffers are allocated once.
 *
 * Transparent huge pages: the kernel tracks idleness only on a THP's head
 * frame (a tail frame never reads idle), so the head's bit stands for all 512
 * pages. A THP is recognised as 512 present pages at a 2 MiB-aligned virtual
 * address with consecutive frames from a 512-aligned one, confirmed (once per
 * head frame) by /proc/kpageflags (COMPOUND_HEAD and THP). Tail frames are
 * neither read nor marked.
 */
export class Profiler {
  readonly layout: RegionLayout;
  private readonly options: ProfilerOptions;
  private readonly pagemap: PagemapReader;
  private readonly bitmap: PageIdleBitmap;
  private readonly result: ScanResult;
  private readonly markedPfn: Float64Array;
  private readonly sortedPfns: Float64Array;
  /** For a THP tail page, the index of its head page; -1 otherwise. */
  private readonly thpHead: Int32Array;
  /** Per candidate head page: the frame last looked up in kpageflags, and whether it was a THP head. */
  private readonly checkedHeadPfn: Float64Array;
  private readonly checkedIsThp: Uint8Array;
  private kpageflagsFd: number | undefined;
  private readonly kpageflagsEntry = new Uint8Array(8);
  private scans = 0;

  constructor(regions: readonly ByteRange[], options: Partial<ProfilerOptions> = {}) {
    this.options = { ...DEFAULT_PROFILER_OPTIONS, ...options };
    this.layout = new RegionLayout(regions);
    const n = this.layout.pageCount;
    this.pagemap = new PagemapReader({
      path: this.options.pagemapPath,
      io: this.options.io,
      maxEntriesPerRead: this.options.maxPagemapEntriesPerRead,
    });
    this.bitmap = new PageIdleBitmap({ path: this.options.idleBitmapPath, io: this.options.io });
    this.result = {
      scan: 0,
      accessed: new Uint8Array(n),
      state: new Uint8Array(n),
      pfn: new Float64Array(n),
      flags: new Uint8Array(n),
      present: 0,
      swapped: 0,
      pfnChanged: 0,
      thpPages: 0,
    };
    this.markedPfn = new Float64Array(n).fill(NO_PFN);
    this.sortedPfns = new Float64Array(n);
    this.thpHead = new Int32Array(n).fill(-1);
    this.checkedHeadPfn = new Float64Array(n).fill(NO_PFN);
    this.checkedIsThp = new Uint8Array(n);
  }

  /** The per-page arrays (to keep resident: AgentSession's pin); the read buffers of pagemap and the bitmap are not among them. */
  arrays(): ArrayBufferView[] {
    const r = this.result;
    return [r.accessed, r.state, r.pfn, r.flags, this.markedPfn, this.sortedPfns, this.thpHead, this.checkedHeadPfn, this.checkedIsThp];
  }

  /** Number of word runs the last scan used (bitmap calls per pass, before short-count loops). */
  get lastBitmapRuns(): number {
    return this.bitmap.runCount;
  }

  scan(): ScanResult {
    const { layout, result } = this;
    const { flags, pfn, state, accessed } = result;
    this.pagemap.readLayout(layout, flags, pfn);

    const thpPages = this.findHugePages();
    let present = 0;
    let planned = 0;
    let swapped = 0;
    let nonZeroPfn = false;
    for (let i = 0; i < layout.pageCount; i++) {
      const f = flags[i]!;
      if (f & PageFlag.Present) {
        state[i] = PageState.Present;
        present++;
        if (this.thpHead[i]! < 0) this.sortedPfns[planned++] = pfn[i]!;
        if (pfn[i]! !== 0) nonZeroPfn = true;
      } else if (f & PageFlag.Swapped) {
        state[i] = PageState.Swapped;
        swapped++;
      } else {
        state[i] = PageState.Absent;
      }
    }
    if (present > 0 && !nonZeroPfn) {
      throw new AgentError(`pagemap reports present pages without PFNs (hidden from unprivileged readers): ${PROFILER_ADVICE}`, {
        path: this.options.pagemapPath,
        present,
      });
    }

    const sorted = this.sortedPfns.subarray(0, planned).sort();
    let unique = 0;
    for (let i = 0; i < planned; i++) {
      const value = sorted[i]!;
      if (unique === 0 || sorted[unique - 1] !== value) sorted[unique++] = value;
    }
    this.bitmap.plan(sorted, unique);

    const firstScan = this.scans === 0;
    if (!firstScan && unique > 0) this.bitmap.read();
    let pfnChanged = 0;
    for (let i = 0; i < layout.pageCount; i++) {
      if (state[i] !== PageState.Present) {
        accessed[i] = 0;
        continue;
      }
      const frame = pfn[i]!;
      if (firstScan) {
        accessed[i] = this.options.assumeAccessedOnFirstScan ? 1 : 0;
      } else if (this.markedPfn[i] !== frame) {
        pfnChanged++;
        accessed[i] = 1;
      } else if (this.thpHead[i]! >= 0) {
        accessed[i] = accessed[this.thpHead[i]!]!; // the head comes first
      } else {
        accessed[i] = this.bitmap.isIdle(frame) ? 0 : 1;
      }
    }
    if (unique > 0) this.bitmap.markIdle();
    this.markedPfn.set(pfn);

    this.scans++;
    result.scan = this.scans;
    result.present = present;
    result.swapped = swapped;
    result.pfnChanged = pfnChanged;
    result.thpPages = thpPages;
    return result;
  }

  /** Fills thpHead from this scan's pagemap data; returns the pages THPs map. */
  private findHugePages(): number {
    const { layout, result, thpHead } = this;
    const { flags, pfn } = result;
    thpHead.fill(-1);
    let pages = 0;
    for (let r = 0; r < layout.regions.length; r++) {
      const firstVirtualPage = Number(layout.regions[r]!.start >> PAGE_SHIFT);
      const base = layout.firstPage[r]!;
      const count = layout.pageCounts[r]!;
      for (let k = (THP_PAGES - (firstVirtualPage % THP_PAGES)) % THP_PAGES; k + THP_PAGES <= count; k += THP_PAGES) {
        const head = base + k;
        const frame = pfn[head]!;
        if (!(flags[head]! & PageFlag.Present) || frame % THP_PAGES !== 0) continue;
        let contiguous = true;
        for (let j = 1; j < THP_PAGES && contiguous; j++) contiguous = (flags[head + j]! & PageFlag.Present) !== 0 && pfn[head + j] === frame + j;
        if (!contiguous || !this.isThpHead(head, frame)) continue;
        for (let j = 1; j < THP_PAGES; j++) thpHead[head + j] = head;
        pages += THP_PAGES;
      }
    }
    return pages;
  }

  /** Whether `frame`, mapped at page index `page`, is a THP's head (kpageflags, looked up once per frame). */
  private isThpHead(page: number, frame: number): boolean {
    if (this.checkedHeadPfn[page] !== frame) {
      this.kpageflagsFd ??= openKernelFile(this.options.io, this.options.kpageflagsPath, 'r', 'kpageflags');
      const entry = this.kpageflagsEntry;
      preadFully(this.options.io, this.kpageflagsFd, entry, 0, 8, frame * 8, this.options.kpageflagsPath);
      // Both bits are in the low 32 bits of the little-endian entry.
      const low = entry[0]! | (entry[1]! << 8) | (entry[2]! << 16) | (entry[3]! << 24);
      this.checkedIsThp[page] = (low >>> KPageFlag.Thp) & (low >>> KPageFlag.CompoundHead) & 1;
      this.checkedHeadPfn[page] = frame;
    }
    return this.checkedIsThp[page] === 1;
  }

  close(): void {
    this.pagemap.close();
    this.bitmap.close();
    if (this.kpageflagsFd !== undefined) this.options.io.close(this.kpageflagsFd);
    this.kpageflagsFd = undefined;
  }
}
