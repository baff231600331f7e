import { describe, expect, it } from 'vitest';
import { BENCH_PROFILES, BENCH_USAGE, planBench, splitBenchArgs, WHOLE_BENCH_USAGE } from '../../../src/experiment/bench-plan.js';
import { expectedRunMs, modelRunMs } from '../../../src/experiment/estimate.js';
import { matrixCells } from '../../../src/experiment/matrix.js';
import { HarnessError } from '../../../src/harness/errors.js';
import { resolveSwapDevice } from '../../../src/harness/swap-device.js';

const MiB = 2 ** 20;
const PAGE = 4096;

describe('the bench\'s set-up', () => {
  it('runs the course\'s own scale by default, on the ssd model, 3 repetitions per cell', () => {
    const plan = planBench([]);
    // Issue #12's shape: 2560 MiB guest, 4 GiB swap, 2 GiB buffer, 1 GiB threshold, 5 passes.
    expect(plan).toMatchObject({ mode: 'full', memoryMiB: 2560, swapMiB: 4096, out: 'results/bench.json' });
    expect(plan.matrix).toMatchObject({ workloads: ['course'], policies: ['kernel', 'lru-approx', 'balloon'], repetitions: 3, sizeBytes: 2048 * MiB, thresholdBytes: 1024 * MiB, passes: 5 });
    expect(plan.swapDevice).toEqual(resolveSwapDevice({ device: 'ssd' }, 'tcg'));
    expect(planBench(['--profile', 'full'])).toEqual(plan);
  });

  it('has the scaled matrix and a smaller CI profile, and takes overrides', () => {
    const scaled = planBench(['--profile', 'scaled']);
    expect(scaled).toMatchObject({ mode: 'scaled', memoryMiB: 768, swapMiB: 2048 });
    expect(scaled.matrix).toMatchObject({ workloads: ['course', 'sweep-hot'], policies: ['kernel', 'lru-approx', 'balloon'], sizeBytes: 576 * MiB, thresholdBytes: 160 * MiB, passes: 2 });
    const quick = planBench(['--quick']);
    expect(quick).toMatchObject({ mode: 'quick', memoryMiB: BENCH_PROFILES.quick.memoryMiB });
    expect(quick.matrix).toMatchObject({ workloads: ['course'], policies: ['kernel', 'balloon'], repetitions: 3, sizeBytes: 384 * MiB });
    expect(planBench(['--profile', 'quick'])).toEqual(quick);
    expect(planBench(['--quick', '--profile', 'quick'])).toEqual(quick);
    const custom = planBench(['--quick', '--repetitions', '5', '--swap-device', 'none', '--workloads', 'zipf', '--out', 'x.json']);
    expect(custom).toMatchObject({ mode: 'quick', out: 'x.json', swapDevice: { device: 'none' }, matrix: { workloads: ['zipf'], repetitions: 5 } });
    expect(planBench(['--profile', 'scaled', '--memory', '1.5G', '--swap', '4G'])).toMatchObject({ memoryMiB: 1536, swapMiB: 4096 });
    const kernelOnly = planBench(['--policies', 'kernel,balloon', '--passes', '3']);
    expect(kernelOnly).toMatchObject({ mode: 'full', memoryMiB: 2560, matrix: { policies: ['kernel', 'balloon'], sizeBytes: 2048 * MiB, passes: 3 } });
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
    // Sizes in the one grammar (src/cli/README.md): a plain number is bytes.
    expect(error(['--swap', '2048'])).toBe('bench: --swap 2048 is 2 KiB, below the minimum of 256 MiB; a plain number is bytes: did you mean 2048M? Usage: ' + BENCH_USAGE);
    expect(error(['--swap', 'lots'])).toMatch(/^bench: --swap "lots" is not a size: /);
    expect(error(['--repetitions', '2'])).toBe('bench: 2 repetitions per cell is too few: the bench reports the median, min and max of each. Use --repetitions 3 or more.');
    expect(error(['--fast'])).toMatch(/^bench: Unknown option '--fast'\. .*Usage: npm run bench:vm/);
    expect(error(['--workloads', 'nope'])).toMatch(/^bench: unknown workload "nope"; valid workloads: /);
    expect(error(['--swap-device', 'custom'])).toMatch(/^bench: --swap-device custom is not a bench profile\./);
    expect(error(['--swap-device', 'tape'])).toMatch(/--swap-device "tape" is not a swap device/);
    expect(error(['--memory', '100M'])).toMatch(/^bench: --memory 100M is 100 MiB, below the minimum of 256 MiB\./);
    expect(error(['--profile', 'huge'])).toBe('bench: --profile "huge" is not a bench profile; profiles: full, scaled, quick. Usage: ' + BENCH_USAGE);
    expect(error(['--quick', '--profile', 'scaled'])).toBe('bench: --quick and --profile scaled name two profiles. Give one of them (--quick is --profile quick).');
  });
});

