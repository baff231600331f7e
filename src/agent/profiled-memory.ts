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
 * policy again.
 */
export class ProfiledMemory implements ProfilerPort {
  readonly profiler: Profiler;
  readonly history: AccessHistory;
  /** Swap-out calls covering each page that have not returned yet. */
  private readonly inFlight: Uint16Array;
  private inFlightPages = 0;

  constructor(regions: readonly ByteRange[], options: Partial<ProfilerOptions> = {}) {
    this.profiler = new Profiler(regions, options);
    this.history = new AccessHistory(this.profiler.layout.pageCount);
    this.inFlight = new Uint16Array(this.profiler.layout.pageCount);
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
    return [...this.profiler.arrays(), ...this.history.arrays(), this.inFlight];
  }

  /** One profiler scan folded into the history. */
  scan(): HistoryUpdateStats {
    const result = this.profiler.scan();
    if (this.inFlightPages > 0) {
      const { state } = result;
      for (let page = 0; page < state.length; page++) {
        if (this.inFlight[page]! > 0 && state[page] === PageState.Present) state[page] = PageState.Swapped;
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
