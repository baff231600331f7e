import { afterEach, describe, expect, it, vi } from 'vitest';
import { budgetFreeSeries, FreeMemorySampler, thresholdDeficitMiBs } from '../../../src/metrics/index.js';

const MiB = 1024 * 1024;
const at = (tMs: number, freeMiB: number) => ({ tMs, freeBytes: freeMiB * MiB });

describe('threshold deficit', () => {
  it('integrates a hand-worked series (trapezoids, crossings interpolated)', () => {
    // threshold 100 MiB; deficits: 0 → 40 → 40 → 20 → (−20) → 0 (MiB), 1 s apart.
    //  [0,1]: 0..40 → 20; [1,2]: 40..40 → 40; [2,3]: 40..20 → 30;
    //  [3,4]: 20..−20 crosses at 3.5 → ½·20·0.5 = 5; [4,5]: above → 0.  Total 95 MiB·s.
    const series = [at(0, 100), at(1000, 60), at(2000, 60), at(3000, 80), at(4000, 120), at(5000, 100)];
    expect(thresholdDeficitMiBs(series, 100 * MiB)).toBeCloseTo(95, 9);
  });

  it('is 0 above the threshold, and scales with time', () => {
    expect(thresholdDeficitMiBs([at(0, 200), at(1000, 150)], 100 * MiB)).toBe(0);
    expect(thresholdDeficitMiBs([at(0, 90), at(250, 90)], 100 * MiB)).toBeCloseTo(2.5, 9);
    expect(thresholdDeficitMiBs([at(0, 90)], 100 * MiB)).toBe(0);
    // Entering below the threshold mid-interval: 0 until 0.5 s, then up to 10 MiB.
    expect(thresholdDeficitMiBs([at(0, 110), at(1000, 90)], 100 * MiB)).toBeCloseTo(2.5, 9);
  });
});

describe('the same budget for every policy', () => {
  it('counts memory held for the budget (the kernel baseline\'s bystander) as free', () => {
    const series = [at(0, 100), at(1000, 60), at(2000, 60), at(3000, 80), at(4000, 120), at(5000, 100)];
    // 30 MiB held: deficits −30, 10, 10, −10, −50, −30 MiB: [0,1] crosses at 0.75 s → ½·10·0.25 = 1.25;
    // [1,2] → 10; [2,3] crosses at 2.5 s → ½·10·0.5 = 2.5; the rest is above. Total 13.75 MiB·s.
    expect(thresholdDeficitMiBs(series, 100 * MiB, 30 * MiB)).toBeCloseTo(thresholdDeficitMiBs(budgetFreeSeries(series, 30 * MiB), 100 * MiB), 12);
    expect(thresholdDeficitMiBs(series, 100 * MiB, 30 * MiB)).toBeCloseTo(13.75, 9);
    // Held as much as the threshold: the run cannot take that memory, so no deficit.
    expect(thresholdDeficitMiBs(series, 100 * MiB, 100 * MiB)).toBe(0);
    expect(budgetFreeSeries(series, 0)).toEqual(series);
  });
});

describe('FreeMemorySampler', () => {
  afterEach(() => vi.useRealTimers());

  it('samples on a timer, records the series and integrates it', () => {
    vi.useFakeTimers();
    let now = 0;
    const values = [100, 60, 60, 80, 120, 100];
    let i = 0;
    const sampler = new FreeMemorySampler({ intervalMs: 1000, now: () => now, read: () => values[Math.min(i++, values.length - 1)]! * MiB });
    sampler.start();
    for (let k = 0; k < 4; k++) {
      now += 1000;
      vi.advanceTimersByTime(1000);
    }
    now += 1000;
    sampler.stop(); // one last sample
    expect(sampler.series.map((s) => s.tMs)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(sampler.deficitMiBs(100 * MiB)).toBeCloseTo(95, 9);
    expect(sampler.minFreeBytes()).toBe(60 * MiB);
    vi.advanceTimersByTime(5000);
    expect(sampler.series).toHaveLength(6);
  });

  it('stops on a read error and keeps it', () => {
    const sampler = new FreeMemorySampler({
      intervalMs: 10,
      read: () => {
        throw new Error('no meminfo');
      },
    });
    sampler.start();
    sampler.stop();
    expect(sampler.series).toHaveLength(0);
    expect((sampler.error as Error).message).toBe('no meminfo');
  });
});
