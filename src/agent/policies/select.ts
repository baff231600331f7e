import { PageState, type PageRange } from '../page-state.js';
import type { PolicyState } from './policy.js';

/**
 * Picks the `n` present pages with the smallest key (ties: lower index first)
 * in O(pages) average time (quickselect), with buffers reused across calls.
 * Returns the chosen page indices sorted ascending.
 */
export class LowestKeySelector {
  private keys = new Float64Array(0);
  private candidates = new Uint32Array(0);

  /** Key array of the last selection, indexed by page (valid for candidates only). */
  get lastKeys(): Float64Array {
    return this.keys;
  }

  /** Allocates the buffers for `pageCount` pages now; returns them. */
  reserve(pageCount: number): readonly ArrayBufferView[] {
    if (this.keys.length < pageCount) {
      this.keys = new Float64Array(pageCount);
      this.candidates = new Uint32Array(pageCount);
    }
    return [this.keys, this.candidates];
  }

  select(state: PolicyState, n: number, keyOf: (page: number) => number): Uint32Array {
    this.reserve(state.pageCount);
    const { keys, candidates } = this;
    let count = 0;
    for (let page = 0; page < state.pageCount; page++) {
      if (state.state[page] !== PageState.Present) continue;
      keys[page] = keyOf(page);
      candidates[count++] = page;
    }
    const k = Math.max(0, Math.min(n, count));
    if (k < count) quickselect(candidates, count, k, keys);
    return candidates.subarray(0, k).sort();
  }
}

function less(keys: Float64Array, a: number, b: number): boolean {
  const ka = keys[a]!;
  const kb = keys[b]!;
  return ka < kb || (ka === kb && a < b);
}

/** xorshift32 state for the pivots: reproducible, and allocation-free. */
let pivotState = 0x9e3779b9;

/** A pseudo-random index in [lo, hi]. */
function randomIndex(lo: number, hi: number): number {
  let x = pivotState;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  pivotState = x >>> 0;
  return lo + (pivotState % (hi - lo + 1));
}

/**
 * Rearranges items[0..count) so that items[0..k) hold the k smallest (by
 * keys, then index), in expected O(count) whatever the input's order: the
 * pivot is the median of three items at pseudo-random places. (The median of
 * the first, middle and last item went quadratic on lists made of two
 * descending runs, the shape of the balloon policy's arrivals after a
 * residency refresh: 47 s for one selection of a 640 MiB region in a TCG
 * guest.) Which k items come first does not depend on the pivots, only
 * their order within items[0..k) does.
 */
export function quickselect(items: Uint32Array, count: number, k: number, keys: Float64Array): void {
  let lo = 0;
  let hi = count - 1;
  const target = k - 1;
  while (hi > lo) {
    const a = items[randomIndex(lo, hi)]!;
    const b = items[randomIndex(lo, hi)]!;
    const c = items[randomIndex(lo, hi)]!;
    const pivot = less(keys, a, b) ? (less(keys, b, c) ? b : less(keys, a, c) ? c : a) : less(keys, a, c) ? a : less(keys, b, c) ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (less(keys, items[i]!, pivot)) i++;
      while (less(keys, pivot, items[j]!)) j--;
      if (i <= j) {
        const t = items[i]!;
        items[i] = items[j]!;
        items[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return;
  }
}

/** Turns sorted page indices into maximal runs of consecutive pages. */
export function indicesToRanges(sortedPages: ArrayLike<number>): PageRange[] {
  const ranges: PageRange[] = [];
  let current: PageRange | undefined;
  for (let i = 0; i < sortedPages.length; i++) {
    const page = sortedPages[i]!;
    if (current !== undefined && current.first + current.count === page) current.count++;
    else {
      current = { first: page, count: 1 };
      ranges.push(current);
    }
  }
  return ranges;
}

/** Total pages covered by ranges. */
export function countPages(ranges: readonly PageRange[]): number {
  let total = 0;
  for (const range of ranges) total += range.count;
  return total;
}
