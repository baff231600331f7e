import type { PageRange } from '../page-state.js';
import type { EvictionPolicy, PolicyState } from './policy.js';
import { LowestKeySelector, indicesToRanges } from './select.js';

/**
 * Approximate LRU from the scan history: evicts the pages whose last observed
 * access is oldest; among equals, the ones with the lower aging counter
 * (fewer / older accesses in the last 8 scans).
 */
export class LruApproxPolicy implements EvictionPolicy {
  readonly name = 'lru-approx';
  private readonly selector = new LowestKeySelector();

  reserve(pageCount: number): readonly ArrayBufferView[] {
    return this.selector.reserve(pageCount);
  }

  selectVictims(state: PolicyState, pagesWanted: number): PageRange[] {
    const { lastAccess, age } = state;
    return indicesToRanges(this.selector.select(state, pagesWanted, (page) => lastAccess[page]! * 256 + age[page]!));
  }
}
