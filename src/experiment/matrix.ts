/**
 * The experiment matrix: workloads x policies x repetitions, from command-line
 * options and/or a small JSON config file. Everything here is checked before
 * anything runs; errors name the bad value and list the valid ones.
 */
import { readFile } from 'node:fs/promises';
import { RUN_POLICY_NAMES } from '../shared/run-result.js';
import { parsePositiveInt, UsageError } from '../shared/usage.js';
import {
  isWorkloadName,
  makeSpec,
  MAX_REFERENCES,
  MIN_WORKLOAD_PAGES,
  PAGE_BYTES,
  parseSize,
  referenceCount,
  WORKLOAD_NAMES,
  WorkloadArgumentError,
  type WorkloadName,
} from '../workloads/index.js';

/** Options as the command line gives them (strings), or as a config file gives them. */
export interface MatrixInput {
  workloads?: string | readonly string[];
  policies?: string | readonly string[];
  repetitions?: string | number;
  size?: string | number;
  threshold?: string | number;
  passes?: string | number;
  seed?: string | number;
  /** Per-run timeout in seconds. */
  timeout?: string | number;
  sampleMs?: string | number;
}

/** Keys a config file may have (timeoutSeconds is accepted as a synonym of timeout). */
export const CONFIG_KEYS = ['workloads', 'policies', 'repetitions', 'size', 'threshold', 'passes', 'seed', 'timeout', 'timeoutSeconds', 'sampleMs'] as const;

export interface ExperimentMatrix {
  workloads: WorkloadName[];
  policies: string[];
  repetitions: number;
  /** Region size for every run; null = the guest's default (1.25 x MemTotal, capped), fixed at preflight. */
  sizeBytes: number | null;
  /** Balloon threshold; null = the guest's sysfs value. */
  thresholdBytes: number | null;
  /** null = each workload's default. */
  passes: number | null;
  seed: number;
  timeoutSeconds: number;
  sampleMs: number | null;
}

/** One run of the matrix. */
export interface Cell {
  /** 0-based position in the run order. */
  index: number;
  workload: WorkloadName;
  policy: string;
  /** 1-based repetition. */
  rep: number;
}

export const MATRIX_DEFAULTS = {
  policies: RUN_POLICY_NAMES,
  repetitions: 1,
  seed: 1,
  timeoutSeconds: 1800,
} as const;

function list(value: string | readonly string[] | undefined, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = typeof value === 'string' ? value.split(',') : [...value];
  if (!items.every((v) => typeof v === 'string')) throw new UsageError(`${what} must be a list of names`);
  const names = items.map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`${what} is empty`);
  return [...new Set(names)];
}

function positiveInt(value: string | number | undefined, what: string): number | undefined {
  return value === undefined ? undefined : parsePositiveInt(String(value), what);
}

function size(value: string | number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSize(String(value), what);
  } catch (err) {
    if (err instanceof WorkloadArgumentError) throw new UsageError(err.message);
    throw err;
  }
}

/** Checks the options (command line over config file) and returns the matrix. */
export function planMatrix(input: MatrixInput): ExperimentMatrix {
  const workloads = list(input.workloads, 'workloads');
  if (workloads === undefined) throw new UsageError(`no workloads given (--workloads a,b or "workloads" in the config); valid workloads: ${WORKLOAD_NAMES.join(', ')}`);
  const badW = workloads.filter((w) => !isWorkloadName(w));
  if (badW.length > 0) throw new UsageError(`unknown workload${badW.length > 1 ? 's' : ''} ${badW.map((w) => `"${w}"`).join(', ')}; valid workloads: ${WORKLOAD_NAMES.join(', ')}`);
  const policies = list(input.policies, 'policies') ?? [...MATRIX_DEFAULTS.policies];
  const badP = policies.filter((p) => !RUN_POLICY_NAMES.includes(p));
  if (badP.length > 0) throw new UsageError(`unknown polic${badP.length > 1 ? 'ies' : 'y'} ${badP.map((p) => `"${p}"`).join(', ')}; valid policies: ${RUN_POLICY_NAMES.join(', ')}`);

  const sizeBytes = size(input.size, 'size') ?? null;
  const thresholdBytes = size(input.threshold, 'threshold') ?? null;
  const passes = positiveInt(input.passes, 'passes') ?? null;
  const seed = positiveInt(input.seed, 'seed') ?? MATRIX_DEFAULTS.seed;
  const matrix: ExperimentMatrix = {
    workloads: workloads as WorkloadName[],
    policies,
    repetitions: positiveInt(input.repetitions, 'repetitions') ?? MATRIX_DEFAULTS.repetitions,
    sizeBytes: sizeBytes === null ? null : Math.ceil(sizeBytes / PAGE_BYTES) * PAGE_BYTES,
    thresholdBytes,
    passes,
    seed,
    timeoutSeconds: positiveInt(input.timeout, 'timeout') ?? MATRIX_DEFAULTS.timeoutSeconds,
    sampleMs: positiveInt(input.sampleMs, 'sample-ms') ?? null,
  };
  if (matrix.sizeBytes !== null) checkSizes(matrix, matrix.sizeBytes);
  return matrix;
}

