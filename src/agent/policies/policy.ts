import type { PageRange } from '../page-state.js';

/**
 * What a policy may look at: the access history arrays (see AccessHistory,
 * which implements this). Indexed by global page index.
 */
export interface PolicyState {
  readonly pageCount: number;
  /** PageState per page; only Present pages may be chosen. */
  readonly state: Uint8Array;
  /** 8-bit aging counter (bit 7 = accessed in the latest scan interval). */
  readonly age: Uint8Array;
  /** Consecutive scans without access. */
  readonly idleScans: Uint16Array;
  /** Scan number of the last observed access (scanCount + 1 = loaded since the last scan). */
  readonly lastAccess: Uint32Array;
  /** Smoothed scans between observed accesses (0 = never seen reused). */
  readonly reuseScans: Uint16Array;
  /** Smoothed absolute deviation of reuseScans (small = periodic). */
  readonly reuseJitter: Uint16Array;
  /** Monotone stamp of when the page became present. */
  readonly loadStamp: Float64Array;
  /** Number of completed scans. */
  readonly scanCount: number;
  /**
   * Changes whenever the history does, except when pages are released
   * (marked swapped): a policy may keep what it derived from the history
   * (an order of victims, say) until the version changes, skipping released
   * pages meanwhile.
   */
  readonly version: number;
}

/**
 * An eviction policy picks pages to release. Contract:
 * - returns sorted, non-overlapping page-index ranges covering only Present
 *   pages;
 * - covers at least `pagesWanted` pages when that many are present (a
 *   policy may add a few extra pages to save calls), all present pages
 *   otherwise;
 * - never mutates the state.
 */
export interface EvictionPolicy {
  readonly name: string;
  selectVictims(state: PolicyState, pagesWanted: number): PageRange[];
  /**
   * Allocates the policy's per-page arrays for `pageCount` pages now rather
   * than at its first selection, and returns them (AgentSession keeps them
   * resident). Policies without such arrays leave it out.
   */
  reserve?(pageCount: number): readonly ArrayBufferView[];
  /**
   * Gives back pages of earlier selections that were not sent (the answer
   * had freed enough, or its deadline passed): they are the policy's to
   * choose again, where they stood. A policy that keeps no order between
   * calls needs nothing here.
   */
  restore?(state: PolicyState, ranges: readonly PageRange[]): void;
  /**
   * Called after each scan has been folded into the history, off the path
   * of an answer: a policy that derives state from the history (an order of
   * victims) updates it here, so that the next selection only takes from it.
   */
  prepare?(state: PolicyState): void;
}
