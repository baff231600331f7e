/** `balloon simulate`: every policy and MIN on a workload's reference string. */
import { createPolicy, POLICY_NAMES, simulateBelady, simulatePolicy, type PolicyName, type SimulationResult } from '../agent/index.js';
import { makeSpec, checkWorkloadName, referenceString, sampleReferences } from '../workloads/index.js';
import { parsePositiveInt } from './run.js';

export interface SimulateCliOptions {
  workload: string;
  memory: string;
  pages?: string;
  passes?: string;
  seed?: string;
  sample?: string;
}

export interface SimulateRow extends SimulationResult {
  /** coldMisses + swapIns. */
  faults: number;
}

export interface SimulateOutput {
  workload: string;
  memoryPages: number;
  pages: number;
  passes: number;
  seed: number;
  sample: number;
  references: number;
  results: SimulateRow[];
}

export function planSimulate(o: SimulateCliOptions): { spec: ReturnType<typeof makeSpec>; memoryPages: number; sample: number } {
  const name = checkWorkloadName(o.workload);
  const memoryPages = parsePositiveInt(o.memory, '--memory');
  const pages = o.pages === undefined ? 2 * memoryPages : parsePositiveInt(o.pages, '--pages');
  const passes = o.passes === undefined ? undefined : parsePositiveInt(o.passes, '--passes');
  const seed = o.seed === undefined ? 1 : parsePositiveInt(o.seed, '--seed');
  const sample = o.sample === undefined ? 1 : parsePositiveInt(o.sample, '--sample');
  return { spec: makeSpec(name, Math.max(pages, 1), passes, seed), memoryPages, sample };
}

/** Replays the workload against `policies` (default: all of them), then MIN. */
export function runSimulate(o: SimulateCliOptions, policies: readonly PolicyName[] = POLICY_NAMES): SimulateOutput {
  const { spec, memoryPages, sample } = planSimulate(o);
  const trace = sampleReferences(referenceString(spec), sample);
  const results: SimulateRow[] = [];
  for (const name of policies) {
    const r = simulatePolicy(trace, createPolicy(name), { memoryPages });
    results.push({ ...r, faults: r.coldMisses + r.swapIns });
  }
  const min = simulateBelady(trace, memoryPages);
  results.push({ ...min, faults: min.coldMisses + min.swapIns });
  return { workload: spec.name, memoryPages, pages: spec.pages, passes: spec.passes, seed: spec.seed, sample, references: trace.length, results };
}
