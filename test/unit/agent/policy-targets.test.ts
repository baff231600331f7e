/**
 * The balloon policy against its targets (docs/policies.md), on every
 * workload class at three scan intervals (base / 4, base, base x 4) and
 * two batch sizes:
 * - within 1.1 x the best per-reference anchor (LRU, ARC, LIRS);
 * - never above lru-approx in the same setting;
 * - where MIN > 0 and some anchor is within 1.25 x MIN, within 1.25 x MIN.
 * Cells that miss today are listed in KNOWN_MISSES with the reason and run
 * as `it.fails`, so that a fix (or a further regression of a met cell)
 * shows up here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createPolicy, REFERENCE_POLICY_NAMES } from '../../../src/agent/policies/index.js';
import { batchPages, checkTargets, comparePolicies, DEFAULT_SIMULATION_OPTIONS, simulatePolicy, type ComparisonRow } from '../../../src/agent/simulator.js';
import { WORKLOAD_NAMES, makeSpec, passesForReferences, referenceString, type WorkloadName } from '../../../src/workloads/definitions.js';

const MEMORY = 64;
const PAGES = 2 * MEMORY; // balloon simulate's default workload size
const REFERENCES = 12_000;
const SEED = 1;
const BASE = MEMORY / 4; // references between scans; 256 at 1024 pages, as in the bench
const INTERVALS = [BASE / 4, BASE, BASE * 4];
const SETTINGS = [
  { name: 'one page per call', batchFraction: 0 },
  { name: 'controller batch', batchFraction: DEFAULT_SIMULATION_OPTIONS.batchFraction },
] as const;

type SettingName = (typeof SETTINGS)[number]['name'];
const key = (workload: WorkloadName, setting: SettingName, interval: number): string => `${workload} | ${setting} | scan every ${interval}`;

/** Cells that miss a target today, and why (measured figures in docs/policies.md). */
const KNOWN_MISSES: Record<string, string> = {
  ...Object.fromEntries(
    SETTINGS.flatMap((s) => [BASE, BASE * 4].map((i) => [key('noisy-phases', s.name, i), 'jumping working sets: the one-scan slack that keeps loops stable delays promotion of the new set'])),
  ),
  [key('noisy-phases', 'controller batch', BASE / 4)]: 'jumping working sets: above lru-approx by ~1%',
  ...Object.fromEntries(
    INTERVALS.map((i) => [key('course', 'controller batch', i), 'batch floor: the first batch of 1/32 of memory takes pages of the loop; LIRS loses one page'] as const),
  ),
};

/** Uniform references: no policy can do better than another in expectation, so lru-approx is compared within noise. */
const STATISTICAL = new Set<WorkloadName>(['random']);

const traces = new Map<WorkloadName, { trace: Uint32Array; rows: ComparisonRow[] }>();
beforeAll(() => {
  for (const name of WORKLOAD_NAMES) {
    const trace = referenceString(makeSpec(name, PAGES, passesForReferences(name, PAGES, REFERENCES), SEED));
    traces.set(name, { trace, rows: comparePolicies(trace, { memoryPages: MEMORY, policies: [], anchors: REFERENCE_POLICY_NAMES }) });
  }
});

function run(workload: WorkloadName, batchFraction: number, scanEveryReferences: number): { balloon: number; lruApprox: number; rows: ComparisonRow[] } {
  const { trace, rows } = traces.get(workload)!;
  const options = { memoryPages: MEMORY, scanEveryReferences, batchFraction };
  return {
    balloon: simulatePolicy(trace, createPolicy('balloon'), options).swapIns,
    lruApprox: simulatePolicy(trace, createPolicy('lru-approx'), options).swapIns,
    rows,
  };
}

describe('balloon policy targets: every class x scan interval x batch', { timeout: 60_000 }, () => {
  it('lists only cells of the matrix as known misses', () => {
    const all = new Set(WORKLOAD_NAMES.flatMap((w) => SETTINGS.flatMap((s) => INTERVALS.map((i) => key(w, s.name, i)))));
    for (const cell of Object.keys(KNOWN_MISSES)) expect(all.has(cell), cell).toBe(true);
  });

  for (const setting of SETTINGS) {
    for (const workload of WORKLOAD_NAMES) {
      for (const interval of INTERVALS) {
        const cell = key(workload, setting.name, interval);
        const reason = KNOWN_MISSES[cell];
        const check = (): void => {
          const { balloon, lruApprox, rows } = run(workload, setting.batchFraction, interval);
          const verdict = checkTargets(balloon, lruApprox, rows);
          const detail = `${cell}: balloon ${balloon}, lru-approx ${lruApprox}, best anchor ${verdict.bestAnchor} ${verdict.bestAnchorSwapIns}, MIN ${verdict.minSwapIns}`;
          expect(verdict.withinBestAnchor, detail).toBe(true);
          if (verdict.nearMin !== null) expect(verdict.nearMin, detail).toBe(true);
          if (STATISTICAL.has(workload)) expect(balloon, detail).toBeLessThanOrEqual(lruApprox + 2 * Math.sqrt(lruApprox));
          else expect(verdict.notAboveLruApprox, detail).toBe(true);
        };
        if (reason === undefined) it(cell, check);
        else it.fails(`${cell} (known miss: ${reason})`, check);
      }
    }
  }

  it('course with the controller batch: the miss is the batch floor, one batch of pages and no more', () => {
    const batch = batchPages(MEMORY, DEFAULT_SIMULATION_OPTIONS.batchFraction);
    for (const interval of INTERVALS) {
      const { balloon, rows } = run('course', DEFAULT_SIMULATION_OPTIONS.batchFraction, interval);
      expect(balloon).toBeLessThanOrEqual(batch);
      expect(balloon).toBeLessThan(rows.find((r) => r.policy === 'lru')!.swapIns / 10);
    }
  });
});
