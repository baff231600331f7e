import { describe, expect, it } from 'vitest';
import { simulateMin } from '../../../src/agent/belady.js';
import { Prng } from '../../../src/agent/prng.js';
import {
  ArcReference,
  LirsReference,
  LruReference,
  NO_VICTIM,
  PageList,
  REFERENCE_POLICY_NAMES,
  createReferencePolicy,
  type ReferencePolicy,
} from '../../../src/agent/policies/reference/index.js';
import { simulateReference } from '../../../src/agent/simulator.js';
import { sequentialSweep } from '../../../src/agent/trace.js';

const loopOf = (pages: number, rounds: number): Uint32Array => sequentialSweep({ pages, length: pages * rounds });

/** Hot pages 0 .. hot-1 referenced twice each, a one-time scan of `scan` new pages, then the hot pages again. */
function hotThenScan(hot: number, scan: number): Uint32Array {
  const refs: number[] = [];
  for (let round = 0; round < 2; round++) for (let p = 0; p < hot; p++) refs.push(p);
  for (let p = 0; p < scan; p++) refs.push(100 + p);
  for (let p = 0; p < hot; p++) refs.push(p);
  return Uint32Array.from(refs);
}

/** Swap-ins of the pages below `hot` (the hot set) under an anchor. */
function hotSwapIns(trace: Uint32Array, name: string, memory: number, hot: number): number {
  const policy = createReferencePolicy(name, memory, 200);
  const resident = new Set<number>();
  const seen = new Set<number>();
  let count = 0;
  for (const page of trace) {
    const victim = policy.reference(page);
    if (victim !== NO_VICTIM) resident.delete(victim);
    if (!resident.has(page) && seen.has(page) && page < hot) count++;
    resident.add(page);
    seen.add(page);
  }
  return count;
}

describe('PageList', () => {
  it('keeps MRU-to-LRU order through push, move and remove', () => {
    const list = new PageList(8);
    for (const p of [1, 2, 3]) list.pushFront(p);
    list.moveToFront(1);
    expect(list.back()).toBe(2);
    list.remove(2);
    expect(list.popBack()).toBe(3);
    expect(list.popBack()).toBe(1);
    expect(list.size).toBe(0);
    expect(list.back()).toBe(-1);
  });
});

describe('exact LRU', () => {
  it('textbook string with 3 frames: 12 faults (FIFO makes 15, MIN 9)', () => {
    const trace = new Uint32Array([7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1]);
    const r = simulateReference(trace, 'lru', 3);
    expect(r.coldMisses + r.swapIns).toBe(12);
    const min = simulateMin(trace, 3);
    expect(min.coldMisses + min.swapIns).toBe(9);
  });

  it('faults on every reference of a loop one page larger than memory', () => {
    const r = simulateReference(loopOf(5, 10), 'lru', 4);
    expect(r.coldMisses + r.swapIns).toBe(50);
  });

  it('matches a list-based LRU on random traces', () => {
    const prng = new Prng(4);
    for (let trial = 0; trial < 50; trial++) {
      const memory = 1 + prng.nextInt(6);
      const trace = Uint32Array.from({ length: 60 }, () => prng.nextInt(10));
      const stack: number[] = [];
      let faults = 0;
      for (const page of trace) {
        const at = stack.indexOf(page);
        if (at >= 0) stack.splice(at, 1);
        else {
          faults++;
          if (stack.length === memory) stack.pop();
        }
        stack.unshift(page);
      }
      const r = simulateReference(trace, 'lru', memory);
      expect(r.coldMisses + r.swapIns).toBe(faults);
    }
  });
});

describe('ARC', () => {
  it('keeps a twice-used hot set through a one-time scan; LRU loses it', () => {
    const trace = hotThenScan(3, 40);
    expect(hotSwapIns(trace, 'arc', 4, 3)).toBe(0);
    expect(hotSwapIns(trace, 'lru', 4, 3)).toBe(3);
  });

  it('a hit in B1 grows the recency target p by one and evicts from T2 (worked by hand, c = 2)', () => {
    const arc = new ArcReference(2, 8);
    // 0 0: 0 in T2. 1: T1 = [1]. 2: T1 is over p = 0, so 1 goes to B1; T1 = [2].
    expect([0, 0, 1].map((p) => arc.reference(p))).toEqual([NO_VICTIM, NO_VICTIM, NO_VICTIM]);
    expect(arc.reference(2)).toBe(1);
    expect(arc.recencyTarget).toBe(0);
    // 1 again: a B1 hit: p = 1; |T1| = 1 is not above p, so T2's LRU page (0) is evicted into B2.
    expect(arc.reference(1)).toBe(0);
    expect(arc.recencyTarget).toBe(1);
    // 0 again: a B2 hit: p back to 0, T1's page (2) goes.
    expect(arc.reference(0)).toBe(2);
    expect(arc.recencyTarget).toBe(0);
  });
});

