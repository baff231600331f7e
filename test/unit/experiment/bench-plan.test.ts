import { describe, expect, it } from 'vitest';
import { BENCH_PROFILES, BENCH_USAGE, planBench } from '../../../src/experiment/bench-plan.js';
import { expectedRunMs, modelRunMs } from '../../../src/experiment/estimate.js';
import { matrixCells } from '../../../src/experiment/matrix.js';
import { HarnessError } from '../../../src/harness/errors.js';
import { resolveSwapDevice } from '../../../src/harness/swap-device.js';

const MiB = 2 ** 20;

describe('the bench\'s set-up', () => {
  it('runs the full profile on the ssd model, 3 repetitions per cell', () => {
    const plan = planBench([]);
    expect(plan).toMatchObject({ mode: 'full', memoryMiB: 768, swapMiB: 2048, out: 'results/bench.json' });
    expect(plan.matrix).toMatchObject({ workloads: ['course', 'sweep-hot'], policies: ['kernel', 'lru-approx', 'balloon'], repetitions: 3, sizeBytes: 576 * MiB, thresholdBytes: 160 * MiB, passes: 2 });
    expect(plan.swapDevice).toEqual(resolveSwapDevice({ device: 'ssd' }, 'tcg'));
  });

  it('has a smaller CI profile, and takes overrides', () => {
    const quick = planBench(['--quick']);
    expect(quick).toMatchObject({ mode: 'quick', memoryMiB: BENCH_PROFILES.quick.memoryMiB });
    expect(quick.matrix).toMatchObject({ workloads: ['course'], policies: ['kernel', 'balloon'], repetitions: 3, sizeBytes: 384 * MiB });
    const custom = planBench(['--quick', '--repetitions', '5', '--swap-device', 'none', '--workloads', 'zipf', '--out', 'x.json']);
    expect(custom).toMatchObject({ mode: 'quick', out: 'x.json', swapDevice: { device: 'none' }, matrix: { workloads: ['zipf'], repetitions: 5 } });
    // The course's own scale (#12): 2560 MiB guest, 4 GiB swap, 2 GiB buffer, 1 GiB threshold, 5 passes.
    const courseScale = planBench(['--memory', '2560', '--swap', '4096', '--size', '2G', '--threshold', '1G', '--passes', '5', '--workloads', 'course', '--policies', 'kernel,balloon']);
    expect(courseScale).toMatchObject({ mode: 'full', memoryMiB: 2560, swapMiB: 4096, matrix: { sizeBytes: 2048 * MiB, thresholdBytes: 1024 * MiB, passes: 5 } });
  });

  it('refuses, in one line, fewer than 3 repetitions and anything else it cannot run', () => {
    const error = (args: string[]): string => {
      try {
        planBench(args);
      } catch (err) {
        expect(err).toBeInstanceOf(HarnessError);
        return `${(err as HarnessError).message} ${(err as HarnessError).hint}`;
      }
      throw new Error('no error');
    };
    expect(error(['--swap', '1.5G'])).toBe('bench: --swap must be a whole number of MiB, at least 256; got 1.5G. Usage: ' + BENCH_USAGE);
    expect(error(['--repetitions', '2'])).toBe('bench: 2 repetitions per cell is too few: the bench reports the median, min and max of each. Use --repetitions 3 or more.');
    expect(error(['--fast'])).toMatch(/^bench: Unknown option '--fast'\. .*Usage: npm run bench:vm/);
    expect(error(['--workloads', 'nope'])).toMatch(/^bench: unknown workload "nope"; valid workloads: /);
    expect(error(['--swap-device', 'custom'])).toMatch(/^bench: --swap-device custom is not a bench profile\./);
    expect(error(['--swap-device', 'tape'])).toMatch(/--swap-device "tape" is not a swap device/);
    expect(error(['--memory', '100'])).toMatch(/--memory must be a whole number of MiB, at least 256/);
  });
});

describe('how long the bench expects to take', () => {
  const ssd = resolveSwapDevice({ device: 'ssd' }, 'tcg').throttle;
  const hdd = resolveSwapDevice({ device: 'hdd' }, 'tcg').throttle;
  const matrix = { passes: 2, seed: 1 };

  it('models a run from its references and the swap device', () => {
    const none = modelRunMs('course', matrix, 576 * MiB, null);
    // 576 MiB, 2 passes: 147,456 + 2 × 73,728 references at 0.15 ms, plus 10 s.
    expect(none).toBe(Math.round(294_912 * 0.15 + 10_000));
    expect(modelRunMs('course', matrix, 288 * MiB, null)).toBeLessThan(none);
    expect(modelRunMs('course', matrix, 576 * MiB, ssd)).toBeGreaterThan(none);
    expect(modelRunMs('course', matrix, 576 * MiB, hdd)).toBeGreaterThan(modelRunMs('course', matrix, 576 * MiB, ssd));
  });

  it('takes an earlier bench\'s medians when it ran every cell, else the model for all', () => {
    const cells = matrixCells({ workloads: ['course'], policies: ['kernel', 'balloon'], repetitions: 3 });
    const past = [
      { workload: 'course', policy: 'kernel', durationMs: 50_000 },
      { workload: 'course', policy: 'kernel', durationMs: 70_000 },
      { workload: 'course', policy: 'kernel', durationMs: 90_000 },
      { workload: 'course', policy: 'balloon', durationMs: 40_000 },
    ];
    const fromPast = expectedRunMs(cells, past, () => 1);
    expect(fromPast.source).toBe('earlier-bench');
    expect(cells.map(fromPast.expectedMs)).toEqual([70_000, 40_000, 70_000, 40_000, 70_000, 40_000]);
    const partial = expectedRunMs(cells, past.slice(0, 3), () => 1234);
    expect(partial.source).toBe('model');
    expect(cells.map(partial.expectedMs)).toEqual(Array(6).fill(1234));
  });
});