describe('the whole bench\'s arguments (npm run bench)', () => {
  it('takes --out-dir for every part and leaves the rest to bench:vm', () => {
    expect(splitBenchArgs([])).toEqual({ outDir: 'results', rest: [] });
    expect(splitBenchArgs(['--quick', '--out-dir', '/tmp/b', '--policies', 'kernel'])).toEqual({ outDir: '/tmp/b', rest: ['--quick', '--policies', 'kernel'] });
    expect(splitBenchArgs(['--out-dir=x', '--profile', 'scaled'])).toEqual({ outDir: 'x', rest: ['--profile', 'scaled'] });
  });

  it('refuses, in one line, --out-dir without a directory and bench:vm\'s --out', () => {
    for (const args of [['--out-dir'], ['--out-dir', '--quick'], ['--out-dir=']]) {
      expect(() => splitBenchArgs(args)).toThrow(new HarnessError('bench: --out-dir needs a directory.', `Usage: ${WHOLE_BENCH_USAGE}`));
    }
    expect(() => splitBenchArgs(['--out', 'b.json'])).toThrow(/^bench: --out is bench:vm's own; the whole bench writes every part into --out-dir\.$/);
  });
});

describe('how long the bench expects to take', () => {
  const ssd = resolveSwapDevice({ device: 'ssd' }, 'tcg').throttle;
  const hdd = resolveSwapDevice({ device: 'hdd' }, 'tcg').throttle;
  const matrix = { passes: 2, seed: 1 };

  it('models a run from its references and the swap device', () => {
    const none = modelRunMs('course', matrix, 576 * MiB, null);
    // 576 MiB, 2 passes: 147,456 + 2 × 73,728 references at 0.02 ms, 147,456 pages checked at 0.06 ms, plus 20 s.
    expect(none).toBe(Math.round(294_912 * 0.02 + 147_456 * 0.06 + 20_000));
    expect(modelRunMs('course', matrix, 288 * MiB, null)).toBeLessThan(none);
    expect(modelRunMs('course', matrix, 576 * MiB, ssd)).toBeGreaterThan(none);
    expect(modelRunMs('course', matrix, 576 * MiB, hdd)).toBeGreaterThan(modelRunMs('course', matrix, 576 * MiB, ssd));
  });

  it('puts the course scale\'s bench (kernel and balloon, 3 each: 17 min 51 s with boot and MIN, 2026-12-03) within 1.5x', () => {
    const run = modelRunMs('course', { passes: 5, seed: 1 }, 2048 * MiB, ssd);
    const measuredMs = (17 * 60 + 51) * 1000;
    expect(6 * run).toBeGreaterThan(measuredMs / 1.5);
    expect(6 * run).toBeLessThan(measuredMs * 1.5);
    // The device's share is the larger of its two budgets: ssd's bandwidth here, not their sum.
    expect(run).toBe(Math.round(1_835_008 * 0.02 + 524_288 * 0.06 + (1_835_008 * PAGE * 1000) / ssd!.bytesPerSecond! + 20_000));
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
