import { AgentError } from './errors.js';
import { PageState, type PageRange } from './page-state.js';

/** Top bit of the aging counter: "accessed during the most recent scan interval". */
export const AGE_RECENT_BIT = 0x80;
/** Saturation value of the idle-scan counter. */
export const MAX_IDLE_SCANS = 0xffff;

/** What changed in one history update; feeds the adaptive scan interval. */
export interface HistoryUpdateStats {
  scan: number;
  present: number;
  swapped: number;
  accessed: number;
  /** Pages idle in the previous interval and accessed in this one. */
  newlyAccessed: number;
}

/** What a residency read between scans brings into the history (AccessHistory.noteResidency). */
export type ResidencyScope = 'arrivals' | 'returns' | 'all';

/**
 * Which pages a residency read looks at: all of them, or only those the
 * history has never seen present ('unseen': what scope 'arrivals' can take
 * in as arrivals; pages the kernel swapped itself then go unnoticed until
 * the next scan or the next read of all pages).
 */
export type ResidencyPages = 'all' | 'unseen';

/** The ranges of pages whose PageState is Absent (never seen present), in order. */
export function absentRanges(state: Uint8Array): PageRange[] {
  const ranges: PageRange[] = [];
  // indexOf runs natively: a history with no absent page costs one pass at memchr's speed.
  for (let first = state.indexOf(PageState.Absent); first >= 0; ) {
    let end = first + 1;
    while (end < state.length && state[end] === PageState.Absent) end++;
    ranges.push({ first, count: end - first });
    first = end < state.length ? state.indexOf(PageState.Absent, end) : -1;
  }
  return ranges;
}

/**
 * Per-page access history, in typed arrays indexed by global page index.
 *
 * - `age`: 8-bit aging counter. Every scan shifts it right and ORs the
 *   accessed bit into bit 7 (CLOCK/MGLRU-style aging): the top set bit tells
 *   how many scans ago the page was last seen, the popcount how many of the
 *   last 8 intervals touched it.
 * - `idleScans`: consecutive scans without access (saturating), for
 *   proactive release of pages idle longer than 8 scans.
 * - `lastAccess`: scan number of the last observed access (0 = never).
 * - `loadStamp`: monotone stamp of when the page became present (FIFO order).
 * - `reuseScans`: smoothed number of scans between two observed accesses of
 *   the page (0 = never seen reused): the page's reuse distance.
 * - `state`: PageState per page (Absent / Present / Swapped).
 *
 * The history persists for swapped pages, so a page that faults back soon
 * after eviction keeps its earlier bits (a "ghost" hit, as in 2Q/ARC).
 */
export class AccessHistory {
  readonly pageCount: number;
  readonly state: Uint8Array;
  readonly age: Uint8Array;
  readonly idleScans: Uint16Array;
  readonly lastAccess: Uint32Array;
  readonly loadStamp: Float64Array;
  readonly reuseScans: Uint16Array;
  /** Smoothed absolute deviation of the reuse distance (small = periodic, e.g. a loop). */
  readonly reuseJitter: Uint16Array;
  /** Number of completed scans. */
  scanCount = 0;
  /** Changes with every update() and markLoaded(), not with markSwapped() (see PolicyState.version). */
  version = 0;
  private loadCounter = 0;

  constructor(pageCount: number) {
    if (!Number.isInteger(pageCount) || pageCount < 0) {
      throw new AgentError('page count must be a non-negative integer', { pageCount });
    }
    this.pageCount = pageCount;
    this.state = new Uint8Array(pageCount);
    this.age = new Uint8Array(pageCount);
    this.idleScans = new Uint16Array(pageCount);
    this.lastAccess = new Uint32Array(pageCount);
    this.loadStamp = new Float64Array(pageCount);
    this.reuseScans = new Uint16Array(pageCount);
    this.reuseJitter = new Uint16Array(pageCount);
  }

  /** The per-page arrays (to keep resident: AgentSession's pin). */
  arrays(): ArrayBufferView[] {
    return [this.state, this.age, this.idleScans, this.lastAccess, this.loadStamp, this.reuseScans, this.reuseJitter];
  }

