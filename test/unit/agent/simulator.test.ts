import { describe, expect, it } from 'vitest';
import { BalloonPolicy } from '../../../src/agent/policies/balloon.js';
import { POLICY_NAMES, createPolicy } from '../../../src/agent/policies/index.js';
import { LruApproxPolicy } from '../../../src/agent/policies/lru-approx.js';
import type { EvictionPolicy } from '../../../src/agent/policies/policy.js';
import { REFERENCE_POLICY_NAMES } from '../../../src/agent/policies/reference/index.js';
import { checkTargets, comparePolicies, simulateBelady, simulatePolicy, simulateReference, type ComparisonKind, type ComparisonRow } from '../../../src/agent/simulator.js';
import { courseTest, movingWorkingSet, sequentialSweep, strided, sweepPlusHotSet } from '../../../src/agent/trace.js';
import { WORKLOAD_NAMES, makeSpec, referenceString } from '../../../src/workloads/definitions.js';

const exact = { scanEveryReferences: 1, batchFraction: 0 }; // scan after every reference, evict one page at a time

describe('simulator on hand-worked traces', () => {
  const trace = new Uint32Array([0, 1, 2, 0, 3, 0, 4]);

  it('fifo: 0 1 2 | 0 hit | 3 evicts 0 | 0 faults back, evicts 1 | 4 evicts 2', () => {
    const result = simulatePolicy(trace, createPolicy('fifo'), { memoryPages: 3, ...exact });
    expect(result).toMatchObject({ coldMisses: 5, swapIns: 1, swapOuts: 3, policyCalls: 3 });
  });

  it('lru-approx with a scan per reference is exact LRU: 3 evicts 1, 4 evicts 2, no swap-ins', () => {
    const result = simulatePolicy(trace, createPolicy('lru-approx'), { memoryPages: 3, ...exact });
    expect(result).toMatchObject({ coldMisses: 5, swapIns: 0, swapOuts: 2 });
  });

  it('LRU faults on every reference of a loop one page bigger than memory; MIN does not', () => {
    const loop = sequentialSweep({ pages: 4, length: 40 });
    const lru = simulatePolicy(loop, createPolicy('lru-approx'), { memoryPages: 3, ...exact });
    expect(lru.coldMisses + lru.swapIns).toBe(40);
    const min = simulateBelady(loop, 3);
    expect(min.coldMisses + min.swapIns).toBeLessThan(20);
  });

  it('batches: asks the policy for batchFraction × memory pages per call', () => {
    const loop = sequentialSweep({ pages: 64, length: 640 });
    const result = simulatePolicy(loop, createPolicy('fifo'), { memoryPages: 32, scanEveryReferences: 8, batchFraction: 0.25 });
    expect(result.swapOuts % 8).toBe(0);
    expect(result.policyCalls).toBe(result.swapOuts / 8);
    expect(result.swapOutRanges).toBe(result.policyCalls); // fifo on a loop evicts contiguous runs
  });

  it('rejects a policy that returns a page that is not present', () => {
    const bad: EvictionPolicy = { name: 'bad', selectVictims: () => [{ first: 5, count: 1 }] };
    expect(() => simulatePolicy(new Uint32Array([0, 1, 2]), bad, { memoryPages: 1 })).toThrowError(/not present/);
  });
});

describe('no policy or anchor beats MIN on the workloads', { timeout: 20_000 }, () => {
  for (const name of WORKLOAD_NAMES) {
    it(name, () => {
      const trace = referenceString(makeSpec(name, 256, 8, 9));
      const min = simulateBelady(trace, 128);
      for (const policy of POLICY_NAMES) {
        const result = simulatePolicy(trace, createPolicy(policy), { memoryPages: 128, scanEveryReferences: 32 });
        expect(result.coldMisses).toBe(min.coldMisses);
        expect(result.swapIns).toBeGreaterThanOrEqual(min.swapIns);
      }
      for (const anchor of REFERENCE_POLICY_NAMES) {
        const result = simulateReference(trace, anchor, 128);
        expect(result.coldMisses).toBe(min.coldMisses);
        expect(result.swapIns).toBeGreaterThanOrEqual(min.swapIns);
      }
    });
  }
});

