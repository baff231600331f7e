import { nodeFileIo, type FileIo } from './file-io.js';
import { DEFAULT_PAGEMAP_READER_OPTIONS, PagemapReader } from './pagemap.js';
import type { PageRange } from './page-state.js';
import type { RegionLayout } from './region-layout.js';

export interface ResidencyReaderOptions {
  pagemapPath: string;
  io: FileIo;
  /** Largest pagemap pread, in entries. */
  maxPagemapEntriesPerRead: number;
}

/** Where the pages of the regions are now, between two scans: PageFlag bits per page. */
export interface ResidencySource {
  /**
   * Reads the residency of every page, or of the given page ranges only (the
   * other entries are then stale); the array is owned by the source and
   * overwritten by the next read.
   */
  read(pages?: readonly PageRange[]): Uint8Array;
  /** The per-page arrays (to keep resident). */
  arrays(): ArrayBufferView[];
  close(): void;
}

/**
 * Reads which pages of the regions are present or in swap, from pagemap
 * alone: no page_idle bitmap, so no reverse-map walk per page as a scan
 * costs; one pread per region (about 12 ms for 100k pages in a TCG guest,
 * against 200 ms for the bitmap's read and write). Runs on the thread that
 * answers signals, between the profiler's scans.
 */
export class ResidencyReader implements ResidencySource {
  private readonly pagemap: PagemapReader;
  private readonly flags: Uint8Array;
  private readonly pfn: Float64Array;

  constructor(
    private readonly layout: RegionLayout,
    options: Partial<ResidencyReaderOptions> = {},
  ) {
    this.pagemap = new PagemapReader({
      path: options.pagemapPath ?? DEFAULT_PAGEMAP_READER_OPTIONS.path,
      io: options.io ?? nodeFileIo,
      maxEntriesPerRead: options.maxPagemapEntriesPerRead ?? DEFAULT_PAGEMAP_READER_OPTIONS.maxEntriesPerRead,
    });
    this.flags = new Uint8Array(layout.pageCount);
    this.pfn = new Float64Array(layout.pageCount);
  }

  read(pages?: readonly PageRange[]): Uint8Array {
    if (pages === undefined) this.pagemap.readLayout(this.layout, this.flags, this.pfn);
    else this.pagemap.readPages(this.layout, pages, this.flags, this.pfn);
    return this.flags;
  }

  arrays(): ArrayBufferView[] {
    return [this.flags, this.pfn];
  }

  close(): void {
    this.pagemap.close();
  }
}
