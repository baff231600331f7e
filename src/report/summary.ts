/** Per workload and policy: counts, medians and ratios (pure). */
import type { RunRecord } from '../experiment/cell.js';
import type { WorkloadBound } from '../experiment/bound.js';
import { RUN_POLICY_NAMES } from '../shared/run-result.js';
import type { RunResult } from '../shared/run-result.js';
import type { ResultsData } from './load.js';

export interface PolicySummary {
  policy: string;
  runs: number;
  ok: number;
  failed: number;
  /** Medians over the successful runs; null without one. */
  swapIns: number | null;
  swapOuts: number | null;
  wallMs: number | null;
  signals: number | null;
  swapOutCalls: number | null;
  deficitMiBs: number | null;
  /** Median swap-ins over the kernel baseline's, and over MIN's. */
  swapInsVsKernel: number | null;
  swapInsVsMin: number | null;
  /** Median runtime over the kernel baseline's. */
  wallVsKernel: number | null;
}

export interface WorkloadSummary {
  workload: string;
  policies: PolicySummary[];
  bound: WorkloadBound | null;
  /** Successful runs, for the plots. */
  okRuns: RunRecord[];
}

export function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** a / b, with 0/0 = 1 and x/0 = null (no meaningful ratio). */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  if (b === 0) return a === 0 ? 1 : null;
  return a / b;
}

/** Policies in the CLI's order (baseline first), unknown ones after. */
export function policyOrder(names: Iterable<string>): string[] {
  const set = new Set(names);
  const known = RUN_POLICY_NAMES.filter((p) => set.has(p));
  return [...known, ...[...set].filter((p) => !known.includes(p)).sort()];
}

const med = (runs: readonly RunResult[], f: (r: RunResult) => number): number | null => median(runs.map(f));

export function summarize(data: Pick<ResultsData, 'runs' | 'simulate' | 'meta'>): WorkloadSummary[] {
  const workloads = [...new Set([...(data.meta?.matrix?.workloads ?? []), ...data.runs.map((r) => r.workload)])];
  return workloads.map((workload) => {
    const runs = data.runs.filter((r) => r.workload === workload);
    const bound = data.simulate?.workloads.find((b) => b.workload === workload) ?? null;
    const okRuns = runs.filter((r) => r.status === 'ok' && r.result !== null);
    const rows = policyOrder([...(data.meta?.matrix?.policies ?? []), ...runs.map((r) => r.policy)]).map((policy): PolicySummary => {
      const mine = runs.filter((r) => r.policy === policy);
      const results = okRuns.filter((r) => r.policy === policy).map((r) => r.result!);
      return {
        policy,
        runs: mine.length,
        ok: results.length,
        failed: mine.length - results.length,
        swapIns: med(results, (r) => r.pswpin),
        swapOuts: med(results, (r) => r.pswpout),
        wallMs: med(results, (r) => r.wallMs),
        signals: med(results, (r) => r.sigballoonCount),
        swapOutCalls: med(results, (r) => r.swapOutCalls),
        deficitMiBs: med(results, (r) => r.thresholdDeficitMiBs),
        swapInsVsKernel: null,
        swapInsVsMin: null,
        wallVsKernel: null,
      };
    });
    const kernel = rows.find((r) => r.policy === 'kernel');
    for (const row of rows) {
      row.swapInsVsKernel = kernel === undefined ? null : ratio(row.swapIns, kernel.swapIns);
      row.wallVsKernel = kernel === undefined ? null : ratio(row.wallMs, kernel.wallMs);
      row.swapInsVsMin = bound === null ? null : ratio(row.swapIns, bound.minSwapIns);
    }
    return { workload, policies: rows, bound, okRuns };
  });
}

/** Failed runs, for the report's list. */
export function failures(data: Pick<ResultsData, 'runs'>): RunRecord[] {
  return data.runs.filter((r) => r.status !== 'ok');
}
