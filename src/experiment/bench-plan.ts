/**
 * The bench's set-up from its options (`npm run bench:vm -- ...`): the full
 * profile or the CI one (--quick), with any value overridden, checked before
 * anything boots. Pure; errors are one line saying what to do.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../shared/usage.js';
import { HarnessError } from '../harness/errors.js';
import { resolveSwapDevice, type SwapDeviceModel, type SwapDeviceName } from '../harness/swap-device.js';
import { planMatrix, type ExperimentMatrix } from './matrix.js';

export type BenchMode = 'full' | 'quick';

export interface BenchProfile {
  workloads: string;
  policies: string;
  memoryMiB: number;
  swapMiB: number;
  size: string;
  threshold: string;
  passes: string;
}

/** The full bench (up to about an hour on the build machines) and the CI one. */
export const BENCH_PROFILES: Readonly<Record<BenchMode, BenchProfile>> = {
  full: { workloads: 'course,sweep-hot', policies: 'kernel,lru-approx,balloon', memoryMiB: 768, swapMiB: 2048, size: '576M', threshold: '160M', passes: '2' },
  quick: { workloads: 'course', policies: 'kernel,balloon', memoryMiB: 512, swapMiB: 1024, size: '384M', threshold: '96M', passes: '2' },
};

/** Median, min and max need at least three. */
export const MIN_BENCH_REPETITIONS = 3;

/** The device the bench runs on unless told otherwise: the course's setting (docs/swap-device.md). */
export const BENCH_SWAP_DEVICE: SwapDeviceName = 'ssd';

export interface BenchPlan {
  mode: BenchMode;
  matrix: ExperimentMatrix;
  memoryMiB: number;
  swapMiB: number;
  swapDevice: SwapDeviceModel;
  /** Where bench.json goes. */
  out: string;
}

export const BENCH_USAGE =
  'npm run bench:vm [-- --quick] [--workloads a,b] [--policies a,b] [--repetitions N>=3] [--memory MiB] [--swap MiB] [--size S] [--threshold S] [--passes N] ' +
  '[--swap-device none|ssd|hdd] [--out results/bench.json]';

export function planBench(args: readonly string[]): BenchPlan {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        quick: { type: 'boolean', default: false },
        workloads: { type: 'string' },
        policies: { type: 'string' },
        repetitions: { type: 'string', default: String(MIN_BENCH_REPETITIONS) },
        memory: { type: 'string' },
        swap: { type: 'string' },
        size: { type: 'string' },
        threshold: { type: 'string' },
        passes: { type: 'string' },
        'swap-device': { type: 'string', default: BENCH_SWAP_DEVICE },
        out: { type: 'string', default: 'results/bench.json' },
      },
    }));
  } catch (err) {
    throw new HarnessError(`bench: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}.`, `Usage: ${BENCH_USAGE}`);
  }
  const mode: BenchMode = values.quick ? 'quick' : 'full';
  const profile = BENCH_PROFILES[mode];
  const memoryMiB = values.memory === undefined ? profile.memoryMiB : Number(values.memory);
  if (!Number.isInteger(memoryMiB) || memoryMiB < 256) {
    throw new HarnessError(`bench: --memory must be a whole number of MiB, at least 256; got ${values.memory}.`, `Usage: ${BENCH_USAGE}`);
  }
  const swapMiB = values.swap === undefined ? profile.swapMiB : Number(values.swap);
  if (!Number.isInteger(swapMiB) || swapMiB < 256) {
    throw new HarnessError(`bench: --swap must be a whole number of MiB, at least 256; got ${values.swap}.`, `Usage: ${BENCH_USAGE}`);
  }
  let matrix: ExperimentMatrix;
  try {
    matrix = planMatrix({
      workloads: values.workloads ?? profile.workloads,
      policies: values.policies ?? profile.policies,
      repetitions: values.repetitions,
      size: values.size ?? profile.size,
      threshold: values.threshold ?? profile.threshold,
      passes: values.passes ?? profile.passes,
    });
  } catch (err) {
    if (err instanceof UsageError) throw new HarnessError(`bench: ${err.message}.`, `Usage: ${BENCH_USAGE}`);
    throw err;
  }
  if (matrix.repetitions < MIN_BENCH_REPETITIONS) {
    throw new HarnessError(
      `bench: ${matrix.repetitions} repetition${matrix.repetitions === 1 ? '' : 's'} per cell is too few: the bench reports the median, min and max of each.`,
      `Use --repetitions ${MIN_BENCH_REPETITIONS} or more.`,
    );
  }
  const device = values['swap-device'];
  if (device === 'custom') {
    throw new HarnessError('bench: --swap-device custom is not a bench profile.', 'Use none, ssd or hdd; for a custom device, boot it with `npm run vm:up -- --swap-device custom ...` and run `npm run experiment`.');
  }
  const swapDevice = resolveSwapDevice({ device: device as SwapDeviceName }, 'tcg');
  return { mode, matrix, memoryMiB, swapMiB, swapDevice, out: values.out };
}