describe('LIRS', () => {
  it('keeps a twice-used hot set through a one-time scan', () => {
    expect(hotSwapIns(hotThenScan(3, 40), 'lirs', 4, 3)).toBe(0);
  });

  it('on a loop of memory + 1 pages keeps memory - 1 pages resident: 2 faults per round after the first (LRU: 4)', () => {
    // Memory 3: Llirs = 2 (pages 0 and 1 become LIR and stay), Lhirs = 1 (pages 2 and 3 take turns).
    const trace = loopOf(4, 10);
    expect(simulateReference(trace, 'lirs', 3)).toMatchObject({ coldMisses: 4, swapIns: 18, swapOuts: 19 });
    expect(simulateReference(trace, 'lru', 3)).toMatchObject({ coldMisses: 4, swapIns: 36 });
    expect(simulateMin(trace, 3).swapIns).toBeLessThan(18);
  });

  it('an HIR page used again while in the stack becomes LIR, and the bottom LIR page becomes HIR', () => {
    const lirs = new LirsReference(3, 8); // Llirs = 2, Lhirs = 1
    for (const p of [0, 1, 2]) lirs.reference(p); // 0, 1 LIR; 2 resident HIR
    expect([lirs.isLir(0), lirs.isLir(1), lirs.isLir(2)]).toEqual([true, true, false]);
    lirs.reference(2); // 2 is in S: its IRR (1) beats the bottom LIR page's recency (0 was used 2 references ago)
    expect([lirs.isLir(0), lirs.isLir(1), lirs.isLir(2)]).toEqual([false, true, true]);
  });
});

describe('every anchor', () => {
  const prng = new Prng(9);
  const traces = Array.from({ length: 30 }, () => Uint32Array.from({ length: 200 }, () => prng.nextInt(12 + prng.nextInt(20))));

  it.each(REFERENCE_POLICY_NAMES)('%s: never fewer faults than MIN, no eviction when memory holds every page', (name) => {
    for (const trace of traces) {
      for (const memory of [1, 3, 8]) {
        const r = simulateReference(trace, name, memory);
        const min = simulateMin(trace, memory);
        expect(r.coldMisses).toBe(min.coldMisses);
        expect(r.swapIns).toBeGreaterThanOrEqual(min.swapIns);
        // One eviction per fault once memory is full, and memory stays full.
        expect(r.swapOuts).toBe(r.coldMisses + r.swapIns - Math.min(memory, r.coldMisses));
      }
      const all = simulateReference(trace, name, 64);
      expect(all.swapOuts).toBe(0);
      expect(all.swapIns).toBe(0);
    }
  });

  it('the simulator refuses an anchor that evicts on a hit, before memory is full, or not at all when full', () => {
    let calls = 0;
    const evictsOnHit: ReferencePolicy = { name: 'on-hit', reference: () => (calls++ === 1 ? 5 : NO_VICTIM) };
    expect(() => simulateReference(new Uint32Array([1, 1]), evictsOnHit, 4)).toThrowError('on-hit evicted page 5 on a hit');
    expect(() => simulateReference(new Uint32Array([0, 1]), { name: 'early', reference: (p) => (p === 1 ? 0 : NO_VICTIM) }, 2)).toThrowError('early evicted page 0 with memory not full');
    expect(() => simulateReference(new Uint32Array([0, 1, 2]), { name: 'lazy', reference: () => NO_VICTIM }, 2)).toThrowError(/lazy did not evict/);
  });

  it('refuses an unknown name, listing the valid ones', () => {
    expect(() => createReferencePolicy('clock', 4, 4)).toThrowError('unknown reference policy "clock"; valid ones: lru, arc, lirs');
    expect(new LruReference(1, 1).name).toBe('lru');
  });
});
