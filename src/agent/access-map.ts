/**
 * The profiler's scans as a map of accesses over time: for each scan, how
 * many pages of each bucket of pages were accessed since the scan before.
 * What the report's access heatmap draws for a run, measured rather than
 * recomputed from the workload's reference string. Pure: the clock is given.
 */

/** One scan: when it was folded (ms, on the recorder's clock) and the pages accessed per bucket. */
export interface AccessMapScan {
  atMs: number;
  accessed: number[];
}

/** The recorded scans, with the time made relative to a start (RunResult.accessMap). */
export interface AccessMap {
  /** Pages of the managed memory, and the buckets they are cut into (bucket i holds pages ceil(i·pages/rows) up to ceil((i+1)·pages/rows)). */
  pages: number;
  rows: number;
  /** Scans in order, tMs after the start; scans folded before it are left out. */
  scans: Array<{ tMs: number; accessed: number[] }>;
  /** Scans not kept because the recorder was full (the latest are dropped). */
  dropped: number;
}

export interface AccessMapOptions {
  /** Buckets of pages (default 40, the report's heatmap rows). */
  rows: number;
  /** Most scans kept (default 4096). */
  maxScans: number;
  /** Clock in ms (default Date.now). */
  now: () => number;
}

export class AccessMapRecorder {
  private readonly options: AccessMapOptions;
  private readonly rows: number;
  /** Bucket of each page, computed once. */
  private readonly bucketOf: Uint16Array;
  private readonly scans: AccessMapScan[] = [];
  private dropped = 0;

  constructor(
    readonly pages: number,
    options: Partial<AccessMapOptions> = {},
  ) {
    this.options = { rows: 40, maxScans: 4096, now: () => Date.now(), ...options };
    this.rows = Math.max(1, Math.min(this.options.rows, pages, 65535));
    this.bucketOf = new Uint16Array(pages);
    for (let page = 0; page < pages; page++) this.bucketOf[page] = Math.floor((page * this.rows) / pages);
  }

  /** Adds a scan: accessed[i] is 1 when page i was accessed since the scan before. */
  record(accessed: Uint8Array): void {
    if (this.scans.length >= this.options.maxScans) {
      this.dropped++;
      return;
    }
    const counts = new Array<number>(this.rows).fill(0);
    for (let page = 0; page < this.pages; page++) if (accessed[page]) counts[this.bucketOf[page]!]!++;
    this.scans.push({ atMs: this.options.now(), accessed: counts });
  }

  /** The scans folded at or after startMs, with their time relative to it. */
  since(startMs: number): AccessMap {
    return {
      pages: this.pages,
      rows: this.rows,
      scans: this.scans.filter((s) => s.atMs >= startMs).map((s) => ({ tMs: s.atMs - startMs, accessed: s.accessed })),
      dropped: this.dropped,
    };
  }
}
