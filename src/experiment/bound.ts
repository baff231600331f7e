/**
 * The optimal bound: each workload's reference string, at the runs' scale,
 * replayed on this host against Belady's MIN (and, if asked, every agent
 * policy, which takes minutes at full scale) with `balloon simulate`'s code.
 */
import { POLICY_NAMES } from '../agent/index.js';
import { runSimulate, type SimulateCliOptions, type SimulateRow } from '../cli/simulate.js';
import type { WorkloadName } from '../workloads/index.js';
import type { ExperimentMatrix } from './matrix.js';
import type { RunScale } from './preflight.js';

export interface WorkloadBound {
  workload: string;
  pages: number;
  passes: number;
  seed: number;
  /** Memory given to the simulation: the guest's MemAvailable minus the threshold, in pages. */
  memoryPages: number;
  references: number;
  /** MIN's swap-ins: no policy can do with fewer (pages read back from swap). */
  minSwapIns: number;
  minSwapOuts: number;
  minFaults: number;
  /** MIN, and every agent policy when simulated too. */
  results: SimulateRow[];
  elapsedMs: number;
}

export interface SimulateFile {
  memoryPages: number;
  note: string;
  workloads: WorkloadBound[];
}

export function simulateBound(workload: WorkloadName, matrix: Pick<ExperimentMatrix, 'passes' | 'seed'>, scale: Pick<RunScale, 'pages' | 'simulatedMemoryPages'>, allPolicies = false): WorkloadBound {
  const t0 = performance.now();
  const options: SimulateCliOptions = {
    workload,
    memory: String(scale.simulatedMemoryPages),
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
    memoryPages: scale.simulatedMemoryPages,
    references,
    minSwapIns: min.swapIns,
    minSwapOuts: min.swapOuts,
    minFaults: min.faults,
    results,
    elapsedMs: Math.round(performance.now() - t0),
  };
}
