import type { PageRange } from '../page-state.js';
import type { EvictionPolicy, PolicyState } from './policy.js';
import { LowestKeySelector, indicesToRanges } from './select.js';

/** Baseline: evicts the pages that became present earliest; ignores accesses. */
export class FifoPolicy implements EvictionPolicy {
  readonly name = 'fifo';
  private readonly selector = new LowestKeySelector();

  reserve(pageCount: number): readonly ArrayBufferView[] {
    return this.selector.reserve(pageCount);
  }

  selectVictims(state: PolicyState, pagesWanted: number): PageRange[] {
    const stamps = state.loadStamp;
    return indicesToRanges(this.selector.select(state, pagesWanted, (page) => stamps[page]!));
  }
}
