import { describe, expect, it } from 'vitest';
import { thresholdDeficitMiBs } from '../../../src/metrics/deficit.js';
import { budgetSeries, runDeficitMiBs, thinKeepingDeficit } from '../../../src/report/run-metrics.js';

const MiB = 2 ** 20;

describe('free memory against the budget', () => {
  const series = [0, 1000, 2000, 3000].map((tMs, i) => ({ tMs, freeBytes: [80, 40, 30, 90][i]! * MiB }));

  it('adds the bystander\'s held memory to MemFree, and nothing for an agent run', () => {
    const kernel = { thresholdBytes: 64 * MiB, bystander: { method: 'mlock' as const, bytes: 64 * MiB }, freeMemory: { series } };
    expect(budgetSeries(kernel).map((s) => s.freeBytes / MiB)).toEqual([144, 104, 94, 154]);
    expect(runDeficitMiBs(kernel)).toBe(0);
    const agent = { ...kernel, bystander: null };
    expect(budgetSeries(agent)).toEqual(series);
    expect(runDeficitMiBs(agent)).toBeCloseTo(thresholdDeficitMiBs(series, 64 * MiB), 12);
    expect(runDeficitMiBs(agent)).toBeGreaterThan(0);
  });
});

describe('thinning a free-memory series for a plot', () => {
  // 20,000 samples around a 100 MiB threshold, dipping below it now and then.
  let x = 7;
  const rand = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const long = Array.from({ length: 20_000 }, (_, i) => ({ tMs: i * 100, freeBytes: Math.round((100 + 40 * Math.sin(i / 300) + 8 * rand()) * MiB) }));

  it('keeps the deficit exactly while dropping most samples', () => {
    const threshold = 100 * MiB;
    const thinned = thinKeepingDeficit(long, threshold, 600);
    expect(thinned.length).toBeLessThan(long.length / 2);
    expect(thinned[0]).toEqual(long[0]);
    expect(thinned.at(-1)).toEqual(long.at(-1));
    expect(thresholdDeficitMiBs(long, threshold)).toBeGreaterThan(1000);
    expect(thresholdDeficitMiBs(thinned, threshold)).toBe(thresholdDeficitMiBs(long, threshold));
  });

  it('leaves a short series alone', () => {
    expect(thinKeepingDeficit(long.slice(0, 10), 100 * MiB, 600)).toEqual(long.slice(0, 10));
  });
});
