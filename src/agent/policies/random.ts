import { Prng } from '../prng.js';
import type { PageRange } from '../page-state.js';
import type { EvictionPolicy, PolicyState } from './policy.js';
import { LowestKeySelector, indicesToRanges } from './select.js';

export interface RandomPolicyOptions {
  seed: number;
}

export const DEFAULT_RANDOM_POLICY_OPTIONS: RandomPolicyOptions = { seed: 0x5eed };

/** Baseline: evicts uniformly random present pages (seeded, deterministic). */
export class RandomPolicy implements EvictionPolicy {
  readonly name = 'random';
  private readonly selector = new LowestKeySelector();
  private readonly prng: Prng;

  constructor(options: Partial<RandomPolicyOptions> = {}) {
    this.prng = new Prng({ ...DEFAULT_RANDOM_POLICY_OPTIONS, ...options }.seed);
  }

  reserve(pageCount: number): readonly ArrayBufferView[] {
    return this.selector.reserve(pageCount);
  }

  selectVictims(state: PolicyState, pagesWanted: number): PageRange[] {
    return indicesToRanges(this.selector.select(state, pagesWanted, () => this.prng.next()));
  }
}