  /**
   * Applies one scan: `accessed[i]` is 1 when page i was touched since the
   * previous scan; `state[i]` is its current PageState (may be `this.state`).
   */
  update(accessed: Uint8Array, state: Uint8Array): HistoryUpdateStats {
    if (accessed.length < this.pageCount || state.length < this.pageCount) {
      throw new AgentError('scan result smaller than the access history', {
        pageCount: this.pageCount,
        accessed: accessed.length,
        state: state.length,
      });
    }
    const scan = ++this.scanCount;
    this.version++;
    let present = 0;
    let swapped = 0;
    let accessedCount = 0;
    let newlyAccessed = 0;
    const age = this.age;
    for (let i = 0; i < this.pageCount; i++) {
      const previous = age[i]!;
      const nowState = state[i]!;
      if (nowState === PageState.Present) {
        present++;
        if (this.state[i] !== PageState.Present) this.loadStamp[i] = ++this.loadCounter;
      } else if (nowState === PageState.Swapped) swapped++;
      this.state[i] = nowState;
      if (accessed[i]) {
        accessedCount++;
        if ((previous & AGE_RECENT_BIT) === 0) newlyAccessed++;
        age[i] = (previous >> 1) | AGE_RECENT_BIT;
        this.idleScans[i] = 0;
        this.noteReuse(i, scan);
        this.lastAccess[i] = scan;
      } else {
        age[i] = previous >> 1;
        if (this.idleScans[i]! < MAX_IDLE_SCANS) this.idleScans[i]!++;
      }
    }
    return { scan, present, swapped, accessed: accessedCount, newlyAccessed };
  }

  /**
   * Records that page i became present between scans (the simulator, which
   * plays the kernel, knows this at once). The page counts as the most
   * recently used until the next scan records its access.
   */
  markLoaded(page: number): void {
    this.state[page] = PageState.Present;
    this.version++;
    this.loadStamp[page] = ++this.loadCounter;
    this.noteReuse(page, this.scanCount + 1);
    this.lastAccess[page] = this.scanCount + 1;
    this.idleScans[page] = 0;
  }

  /**
   * Brings page i's residency up to date from a read between scans
   * (pagemap alone: no accessed bit). A page gone is marked swapped. A page
   * present that the history has not as present is marked loaded (used in
   * the interval after the last scan) when the history never had it
   * (Absent), or with scope 'all': its load is its first use and all there
   * is to know of it. A page back from swap was faulted by a workload that
   * may as well have hit other pages in place, which only the next scan
   * shows; counted as newer than those hits, it would make them look older
   * than it (docs/controller.md, "Residency between scans"). So scope
   * 'arrivals' leaves it to the next scan, and scope 'returns' marks it
   * returned: present, no more recent than the pages the last scan saw
   * used. Returns 1 (loaded or returned), -1 (gone) or 0.
   */
  noteResidency(page: number, present: boolean, scope: ResidencyScope): -1 | 0 | 1 {
    const state = this.state[page]!;
    if (!present) {
      if (state !== PageState.Present) return 0;
      this.markSwapped(page);
      return -1;
    }
    if (state === PageState.Present || (scope === 'arrivals' && state !== PageState.Absent)) return 0;
    if (scope === 'returns' && state !== PageState.Absent) this.markReturned(page);
    else this.markLoaded(page);
    return 1;
  }

  /**
   * Records that page i came back from swap between scans, used at the
   * latest in the interval the last scan closed: as recent as the hits that
   * scan saw, not more (noteResidency says why).
   */
  markReturned(page: number): void {
    this.state[page] = PageState.Present;
    this.version++;
    this.loadStamp[page] = ++this.loadCounter;
    const scan = Math.max(1, this.scanCount);
    this.noteReuse(page, scan);
    if (this.lastAccess[page]! < scan) this.lastAccess[page] = scan;
    this.idleScans[page] = 0;
  }

  /** Records that page i was released (swap-out requested). */
  markSwapped(page: number): void {
    this.state[page] = PageState.Swapped;
  }

  /** Updates the reuse distance of a page accessed during interval `scan`. */
  private noteReuse(page: number, scan: number): void {
    const last = this.lastAccess[page]!;
    if (last === 0 || last >= scan) return;
    const distance = Math.min(scan - last, MAX_IDLE_SCANS);
    const previous = this.reuseScans[page]!;
    if (previous === 0) {
      this.reuseScans[page] = distance;
      this.reuseJitter[page] = 0;
    } else {
      // Follows shorter distances at once (the page became hot), longer ones
      // halfway (one long gap should not make a hot page look cold).
      const deviation = Math.abs(distance - previous);
      this.reuseScans[page] = distance < previous ? distance : (previous + distance + 1) >> 1;
      this.reuseJitter[page] = (this.reuseJitter[page]! + deviation + 1) >> 1;
    }
  }

  /** Number of the last 8 scan intervals in which page i was accessed. */
  recentAccessCount(page: number): number {
    return popcount8(this.age[page]!);
  }
}

const POPCOUNT8 = (() => {
  const table = new Uint8Array(256);
  for (let i = 1; i < 256; i++) table[i] = (i & 1) + table[i >> 1]!;
  return table;
})();

export function popcount8(value: number): number {
  return POPCOUNT8[value & 0xff]!;
}
