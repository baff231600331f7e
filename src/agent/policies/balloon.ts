import { AgentError } from '../errors.js';
import { PageState, type PageRange } from '../page-state.js';
import type { EvictionPolicy, PolicyState } from './policy.js';
import { LowestKeySelector, indicesToRanges } from './select.js';

export interface BalloonPolicyOptions {
  /**
   * Expected scans until the next use of a page never seen reused (accessed
   * in one interval only: a sweep, or a new page on probation), or of any
   * page idle for longer than this.
   */
  probationScans: number;
  /**
   * Reuse counts as periodic (loop-like: expected next use = reuse − idle)
   * when jitter × this ≤ reuse; otherwise it is treated as memoryless
   * (expected next use = reuse, whatever the idle time).
   */
  regularJitterDivisor: number;
  /** Cap on the estimate of an irregular (memoryless) page that is not overdue. */
  irregularCapScans: number;
  /** Largest gap (pages) between chosen runs that may be filled to merge them into one range. */
  maxGapPages: number;
  /** Cap on pages added by gap filling, as a fraction of pagesWanted. */
  maxExtraFraction: number;
  /**
   * A gap page qualifies when its expected scans to next use are at least
   * this fraction of the warmest chosen page's ("nearly as cold").
   */
  gapColdnessFraction: number;
}

/** Defaults chosen from the simulator grid in docs/policies.md. */
export const DEFAULT_BALLOON_POLICY_OPTIONS: BalloonPolicyOptions = {
  probationScans: 6,
  regularJitterDivisor: 4,
  irregularCapScans: 12,
  maxGapPages: 4,
  maxExtraFraction: 0.15,
  gapColdnessFraction: 0.5,
};

const MAX_ESTIMATE = 0xffff;

/**
 * The project's policy: evict the pages whose next use is expected farthest
 * away (an online approximation of Belady's MIN), with scan resistance and
 * range coalescing. See docs/policies.md for the measurements behind it.
 *
 * Expected scans until next use, from the access history (reuse distance d
 * = smoothed scans between observed accesses, idle time e):
 * - never seen reused: max(probationScans, e). A one-time sweep therefore
 *   recycles its own pages before it can push out a hot set with short reuse
 *   distances (2Q/CLOCK-Pro-like scan resistance). The history outlives
 *   eviction, so a page that faults back records its reuse distance at once
 *   (the "ghost" hit of 2Q/ARC);
 * - overdue (e > d): e, so dead pages grow colder the longer they stay idle
 *   (coldest-first, LRU-like);
 * - periodic (low jitter, e ≤ d): d − e. A loop page just used is the best
 *   victim, as in MIN, which makes loops larger than memory cheap;
 * - irregular (e ≤ d): min(d, irregularCapScans) (memoryless reuse: the
 *   expected wait does not shrink with idle time; the cap keeps one long gap
 *   from making a page that is back in use look dead).
 * Ties: oldest last access first.
 *
 * Coalescing: chosen pages are sorted; runs separated by gaps of at most
 * maxGapPages present pages, each nearly as cold as the warmest chosen page
 * (gapColdnessFraction of its estimate), are merged (bounded by
 * maxExtraFraction extra pages), so the kernel gets fewer, longer swap-out
 * ranges.
 */
export class BalloonPolicy implements EvictionPolicy {
  readonly name = 'balloon';
  private readonly options: BalloonPolicyOptions;
  private readonly selector = new LowestKeySelector();

  constructor(options: Partial<BalloonPolicyOptions> = {}) {
    this.options = { ...DEFAULT_BALLOON_POLICY_OPTIONS, ...options };
    const o = this.options;
    if (!(o.probationScans >= 1 && o.regularJitterDivisor > 0 && o.irregularCapScans >= 1 && o.maxGapPages >= 0 && o.maxExtraFraction >= 0 && o.gapColdnessFraction >= 0)) {
      throw new AgentError('invalid balloon policy options', { ...o });
    }
  }

  /** Expected number of scans until page `page` is used again (larger = better victim). */
  expectedScansToNextUse(state: PolicyState, page: number): number {
    const o = this.options;
    const idle = Math.max(0, state.scanCount + 1 - state.lastAccess[page]!);
    const reuse = state.reuseScans[page]!;
    let estimate: number;
    if (reuse === 0) estimate = Math.max(o.probationScans, idle); // never seen reused
    else if (idle > reuse) estimate = idle; // overdue: the longer idle, the colder
    else if (state.reuseJitter[page]! * o.regularJitterDivisor <= reuse) estimate = reuse - idle; // periodic
    else estimate = Math.min(reuse, o.irregularCapScans); // memoryless
    return Math.min(estimate, MAX_ESTIMATE);
  }

  selectVictims(state: PolicyState, pagesWanted: number): PageRange[] {
    const { lastAccess } = state;
    // Lowest key first: largest expected distance, then oldest last access.
    const chosen = this.selector.select(
      state,
      pagesWanted,
      (page) => -this.expectedScansToNextUse(state, page) * 2 ** 32 + lastAccess[page]!,
    );
    if (chosen.length === 0) return [];
    return this.coalesce(state, chosen, pagesWanted);
  }

  private coalesce(state: PolicyState, chosen: Uint32Array, pagesWanted: number): PageRange[] {
    const ranges = indicesToRanges(chosen);
    let extraBudget = Math.floor(pagesWanted * this.options.maxExtraFraction);
    if (ranges.length < 2 || extraBudget === 0 || this.options.maxGapPages === 0) return ranges;

    let warmestChosen = Number.POSITIVE_INFINITY;
    for (let i = 0; i < chosen.length; i++) {
      warmestChosen = Math.min(warmestChosen, this.expectedScansToNextUse(state, chosen[i]!));
    }

    const merged: PageRange[] = [ranges[0]!];
    for (let r = 1; r < ranges.length; r++) {
      const last = merged[merged.length - 1]!;
      const next = ranges[r]!;
      const gapStart = last.first + last.count;
      const gap = next.first - gapStart;
      let fill = gap <= this.options.maxGapPages && gap <= extraBudget;
      for (let page = gapStart; fill && page < next.first; page++) {
        fill = state.state[page] === PageState.Present && this.expectedScansToNextUse(state, page) >= this.options.gapColdnessFraction * warmestChosen;
      }
      if (fill) {
        last.count += gap + next.count;
        extraBudget -= gap;
      } else {
        merged.push(next);
      }
    }
    return merged;
  }
}
