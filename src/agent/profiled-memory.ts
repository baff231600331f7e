import { AccessHistory, type HistoryUpdateStats } from './access-history.js';
import type { ProfilerPort } from './kernel-port.js';
import { PageState, type ByteRange, type PageRange } from './page-state.js';
import type { PolicyState } from './policies/policy.js';
import { Profiler, type ProfilerOptions } from './profiler.js';
import type { RegionLayout } from './region-layout.js';

/**
 * Glue between the Profiler (what was touched) and the AccessHistory (what
 * policies read): the real ProfilerPort used by the controller.
 *
 * Pages in a swap-out call stay released in the history until the call
 * returns: a scan that runs meanwhile still finds them present in pagemap
 * (the kernel has not reached them yet), and must not offer them to the
 * policy again. A scan run by steps (scanSteps()) may have read a page before
 * a call took it, and the call may have returned before the scan ends: pages
 * released while a scan runs stay released in that scan's result too.
 */
export class ProfiledMemory implements ProfilerPort {
  readonly profiler: Profiler;
  readonly history: AccessHistory;
  /** Swap-out calls covering each page that have not returned yet. */
  private readonly inFlight: Uint16Array;
  private inFlightPages = 0;
  /** 1 for a page released since the running scan began (see scanSteps()). */
  private readonly releasedDuringScan: Uint8Array;
  private releasedDuringScanPages = 0;

  constructor(regions: readonly ByteRange[], options: Partial<ProfilerOptions> = {}) {
    this.profiler = new Profiler(regions, options);
    this.history = new AccessHistory(this.profiler.layout.pageCount);
    this.inFlight = new Uint16Array(this.profiler.layout.pageCount);
    this.releasedDuringScan = new Uint8Array(this.profiler.layout.pageCount);
  }

  get layout(): RegionLayout {
    return this.profiler.layout;
  }

  /** Pages in swap-out calls that have not returned. */
  get pagesInFlight(): number {
    return this.inFlightPages;
  }

  /** The profiler's, the history's and the in-flight counts' per-page arrays (to keep resident). */
  arrays(): ArrayBufferView[] {
    return [...this.profiler.arrays(), ...this.history.arrays(), this.inFlight, this.releasedDuringScan];
  }

  /** One profiler scan folded into the history, all at once. */
  scan(): HistoryUpdateStats {
    const steps = this.scanSteps();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * One profiler scan by steps (Profiler.scanSteps()), folded into the
   * history at its end, in one go: between steps the history is the previous
   * scan's, so a policy that runs meanwhile sees one consistent state.
   */
  *scanSteps(): Generator<void, HistoryUpdateStats, void> {
    if (this.releasedDuringScanPages > 0) {
      this.releasedDuringScan.fill(0);
      this.releasedDuringScanPages = 0;
    }
    const result = yield* this.profiler.scanSteps();
    if (this.inFlightPages > 0 || this.releasedDuringScanPages > 0) {
      const { state } = result;
      for (let page = 0; page < state.length; page++) {
        if ((this.inFlight[page]! > 0 || this.releasedDuringScan[page] === 1) && state[page] === PageState.Present) state[page] = PageState.Swapped;
      }
    }
    return this.history.update(result.accessed, result.state);
  }

  policyState(): PolicyState {
    return this.history;
  }

  markReleased(ranges: readonly PageRange[]): void {
    for (const range of ranges) {
      for (let page = range.first; page < range.first + range.count; page++) {
        this.history.markSwapped(page);
        if (this.inFlight[page]! === 0) this.inFlightPages++;
        this.inFlight[page]!++;
        if (this.releasedDuringScan[page] === 0) {
          this.releasedDuringScan[page] = 1;
          this.releasedDuringScanPages++;
        }
      }
    }
  }

  releaseEnded(ranges: readonly PageRange[]): void {
    for (const range of ranges) {
      for (let page = range.first; page < range.first + range.count; page++) {
        if (this.inFlight[page]! === 0) continue;
        if (--this.inFlight[page]! === 0) this.inFlightPages--;
      }
    }
  }

  close(): void {
    this.profiler.close();
  }
}
