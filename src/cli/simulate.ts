/**
 * `balloon simulate`: a workload's reference string, or a recorded trace,
 * against every agent policy, the per-reference anchors (LRU, ARC, LIRS)
 * and MIN.
 */
import { readFileSync } from 'node:fs';
import {
  AgentError,
  batchPages,
  comparePolicies,
  DEFAULT_SIMULATION_OPTIONS,
  decodeReferenceString,
  POLICY_NAMES,
  REFERENCE_POLICY_NAMES,
  tracePageCount,
  type ComparisonOptions,
  type ComparisonRow,
  type PolicyName,
  type ReferencePolicyName,
} from '../agent/index.js';
import { checkWorkloadName, makeSpec, referenceString, sampleReferences, type WorkloadSpec } from '../workloads/index.js';
import { UsageError } from './errors.js';
import { parsePositiveInt } from './run.js';

export interface SimulateCliOptions {
  workload?: string;
  /** A recorded reference string (little-endian uint32 page numbers), instead of a workload. */
  trace?: string;
  memory: string;
  pages?: string;
  passes?: string;
  seed?: string;
  sample?: string;
  /** References between two simulated scans (default: memory / 4). */
  scanEvery?: string;
}

/** One row: an agent policy, an anchor or MIN. */
export type SimulateRow = ComparisonRow;

export interface SimulateOutput {
  /** The workload's name, or `trace` for a recorded trace. */
  workload: string;
  /** The trace file, when one was replayed. */
  traceFile: string | null;
  memoryPages: number;
  /** Workload size in pages; for a trace, its highest page number + 1. */
  pages: number;
  /** Workload passes (0 for a trace: it has none). */
  passes: number;
  /** Workload seed (0 for a trace: it has none). */
  seed: number;
  sample: number;
  scanEveryReferences: number;
  /** Pages the simulated controller asks for per policy call. */
  batchPages: number;
  references: number;
  /** MIN's swap-ins; when 0, rows carry no ratio (swapInsToMin is null). */
  minSwapIns: number;
  results: SimulateRow[];
}

export interface SimulatePlan {
  source: { kind: 'workload'; spec: WorkloadSpec } | { kind: 'trace'; file: string };
  memoryPages: number;
  sample: number;
  scanEveryReferences: number;
}

/** Default scan interval: a quarter of memory, in references (256 for 1024 pages, the bench's base). */
export function defaultScanEvery(memoryPages: number): number {
  return Math.max(1, Math.round(memoryPages / 4));
}

export function planSimulate(o: SimulateCliOptions): SimulatePlan {
  if ((o.workload === undefined) === (o.trace === undefined)) {
    throw new UsageError('give either --workload NAME or --trace FILE (a reference string recorded by balloon run --trace)');
  }
  const memoryPages = parsePositiveInt(o.memory, '--memory');
  const sample = o.sample === undefined ? 1 : parsePositiveInt(o.sample, '--sample');
  const scanEveryReferences = o.scanEvery === undefined ? defaultScanEvery(memoryPages) : parsePositiveInt(o.scanEvery, '--scan-every');
  if (o.trace !== undefined) {
    const extra = [o.pages !== undefined ? '--pages' : null, o.passes !== undefined ? '--passes' : null].filter((x) => x !== null);
    if (extra.length > 0) throw new UsageError(`${extra.join(' and ')} describe a workload; a --trace replays the file as it is`);
    return { source: { kind: 'trace', file: o.trace }, memoryPages, sample, scanEveryReferences };
  }
  const name = checkWorkloadName(o.workload!);
  const pages = o.pages === undefined ? 2 * memoryPages : parsePositiveInt(o.pages, '--pages');
  const passes = o.passes === undefined ? undefined : parsePositiveInt(o.passes, '--passes');
  const seed = o.seed === undefined ? 1 : parsePositiveInt(o.seed, '--seed');
  return { source: { kind: 'workload', spec: makeSpec(name, pages, passes, seed) }, memoryPages, sample, scanEveryReferences };
}

/** Reads a trace file; every failure is one UsageError line naming the file. */
export function readTraceFile(file: string): Uint32Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`trace file ${file} does not exist (balloon run --trace FILE records one)`);
    if (code === 'EISDIR') throw new UsageError(`trace file ${file} is a directory, not a trace`);
    throw new UsageError(`cannot read trace file ${file}: ${(err as Error).message}`);
  }
  try {
    return decodeReferenceString(bytes, `trace file ${file}`);
  } catch (err) {
    if (err instanceof AgentError) throw new UsageError(err.message);
    throw err;
  }
}

/** Progress of a long simulation, one line at a time (without a trailing newline). */
export type SimulateProgress = (line: string) => void;

/** References from which a simulation announces itself before the first row (a few seconds' work). */
export const ANNOUNCE_REFERENCES = 1_000_000;

/**
 * Progress lines for a simulation: an announcement when the trace is long,
 * then, once a second has passed, a line per finished row. Short runs stay silent.
 */
export function simulateProgress(log: SimulateProgress, references: number, clock: () => number = Date.now): NonNullable<ComparisonOptions['onRow']> {
  const start = clock();
  if (references >= ANNOUNCE_REFERENCES) log(`simulating ${references.toLocaleString('en-US')} references against every policy, anchor and MIN: this takes a while`);
  return (row, done, total) => {
    const seconds = (clock() - start) / 1000;
    if (seconds >= 1) log(`${done}/${total} ${row.policy} done (${row.swapIns.toLocaleString('en-US')} swap-ins), ${seconds.toFixed(1)} s`);
  };
}

/** Replays the reference string against `policies` (default: all of them), the anchors, then MIN. */
export function runSimulate(
  o: SimulateCliOptions,
  policies: readonly PolicyName[] = POLICY_NAMES,
  anchors: readonly ReferencePolicyName[] = REFERENCE_POLICY_NAMES,
  progress?: SimulateProgress,
): SimulateOutput {
  const plan = planSimulate(o);
  const { memoryPages, sample, scanEveryReferences } = plan;
  const full = plan.source.kind === 'trace' ? readTraceFile(plan.source.file) : referenceString(plan.source.spec);
  const trace = sampleReferences(full, sample);
  const { batchFraction } = DEFAULT_SIMULATION_OPTIONS;
  const onRow = progress === undefined ? undefined : simulateProgress(progress, trace.length);
  const results = comparePolicies(trace, { memoryPages, scanEveryReferences, batchFraction, policies, anchors, onRow });
  const spec = plan.source.kind === 'workload' ? plan.source.spec : null;
  return {
    workload: spec?.name ?? 'trace',
    traceFile: plan.source.kind === 'trace' ? plan.source.file : null,
    memoryPages,
    pages: spec?.pages ?? tracePageCount(trace),
    passes: spec?.passes ?? 0,
    seed: spec?.seed ?? 0,
    sample,
    scanEveryReferences,
    batchPages: batchPages(memoryPages, batchFraction),
    references: trace.length,
    minSwapIns: results.find((r) => r.kind === 'min')!.swapIns,
    results,
  };
}
