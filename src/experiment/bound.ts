/**
 * The optimal bound: each workload's reference string, at the runs' scale,
 * replayed on this host against Belady's MIN (and, if asked, every agent
 * policy, which takes minutes at full scale) with `balloon simulate`'s code.
 *
 * MIN is only a bound for a run that had at most the memory MIN was given.
 * So it is simulated after the runs, with the largest peak resident set any
 * successful run of the workload had (`peakResidentBytes`, the process's
 * ru_maxrss, which counts Node.js's own pages too and so errs on the side of
 * more memory, a lower MIN). MIN with more memory makes no more swap-ins, so
 * that one figure bounds every run of the workload. Without a run that
 * measured it (old results, every run failed), the planned budget is used,
 * and the bound is marked as such.
 */
import { POLICY_NAMES } from '../agent/index.js';
import { runSimulate, type SimulateCliOptions, type SimulateRow } from '../cli/simulate.js';
import { PAGE_BYTES, type WorkloadName } from '../workloads/index.js';
import type { RunRecord } from './cell.js';
import type { ExperimentMatrix } from './matrix.js';
import type { RunScale } from './preflight.js';

/** Where MIN's memory comes from. */
export type BoundMemorySource =
  /** The largest peak resident set of the workload's successful runs: a bound for each of them. */
  | 'peak-resident'
  /** The planned budget (the guest's MemAvailable minus the threshold): no run measured its resident set, so not guaranteed. */
  | 'planned';

export interface BoundMemory {
  memoryPages: number;
  source: BoundMemorySource;
}

export interface WorkloadBound {
  workload: string;
  pages: number;
  passes: number;
  seed: number;
  /** Memory given to the simulation, in pages (at most the workload's pages). */
  memoryPages: number;
  memorySource: BoundMemorySource;
  references: number;
  /** MIN's swap-ins: no run with at most memoryPages of memory can do with fewer (pages read back from swap). */
  minSwapIns: number;
  /** MIN's swap-outs (MIN minimises misses, not writes: this one is not a bound). */
  minSwapOuts: number;
  minFaults: number;
  /** MIN, and every agent policy when simulated too. */
  results: SimulateRow[];
  elapsedMs: number;
}

export const SIMULATE_FILE_VERSION = 2;

export interface SimulateFile {
  /** 2: memory per workload from the runs' peak resident sets (1, unnumbered: one planned memoryPages for all). */
  version?: number;
  /** Version 1 only: the planned budget every workload was simulated with. */
  memoryPages?: number;
  note: string;
  workloads: WorkloadBound[];
}

export const SIMULATE_NOTE =
  'reference strings replayed on the host against Belady\'s MIN; memory per workload = the largest peak resident set (ru_maxrss) among its successful runs, ' +
  'or the planned budget (MemAvailable - threshold) when no run measured one; swap-ins are pages read back from swap';

/**
 * MIN's memory for one workload: the largest peak resident set among its
 * successful runs, in pages (rounded up, at most the workload's pages), or
 * null when no successful run recorded one.
 */
export function residentBudget(records: readonly RunRecord[], workload: string, pages: number): BoundMemory | null {
  let peak: number | null = null;
  for (const r of records) {
    const bytes = r.status === 'ok' && r.workload === workload ? r.result?.peakResidentBytes : undefined;
    if (typeof bytes === 'number' && Number.isFinite(bytes) && bytes > 0) peak = Math.max(peak ?? 0, bytes);
  }
  return peak === null ? null : { memoryPages: Math.max(1, Math.min(pages, Math.ceil(peak / PAGE_BYTES))), source: 'peak-resident' };
}

/** The workload's MIN at the runs' memory, or at the planned budget when no run measured it. */
export function boundMemory(records: readonly RunRecord[], workload: string, scale: Pick<RunScale, 'pages' | 'simulatedMemoryPages'>): BoundMemory {
  return residentBudget(records, workload, scale.pages) ?? { memoryPages: scale.simulatedMemoryPages, source: 'planned' };
}

export function simulateBound(
  workload: WorkloadName,
  matrix: Pick<ExperimentMatrix, 'passes' | 'seed'>,
  scale: Pick<RunScale, 'pages'>,
  memory: BoundMemory,
  allPolicies = false,
): WorkloadBound {
  const t0 = performance.now();
  const options: SimulateCliOptions = {
    workload,
    memory: String(memory.memoryPages),
    pages: String(scale.pages),
    seed: String(matrix.seed),
    ...(matrix.passes !== null ? { passes: String(matrix.passes) } : {}),
  };
  const { results, references, pages, passes, seed } = runSimulate(options, allPolicies ? POLICY_NAMES : []);
  const min = results.find((r) => r.policy === 'min')!;
  return {
    workload,
    pages,
    passes,
    seed,
    memoryPages: memory.memoryPages,
    memorySource: memory.source,
    references,
    minSwapIns: min.swapIns,
    minSwapOuts: min.swapOuts,
    minFaults: min.faults,
    results,
    elapsedMs: Math.round(performance.now() - t0),
  };
}
