/** What a report shows, computed once for the Markdown and the HTML. */
import path from 'node:path';
import { PAGE_BYTES, WORKLOAD_DESCRIPTIONS, isWorkloadName } from '../workloads/index.js';
import type { WorkloadBound } from '../experiment/bound.js';
import type { RunRecord } from '../experiment/cell.js';
import type { ResultsData } from './load.js';
import { failures, summarize, type WorkloadSummary } from './summary.js';
import { fmtBytes } from './format.js';

export interface ReportModel {
  title: string;
  status: string;
  /** Label / value pairs about the set-up. */
  setup: [string, string][];
  tunables: [string, string][];
  workloads: (WorkloadSummary & { description: string })[];
  failures: RunRecord[];
  /** Errors the report flags above everything else (runs below MIN). */
  errors: string[];
  generatedAt: string;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The state the runs started from (after the guest's reset), as a range; null when no run recorded it. */
export function startStateText(runs: readonly Pick<RunRecord, 'startState'>[]): string | null {
  const states = runs.map((r) => r.startState).filter((s): s is NonNullable<typeof s> => s !== null && s !== undefined);
  if (states.length === 0) return null;
  const range = (values: number[]): string => {
    const [lo, hi] = [Math.min(...values), Math.max(...values)].map((v) => (v / 2 ** 20).toFixed(1));
    return lo === hi ? `${lo} MiB` : `${lo}–${hi} MiB`;
  };
  const resets = Math.max(...states.map((s) => s.attempts));
  const bound = states.find((s) => s.minFreeBytes !== null)?.minFreeBytes;
  return (
    `${states.length} runs, each after swapoff/swapon, dropping the caches and compaction: MemFree ${range(states.map((s) => s.memFreeBytes))}` +
    `${bound === undefined || bound === null ? '' : ` (bound ${range([bound])})`}, swap used ${range(states.map((s) => s.swapUsedBytes))}, ` +
    `up to ${resets} reset${resets > 1 ? 's' : ''} per run`
  );
}

/** How MIN was simulated, for the set-up list. */
export function minBoundText(bounds: readonly Pick<WorkloadBound, 'workload' | 'memoryPages' | 'memorySource'>[]): string {
  const each = bounds.map((b) => `${b.workload}: ${b.memoryPages.toLocaleString('en-US')} pages (${fmtBytes(b.memoryPages * PAGE_BYTES)}, ${b.memorySource === 'peak-resident' ? 'the largest peak resident set of its runs' : 'planned budget, not checked against the runs'})`);
  return `Belady's MIN on the reference string, simulated on the host with the memory the runs had; ${each.join('; ')}`;
}

export function buildModel(data: ResultsData, generatedAt = new Date()): ReportModel {
  const m = data.meta ?? {};
  const matrix = m.matrix;
  const setup: [string, string][] = [];
  const add = (k: string, v: string | undefined | null): void => {
    if (v !== undefined && v !== null && v !== '') setup.push([k, v]);
  };
  add('started', m.startedAt);
  add('ended', m.endedAt ?? (m.status === 'running' ? 'still running (or killed)' : undefined));
  add('host', m.host?.uname);
  add('target', m.target?.label);
  add('guest kernel', m.guest?.uname);
  add('guest command line', m.guest?.cmdline);
  if (m.guest) add('guest memory', `${fmtBytes(m.guest.memTotalBytes)} RAM + ${fmtBytes(m.guest.swapTotalBytes)} swap`);
  if (m.swapDevice !== undefined) add('swap device', m.swapDevice === null ? 'unknown (not a harness VM)' : m.swapDevice.description);
  if (m.scale) {
    add('workload size', `${fmtBytes(m.scale.sizeBytes)} (${m.scale.pages.toLocaleString('en-US')} pages)`);
    add('threshold', `${fmtBytes(m.scale.thresholdBytes)} (${m.scale.thresholdSource})`);
  }
  if (matrix) {
    add('matrix', `${matrix.workloads.length} workloads × ${matrix.policies.length} policies × ${matrix.repetitions} repetitions; timeout ${matrix.timeoutSeconds} s per run`);
  }
  if (data.simulate) add('MIN bound', minBoundText(data.simulate.workloads));
  add('start state', startStateText(data.runs));
  const tunables = Object.entries(m.guest?.balloon?.tunables ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const total = data.runs.length;
  const failed = data.runs.filter((r) => r.status !== 'ok').length;
  const status = `${m.status ?? 'unknown'}: ${total - failed} ok, ${failed} failed${m.cells !== undefined ? ` of ${m.cells} planned` : ''}`;
  const workloads = summarize(data).map((w) => ({ ...w, description: isWorkloadName(w.workload) ? capitalize(WORKLOAD_DESCRIPTIONS[w.workload]) : '' }));
  return {
    title: `Balloon experiment ${path.basename(path.resolve(data.dir))}`,
    status,
    setup,
    tunables,
    workloads,
    failures: failures(data),
    errors: workloads.flatMap((w) => w.errors.map((e) => `${w.workload}: ${e}`)),
    generatedAt: generatedAt.toISOString(),
  };
}
