import { describe, expect, it } from 'vitest';
import { nextUseIndices, simulateMin } from '../../../src/agent/belady.js';
import { Prng } from '../../../src/agent/prng.js';
import { uniformRandom, zipf } from '../../../src/agent/trace.js';

/** Exhaustive search over every eviction choice: the true minimum number of faults. */
function bruteForceMinFaults(trace: number[], memory: number): number {
  const go = (t: number, resident: readonly number[]): number => {
    if (t === trace.length) return 0;
    const page = trace[t]!;
    if (resident.includes(page)) return go(t + 1, resident);
    if (resident.length < memory) return 1 + go(t + 1, [...resident, page]);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < resident.length; i++) {
      const next = [...resident];
      next[i] = page;
      best = Math.min(best, 1 + go(t + 1, next));
    }
    return best;
  };
  return go(0, []);
}

describe('Belady MIN', () => {
  it('textbook string, 3 frames: 9 faults (6 cold + 3 swap-ins), 6 evictions', () => {
    const trace = new Uint32Array([7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1]);
    expect(simulateMin(trace, 3)).toEqual({ references: 20, coldMisses: 6, swapIns: 3, swapOuts: 6 });
  });

  it('worked by hand: 1 2 3 4 1 2 5 1 2 3 4 5 with 3 frames has 7 faults', () => {
    const trace = new Uint32Array([1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5]);
    const counts = simulateMin(trace, 3);
    expect(counts.coldMisses + counts.swapIns).toBe(7);
    expect(counts.coldMisses).toBe(5);
  });

  it('matches exhaustive search on 300 random tiny traces', () => {
    const prng = new Prng(11);
    for (let trial = 0; trial < 300; trial++) {
      const length = 4 + prng.nextInt(8);
      const pages = 2 + prng.nextInt(4);
      const memory = 1 + prng.nextInt(3);
      const trace = Array.from({ length }, () => prng.nextInt(pages));
      const counts = simulateMin(new Uint32Array(trace), memory);
      expect(counts.coldMisses + counts.swapIns, JSON.stringify({ trace, memory })).toBe(bruteForceMinFaults(trace, memory));
    }
  });

  it('next-use indices', () => {
    expect([...nextUseIndices(new Uint32Array([0, 1, 0, 2, 1]))]).toEqual([2, 4, 5, 5, 5]);
  });

  it('no evictions when everything fits', () => {
    expect(simulateMin(new Uint32Array([0, 1, 2, 0, 1, 2]), 3)).toEqual({ references: 6, coldMisses: 3, swapIns: 0, swapOuts: 0 });
  });

  it('replays a 1,000,000-reference trace in seconds', () => {
    const trace = zipf({ pages: 100_000, length: 1_000_000, exponent: 0.9, seed: 5 });
    const started = performance.now();
    const counts = simulateMin(trace, 10_000);
    const elapsed = performance.now() - started;
    expect(counts.references).toBe(1_000_000);
    expect(counts.swapOuts).toBe(counts.coldMisses + counts.swapIns - 10_000);
    expect(elapsed).toBeLessThan(5_000);
  }, 30_000);

  it('never does worse than a random-eviction replay', () => {
    const trace = uniformRandom({ pages: 50, length: 2000, seed: 3 });
    const min = simulateMin(trace, 20);
    // Random eviction, inline.
    const prng = new Prng(1);
    const resident: number[] = [];
    let faults = 0;
    for (const page of trace) {
      if (resident.includes(page)) continue;
      faults++;
      if (resident.length === 20) resident.splice(prng.nextInt(20), 1);
      resident.push(page);
    }
    expect(min.coldMisses + min.swapIns).toBeLessThan(faults);
  });
});
