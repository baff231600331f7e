/**
 * The bench's set-up from its options (`npm run bench:vm -- ...`): a named
 * profile (the course's own scale by default, the scaled matrix, or the CI
 * one), with any value overridden, checked before anything boots. Pure;
 * errors are one line saying what to do.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../shared/usage.js';
import { HarnessError } from '../harness/errors.js';
import { sizeOption } from '../harness/cli.js';
import { resolveSwapDevice, type SwapDeviceModel, type SwapDeviceName } from '../harness/swap-device.js';
import { planMatrix, type ExperimentMatrix } from './matrix.js';

export type BenchMode = 'full' | 'scaled' | 'quick';

export const BENCH_MODES: readonly BenchMode[] = ['full', 'scaled', 'quick'];

export interface BenchProfile {
  workloads: string;
  policies: string;
  memoryMiB: number;
  swapMiB: number;
  size: string;
  threshold: string;
  passes: string;
}

/**
 * full: the course's own test at the scale issue #12 set for TCG (a 2 GiB buffer written once,
 * its first half incremented 5 times, 1 GiB threshold, 2560 MiB guest, 4 GiB swap), the
 * headline, under an hour on the build machines. scaled: two workloads at 576 MiB in a
 * 768 MiB guest, where the policies differ on more than the course. quick: the CI profile.
 */
export const BENCH_PROFILES: Readonly<Record<BenchMode, BenchProfile>> = {
  full: { workloads: 'course', policies: 'kernel,lru-approx,balloon', memoryMiB: 2560, swapMiB: 4096, size: '2G', threshold: '1G', passes: '5' },
  scaled: { workloads: 'course,sweep-hot', policies: 'kernel,lru-approx,balloon', memoryMiB: 768, swapMiB: 2048, size: '576M', threshold: '160M', passes: '2' },
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
  'npm run bench:vm [-- --profile full|scaled|quick] [--quick] [--workloads a,b] [--policies a,b] [--repetitions N>=3] [--memory 2560M] [--swap 4G] [--size S] [--threshold S] [--passes N] ' +
  '[--swap-device none|ssd|hdd] [--out results/bench.json]';

export function planBench(args: readonly string[]): BenchPlan {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        profile: { type: 'string' },
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
  if (values.profile !== undefined && !(BENCH_MODES as readonly string[]).includes(values.profile)) {
    throw new HarnessError(`bench: --profile "${values.profile}" is not a bench profile; profiles: ${BENCH_MODES.join(', ')}.`, `Usage: ${BENCH_USAGE}`);
  }
  if (values.quick && values.profile !== undefined && values.profile !== 'quick') {
    throw new HarnessError(`bench: --quick and --profile ${values.profile} name two profiles.`, 'Give one of them (--quick is --profile quick).');
  }
  const mode: BenchMode = values.quick ? 'quick' : ((values.profile as BenchMode | undefined) ?? 'full');
  const profile = BENCH_PROFILES[mode];
  const memoryMiB = values.memory === undefined ? profile.memoryMiB : sizeOption('--memory', values.memory, 'MiB', 256, `Usage: ${BENCH_USAGE}`, 'bench: ');
  const swapMiB = values.swap === undefined ? profile.swapMiB : sizeOption('--swap', values.swap, 'MiB', 256, `Usage: ${BENCH_USAGE}`, 'bench: ');
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

export const WHOLE_BENCH_USAGE = 'npm run bench [-- --quick | --profile full|scaled|quick] [--out-dir results] [the options of bench:vm but --out]';

/**
 * The whole bench's arguments (`npm run bench -- ...`): `--out-dir DIR` (or `--out-dir=DIR`,
 * `results` by default), where every part writes, taken out; the rest go to bench:vm. bench:vm's
 * own `--out` is refused: the whole bench decides where bench.json goes.
 */
export function splitBenchArgs(args: readonly string[]): { outDir: string; rest: string[] } {
  const rest: string[] = [];
  let outDir = 'results';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--out-dir' || a.startsWith('--out-dir=')) {
      const value = a === '--out-dir' ? args[++i] : a.slice('--out-dir='.length);
      if (value === undefined || value === '' || value.startsWith('--')) throw new HarnessError('bench: --out-dir needs a directory.', `Usage: ${WHOLE_BENCH_USAGE}`);
      outDir = value;
    } else if (a === '--out' || a.startsWith('--out=')) {
      throw new HarnessError("bench: --out is bench:vm's own; the whole bench writes every part into --out-dir.", `Usage: ${WHOLE_BENCH_USAGE}`);
    } else {
      rest.push(a);
    }
  }
  return { outDir, rest };
}