describe('comparePolicies and checkTargets', () => {
  const trace = sequentialSweep({ pages: 5, length: 50 });

  it('rows: policies, then anchors, then MIN, with swap-ins as a ratio to MIN', () => {
    const rows = comparePolicies(trace, { memoryPages: 4, scanEveryReferences: 1, batchFraction: 0, policies: ['fifo'], anchors: ['lru', 'lirs'] });
    expect(rows.map((r) => [r.policy, r.kind])).toEqual([['fifo', 'policy'], ['lru', 'anchor'], ['lirs', 'anchor'], ['min', 'min']]);
    const min = rows.at(-1)!;
    expect(min.swapInsToMin).toBe(1);
    // LRU faults on every reference of the loop: 45 swap-ins.
    expect(rows[1]!.swapIns).toBe(45);
    expect(rows[1]!.swapInsToMin).toBeCloseTo(45 / min.swapIns);
    for (const r of rows) expect(r.faults).toBe(r.coldMisses + r.swapIns);
  });

  it('no ratio when MIN has no swap-in', () => {
    const rows = comparePolicies(new Uint32Array([0, 1, 0, 1]), { memoryPages: 2, policies: ['lru-approx'], anchors: ['arc'] });
    expect(rows.map((r) => r.swapInsToMin)).toEqual([null, null, null]);
  });

  it('checkTargets: within 1.1 x the best anchor, not above lru-approx, within 1.25 x MIN where an anchor is', () => {
    const row = (policy: string, kind: ComparisonKind, swapIns: number): ComparisonRow =>
      ({ policy, kind, swapIns, references: 0, coldMisses: 0, swapOuts: 0, policyCalls: 0, swapOutRanges: 0, faults: swapIns, swapInsToMin: null });
    const rows = [row('lru', 'anchor', 200), row('arc', 'anchor', 120), row('lirs', 'anchor', 100), row('min', 'min', 90)];
    expect(checkTargets(110, 110, rows)).toEqual({
      bestAnchor: 'lirs', bestAnchorSwapIns: 100, minSwapIns: 90, withinBestAnchor: true, notAboveLruApprox: true, nearMin: true, ok: true,
    });
    expect(checkTargets(111, 500, rows)).toMatchObject({ withinBestAnchor: false, ok: false });
    expect(checkTargets(100, 99, rows)).toMatchObject({ notAboveLruApprox: false, ok: false });
    // lirs is within 1.25 x MIN (100 <= 112.5), so the policy must be too.
    expect(checkTargets(110, 500, [...rows.slice(0, 3), row('min', 'min', 80)])).toMatchObject({ withinBestAnchor: true, nearMin: false, ok: false });
    // No anchor within 1.25 x MIN, or MIN = 0: the MIN bound does not apply.
    expect(checkTargets(110, 500, [...rows.slice(0, 3), row('min', 'min', 50)]).nearMin).toBeNull();
    expect(checkTargets(0, 0, [row('lru', 'anchor', 0), row('min', 'min', 0)])).toMatchObject({ nearMin: null, ok: true });
    expect(() => checkTargets(1, 1, [row('min', 'min', 0)])).toThrowError(/needs the anchors and MIN/);
  });
});

describe('scan resistance in the simulator', { timeout: 20_000 }, () => {
  // Hot set of 16 pages touched round-robin on every other reference; the
  // other references sweep once through 2,000 pages; memory 24 pages.
  const hotPages = 16;
  const length = 4000;
  const trace = new Uint32Array(length);
  for (let i = 0; i < length; i++) trace[i] = i % 2 === 1 ? (i >> 1) % hotPages : hotPages + (i >> 1);

  const hotSwapIns = (policy: EvictionPolicy): number => {
    let count = 0;
    simulatePolicy(trace, policy, {
      memoryPages: 24,
      scanEveryReferences: 8,
      batchFraction: 0,
      onSwapIn: (page) => {
        if (page < hotPages) count++;
      },
    });
    return count;
  };

  it('balloon keeps the hot set through a one-time sweep (after learning it), lru-approx does not', () => {
    const balloon = hotSwapIns(new BalloonPolicy());
    const lru = hotSwapIns(new LruApproxPolicy());
    expect(balloon).toBeLessThanOrEqual(hotPages); // at most one refault per hot page while reuse is learned
    expect(lru).toBeGreaterThan(10 * balloon + 100);
  });

  it('balloon is closer to MIN than lru-approx on sweep+hot, loops, strided and the course test', () => {
    const cases = [
      { trace: sweepPlusHotSet({ hotPages: 64, sweepPages: 512, hotFraction: 0.3, length: 30_000, seed: 1 }), memoryPages: 128 },
      { trace: sequentialSweep({ pages: 256, length: 20_000 }), memoryPages: 128 },
      { trace: strided({ pages: 256, stride: 8, length: 20_000 }), memoryPages: 128 },
    ];
    for (const { trace: t, memoryPages } of cases) {
      const options = { memoryPages, scanEveryReferences: 32 };
      const balloon = simulatePolicy(t, new BalloonPolicy(), options).swapIns;
      const lru = simulatePolicy(t, new LruApproxPolicy(), options).swapIns;
      expect(balloon).toBeLessThan(lru);
    }
    const course = courseTest({ bufferPages: 192, rounds: 50 });
    const options = { memoryPages: 128, scanEveryReferences: 32 };
    expect(simulatePolicy(course, new BalloonPolicy(), options).swapIns).toBeLessThanOrEqual(simulatePolicy(course, new LruApproxPolicy(), options).swapIns);
  });

  it('balloon is no worse than 1.1 × lru-approx on a moving working set', () => {
    const t = movingWorkingSet({ pages: 2048, workingSetPages: 100, shiftPages: 32, phaseLength: 1000, length: 40_000, seed: 2 });
    const options = { memoryPages: 128, scanEveryReferences: 32 };
    expect(simulatePolicy(t, new BalloonPolicy(), options).swapIns).toBeLessThanOrEqual(1.1 * simulatePolicy(t, new LruApproxPolicy(), options).swapIns);
  });
});
