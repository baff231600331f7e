import { describe, expect, it } from 'vitest';
import { boundMemory, residentBudget, simulateBound } from '../../../src/experiment/bound.js';
import type { RunRecord } from '../../../src/experiment/cell.js';

const run = (workload: string, status: 'ok' | 'failed', peakResidentBytes?: number): RunRecord =>
  ({ workload, policy: 'kernel', rep: 1, status, result: peakResidentBytes === undefined ? { pswpin: 0 } : { peakResidentBytes } }) as unknown as RunRecord;

describe('the memory MIN is simulated with', () => {
  it('is the largest peak resident set of the workload\'s successful runs, rounded up to pages', () => {
    const runs = [run('course', 'ok', 400 * 4096), run('course', 'ok', 500 * 4096 + 1), run('course', 'failed', 900 * 4096), run('zipf', 'ok', 800 * 4096)];
    expect(residentBudget(runs, 'course', 1024)).toEqual({ memoryPages: 501, source: 'peak-resident' });
    // Never more than the workload's pages: all of it resident means no swap-in at all.
    expect(residentBudget(runs, 'zipf', 512)).toEqual({ memoryPages: 512, source: 'peak-resident' });
  });

  it('falls back to the planned budget when no successful run measured it', () => {
    const runs = [run('course', 'ok'), run('course', 'failed', 900 * 4096)];
    expect(residentBudget(runs, 'course', 1024)).toBeNull();
    expect(boundMemory(runs, 'course', { pages: 1024, simulatedMemoryPages: 300 })).toEqual({ memoryPages: 300, source: 'planned' });
  });

  it('gives a MIN that falls as memory grows, down to none for a workload that fits', () => {
    const at = (memoryPages: number) => simulateBound('course', { passes: 3, seed: 1 }, { pages: 512 }, { memoryPages, source: 'peak-resident' });
    const [small, larger, all] = [at(200), at(300), at(512)];
    expect(small.minSwapIns).toBeGreaterThan(larger.minSwapIns);
    expect(all.minSwapIns).toBe(0);
    expect(larger).toMatchObject({ workload: 'course', pages: 512, memoryPages: 300, memorySource: 'peak-resident' });
  });
});
