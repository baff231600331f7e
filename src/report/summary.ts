/** Per workload and policy: counts, median/min/max over the repetitions, comparisons (pure). */
import type { RunRecord } from '../experiment/cell.js';
import type { WorkloadBound } from '../experiment/bound.js';
import { RUN_POLICY_NAMES } from '../shared/run-result.js';
import type { RunResult } from '../shared/run-result.js';
import type { ResultsData } from './load.js';
import { runDeficitMiBs } from './run-metrics.js';

/** A figure against a base (the kernel baseline's, or MIN's). */
export type Comparison =
  | { kind: 'ratio'; ratio: number }
  /** The base is 0: a ratio means nothing, so the figure itself is shown. */
  | { kind: 'zero-base'; value: number }
  /** A run made fewer swap-ins than MIN: the bound does not hold for it, which is an error, not a ratio. */
  | { kind: 'below-bound'; value: number; bound: number };

/** A figure over the successful repetitions of one cell. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Repetitions it is taken over. */
  n: number;
}

export interface PolicySummary {
  policy: string;
  runs: number;
  ok: number;
  failed: number;
  /** Over the successful runs; null without one. */
  swapIns: Spread | null;
  swapOuts: Spread | null;
  wallMs: Spread | null;
  signals: Spread | null;
  swapOutCalls: Spread | null;
  /** Time the swap device was busy (io_ticks), ms. */
  swapBusyMs: Spread | null;
  /** From each run's plotted free-memory series, against the same budget for every policy (run-metrics.ts). */
  deficitMiBs: Spread | null;
  /** The process's peak resident set (null for runs that did not record it). */
  peakResidentBytes: Spread | null;
  /** MemFree when the run started, after the guest's reset (fresh-state.ts). */
  startFreeBytes: Spread | null;
  /** Median swap-ins against the kernel baseline's median, and against MIN's. */
  swapInsVsKernel: Comparison | null;
  swapInsVsMin: Comparison | null;
  /** Median swap-outs and runtime against the kernel baseline's medians. */
  swapOutsVsKernel: Comparison | null;
  wallVsKernel: Comparison | null;
}

export interface WorkloadSummary {
  workload: string;
  policies: PolicySummary[];
  bound: WorkloadBound | null;
  /** Successful runs, for the plots. */
  okRuns: RunRecord[];
  /** What the report must flag: runs below MIN (the bound does not hold for them). */
  errors: string[];
}

export function median(values: readonly number[]): number | null {
  return spread(values)?.median ?? null;
}

/** Median, min and max of the finite values; null when there is none. */
export function spread(values: readonly number[]): Spread | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return { median: v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

/** value against base: a ratio, or, when the base is 0, the value itself. */
export function compare(value: number | null, base: number | null): Comparison | null {
  if (value === null || base === null) return null;
  if (base === 0) return { kind: 'zero-base', value };
  return { kind: 'ratio', ratio: value / base };
}

/** Policies in the CLI's order (baseline first), unknown ones after. */
export function policyOrder(names: Iterable<string>): string[] {
  const set = new Set(names);
  const known = RUN_POLICY_NAMES.filter((p) => set.has(p));
  return [...known, ...[...set].filter((p) => !known.includes(p)).sort()];
}

const over = (runs: readonly RunResult[], f: (r: RunResult) => number | undefined): Spread | null => spread(runs.map(f).filter((x): x is number => typeof x === 'number'));

export function summarize(data: Pick<ResultsData, 'runs' | 'simulate' | 'meta'>): WorkloadSummary[] {
  const workloads = [...new Set([...(data.meta?.matrix?.workloads ?? []), ...data.runs.map((r) => r.workload)])];
  return workloads.map((workload) => {
    const runs = data.runs.filter((r) => r.workload === workload);
    const bound = data.simulate?.workloads.find((b) => b.workload === workload) ?? null;
    const okRuns = runs.filter((r) => r.status === 'ok' && r.result !== null);
    const rows = policyOrder([...(data.meta?.matrix?.policies ?? []), ...runs.map((r) => r.policy)]).map((policy): PolicySummary => {
      const mine = runs.filter((r) => r.policy === policy);
      const oks = okRuns.filter((r) => r.policy === policy);
      const results = oks.map((r) => r.result!);
      return {
        policy,
        runs: mine.length,
        ok: results.length,
        failed: mine.length - results.length,
        swapIns: over(results, (r) => r.pswpin),
        swapOuts: over(results, (r) => r.pswpout),
        wallMs: over(results, (r) => r.wallMs),
        signals: over(results, (r) => r.sigballoonCount),
        swapOutCalls: over(results, (r) => r.swapOutCalls),
        swapBusyMs: over(results, (r) => r.swapBusyMs),
        deficitMiBs: over(results, runDeficitMiBs),
        peakResidentBytes: over(results, (r) => r.peakResidentBytes),
        startFreeBytes: spread(oks.flatMap((r) => (r.startState ? [r.startState.memFreeBytes] : []))),
        swapInsVsKernel: null,
        swapInsVsMin: null,
        swapOutsVsKernel: null,
        wallVsKernel: null,
      };
    });
    const kernel = rows.find((r) => r.policy === 'kernel');
    const errors: string[] = [];
    for (const row of rows) {
      const m = (x: Spread | null | undefined): number | null => x?.median ?? null;
      row.swapInsVsKernel = kernel === undefined ? null : compare(m(row.swapIns), m(kernel.swapIns));
      row.swapOutsVsKernel = kernel === undefined ? null : compare(m(row.swapOuts), m(kernel.swapOuts));
      row.wallVsKernel = kernel === undefined ? null : compare(m(row.wallMs), m(kernel.wallMs));
      row.swapInsVsMin = bound === null ? null : compare(m(row.swapIns), bound.minSwapIns);
      if (bound === null) continue;
      const below = okRuns.filter((r) => r.policy === row.policy && r.result!.pswpin < bound.minSwapIns);
      for (const r of below) {
        errors.push(
          `${row.policy} rep ${r.rep} made ${r.result!.pswpin.toLocaleString('en-US')} swap-ins, fewer than MIN's ${bound.minSwapIns.toLocaleString('en-US')} ` +
            `(simulated with ${bound.memoryPages.toLocaleString('en-US')} pages of memory, ${bound.memorySource === 'peak-resident' ? 'the runs\' largest peak resident set' : 'the planned budget'}): ` +
            'MIN is not a bound for this run, so no ratio to it is shown',
        );
      }
      if (below.length > 0) row.swapInsVsMin = { kind: 'below-bound', value: Math.min(...below.map((r) => r.result!.pswpin)), bound: bound.minSwapIns };
    }
    return { workload, policies: rows, bound, okRuns, errors };
  });
}

/** Failed runs, for the report's list. */
export function failures(data: Pick<ResultsData, 'runs'>): RunRecord[] {
  return data.runs.filter((r) => r.status !== 'ok');
}