/**
 * Sizes every run can use: at least MIN_WORKLOAD_PAGES pages, a reference
 * string that can be generated, and a threshold below the region size.
 * (Against the guest's RAM + swap: see checkGuestSizes in preflight.ts.)
 */
export function checkSizes(matrix: ExperimentMatrix, sizeBytes: number): void {
  const pages = sizeBytes / PAGE_BYTES;
  if (pages < MIN_WORKLOAD_PAGES) throw new UsageError(`size ${sizeBytes} bytes is too small: every workload needs at least ${MIN_WORKLOAD_PAGES} pages (${MIN_WORKLOAD_PAGES * 4} KiB)`);
  for (const w of matrix.workloads) {
    const spec = makeSpec(w, pages, matrix.passes ?? undefined, matrix.seed);
    const refs = referenceCount(spec);
    if (refs > MAX_REFERENCES) throw new UsageError(`${w} with ${pages} pages and ${spec.passes} passes makes ${refs} references, more than ${MAX_REFERENCES}; use fewer passes or a smaller size`);
  }
}

/** Reads a JSON config file; unknown keys and wrong types are refused. */
export async function readMatrixConfig(file: string): Promise<MatrixInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseMatrixConfig(text, file);
}

export function parseMatrixConfig(text: string, file = 'config'): MatrixInput {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`${file} must hold a JSON object with keys ${CONFIG_KEYS.join(', ')}`);
  const obj = raw as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new UsageError(`${file}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; valid keys: ${CONFIG_KEYS.join(', ')}`);
  const out: MatrixInput = {};
  const names = (k: 'workloads' | 'policies'): void => {
    const v = obj[k];
    if (v === undefined) return;
    if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) out[k] = v as string | string[];
    else throw new UsageError(`${file}: "${k}" must be a list of names (or one comma-separated string)`);
  };
  const scalar = (k: string, target: Exclude<keyof MatrixInput, 'workloads' | 'policies'>): void => {
    const v = obj[k];
    if (v === undefined) return;
    if (typeof v !== 'string' && typeof v !== 'number') throw new UsageError(`${file}: "${k}" must be a number or a string`);
    out[target] = v;
  };
  names('workloads');
  names('policies');
  scalar('repetitions', 'repetitions');
  scalar('size', 'size');
  scalar('threshold', 'threshold');
  scalar('passes', 'passes');
  scalar('seed', 'seed');
  scalar('timeoutSeconds', 'timeout');
  scalar('timeout', 'timeout');
  scalar('sampleMs', 'sampleMs');
  return out;
}

/** Command-line values win over the config file's. */
export function mergeInputs(file: MatrixInput, cli: MatrixInput): MatrixInput {
  const out: MatrixInput = { ...file };
  for (const [k, v] of Object.entries(cli) as [keyof MatrixInput, MatrixInput[keyof MatrixInput]][]) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * The run order: repetition by repetition, and within one every workload
 * with every policy, so that policies are compared side by side in time.
 */
export function matrixCells(m: Pick<ExperimentMatrix, 'workloads' | 'policies' | 'repetitions'>): Cell[] {
  const cells: Cell[] = [];
  for (let rep = 1; rep <= m.repetitions; rep++) {
    for (const workload of m.workloads) {
      for (const policy of m.policies) cells.push({ index: cells.length, workload, policy, rep });
    }
  }
  return cells;
}
