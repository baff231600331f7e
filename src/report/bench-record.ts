/**
 * results/bench.json: what `npm run bench:vm` measured, in one versioned
 * record (docs/bench.md documents every field). Built from the experiment's
 * results and its summary (pure), and checked when read back.
 */
import type { SwapDeviceModel } from '../harness/swap-device.js';
import type { RunRecord } from '../experiment/cell.js';
import type { ExperimentMatrix } from '../experiment/matrix.js';
import type { BoundMemorySource } from '../experiment/bound.js';
import { BENCH_MODES, type BenchMode } from '../experiment/bench-plan.js';
import type { PastRun } from '../experiment/estimate.js';
import type { RunCpuBreakdown } from '../metrics/cpu-breakdown.js';
import type { SignalLatencySummary } from '../metrics/signal-latency.js';
import { runDeficitMiBs } from './run-metrics.js';
import { spread, type Comparison, type Spread, type WorkloadSummary } from './summary.js';

export const BENCH_SCHEMA_VERSION = 2;

/** One run, as bench.json keeps it. */
export interface BenchRun {
  rep: number;
  status: 'ok' | 'failed';
  failure: string | null;
  /** The run's own time (ssh command), and the guest's reset before it, ms. */
  durationMs: number;
  resetMs: number | null;
  swapIns: number | null;
  swapOuts: number | null;
  wallMs: number | null;
  swapBusyMs: number | null;
  deficitMiBs: number | null;
  peakResidentBytes: number | null;
  /** The guest's state when the run started (after the reset). */
  start: { memFreeBytes: number; memAvailableBytes: number; swapUsedBytes: number; resets: number } | null;
  /** Where the CPU went: the workload's thread, the agent's scans, folds, refreshes, residency reads, selections and the rest (src/metrics/cpu-breakdown.ts); null when not measured. */
  cpu: RunCpuBreakdown | null;
  /** Per stage of an answer (listener, victims chosen, first call, last return…), percentiles in ms after the kernel's send (src/metrics/signal-latency.ts); null without a timed answer. */
  latency: SignalLatencySummary | null;
}

/** The agent's CPU in a run: its main thread (answers, folds, refreshes, the sampler) and its profiler's worker thread; null without an agent or a measurement. */
export function agentCpuMs(cpu: RunCpuBreakdown | null): number | null {
  if (cpu?.agent == null || cpu.mainThreadMs === null) return null;
  if (cpu.agent.scanThread === 'main') return cpu.mainThreadMs;
  return cpu.agent.scanMs === null ? null : cpu.mainThreadMs + cpu.agent.scanMs;
}

export interface BenchPolicy {
  policy: string;
  runs: number;
  ok: number;
  failed: number;
  /** Median, min, max and count over the successful runs; null without one. */
  swapIns: Spread | null;
  swapOuts: Spread | null;
  wallMs: Spread | null;
  swapBusyMs: Spread | null;
  signals: Spread | null;
  swapOutCalls: Spread | null;
  deficitMiBs: Spread | null;
  peakResidentBytes: Spread | null;
  startFreeBytes: Spread | null;
  /** CPU of the workload's thread, and of the agent (agentCpuMs), ms; the first call's p50 latency after the send, ms. */
  workloadCpuMs: Spread | null;
  agentCpuMs: Spread | null;
  firstCallP50Ms: Spread | null;
  /** Medians against the kernel baseline's medians. */
  vsKernel: { swapIns: Comparison | null; swapOuts: Comparison | null; wallMs: Comparison | null };
  /** Median swap-ins against MIN's; below-bound when a run made fewer. */
  vsMin: { swapIns: Comparison | null };
  perRun: BenchRun[];
}

export interface BenchWorkload {
  workload: string;
  min: { swapIns: number; swapOuts: number; memoryPages: number; memorySource: BoundMemorySource } | null;
  /** Runs below MIN, as the report flags them. */
  errors: string[];
  policies: BenchPolicy[];
}

export interface BenchRecord {
  version: typeof BENCH_SCHEMA_VERSION;
  generatedAt: string;
  mode: BenchMode;
  /** The bench's own wall time, and what it expected before it started (and from what). */
  durationSeconds: number;
  expected: { seconds: number; source: 'earlier-bench' | 'model' };
  guest: { memoryMiB: number; cpus: number; accel: string; swapMiB: number; kernel: string | null };
  swapDevice: SwapDeviceModel | null;
  matrix: Pick<ExperimentMatrix, 'workloads' | 'policies' | 'repetitions' | 'sizeBytes' | 'thresholdBytes' | 'passes' | 'seed'>;
  /** The experiment's results directory, and its report. */
  results: string;
  report: { html: string; markdown: string };
  workloads: BenchWorkload[];
}

export interface BenchInputs {
  generatedAt: Date;
  mode: BenchMode;
  durationSeconds: number;
  expected: BenchRecord['expected'];
  guest: BenchRecord['guest'];
  swapDevice: SwapDeviceModel | null;
  matrix: ExperimentMatrix;
  results: string;
  report: BenchRecord['report'];
  summary: readonly WorkloadSummary[];
  runs: readonly RunRecord[];
}

function benchRun(r: RunRecord): BenchRun {
  const res = r.result;
  const s = r.startState;
  return {
    rep: r.rep,
    status: r.status,
    failure: r.failure,
    durationMs: r.durationMs,
    resetMs: s?.resetMs ?? null,
    swapIns: res?.pswpin ?? null,
    swapOuts: res?.pswpout ?? null,
    wallMs: res?.wallMs ?? null,
    swapBusyMs: res?.swapBusyMs ?? null,
    deficitMiBs: res ? runDeficitMiBs(res) : null,
    peakResidentBytes: res?.peakResidentBytes ?? null,
    start: s ? { memFreeBytes: s.memFreeBytes, memAvailableBytes: s.memAvailableBytes, swapUsedBytes: s.swapUsedBytes, resets: s.attempts } : null,
    cpu: res?.cpuBreakdown ?? null,
    latency: res?.signalLatency ?? null,
  };
}

/** A spread over the successful runs' values that exist. */
const spreadOf = (runs: readonly BenchRun[], value: (r: BenchRun) => number | null | undefined): Spread | null =>
  spread(
    runs.filter((r) => r.status === 'ok').flatMap((r) => {
      const v = value(r);
      return v === null || v === undefined ? [] : [v];
    }),
  );

export function buildBenchRecord(i: BenchInputs): BenchRecord {
  const { workloads, policies, repetitions, sizeBytes, thresholdBytes, passes, seed } = i.matrix;
  return {
    version: BENCH_SCHEMA_VERSION,
    generatedAt: i.generatedAt.toISOString(),
    mode: i.mode,
    durationSeconds: Math.round(i.durationSeconds),
    expected: { seconds: Math.round(i.expected.seconds), source: i.expected.source },
    guest: i.guest,
    swapDevice: i.swapDevice,
    matrix: { workloads, policies, repetitions, sizeBytes, thresholdBytes, passes, seed },
    results: i.results,
    report: i.report,
    workloads: i.summary.map((w) => ({
      workload: w.workload,
      min: w.bound === null ? null : { swapIns: w.bound.minSwapIns, swapOuts: w.bound.minSwapOuts, memoryPages: w.bound.memoryPages, memorySource: w.bound.memorySource },
      errors: w.errors,
      policies: w.policies.map((p) => {
        const perRun = i.runs.filter((r) => r.workload === w.workload && r.policy === p.policy).sort((a, b) => a.rep - b.rep).map(benchRun);
        return {
          policy: p.policy,
          runs: p.runs,
          ok: p.ok,
          failed: p.failed,
          swapIns: p.swapIns,
          swapOuts: p.swapOuts,
          wallMs: p.wallMs,
          swapBusyMs: p.swapBusyMs,
          signals: p.signals,
          swapOutCalls: p.swapOutCalls,
          deficitMiBs: p.deficitMiBs,
          peakResidentBytes: p.peakResidentBytes,
          startFreeBytes: p.startFreeBytes,
          workloadCpuMs: spreadOf(perRun, (r) => r.cpu?.workload.threadMs),
          agentCpuMs: spreadOf(perRun, (r) => agentCpuMs(r.cpu)),
          firstCallP50Ms: spreadOf(perRun, (r) => r.latency?.stages.firstCallMs?.p50),
          vsKernel: { swapIns: p.swapInsVsKernel, swapOuts: p.swapOutsVsKernel, wallMs: p.wallVsKernel },
          vsMin: { swapIns: p.swapInsVsMin },
          perRun,
        };
      }),
    })),
  };
}

type Check = (v: unknown) => boolean;
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const str: Check = (v) => typeof v === 'string';
const nullable = (c: Check): Check => (v) => v === null || c(v);
const spreadOk: Check = (v) => isObj(v) && ['median', 'min', 'max', 'n'].every((k) => num(v[k])) && (v['min'] as number) <= (v['median'] as number) && (v['median'] as number) <= (v['max'] as number);
const comparisonOk: Check = (v) =>
  isObj(v) &&
  ((v['kind'] === 'ratio' && num(v['ratio'])) || (v['kind'] === 'zero-base' && num(v['value'])) || (v['kind'] === 'below-bound' && num(v['value']) && num(v['bound'])));

/**
 * What is wrong with a bench.json (empty when nothing): its version, and the
 * fields a reader relies on, each named by its path.
 */
export function checkBenchRecord(value: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, path: string, what: string): void => {
    if (!ok) problems.push(`${path}: ${what}`);
  };
  if (!isObj(value)) return ['the file does not hold a JSON object'];
  if (value['version'] !== BENCH_SCHEMA_VERSION) return [`version: ${JSON.stringify(value['version'])}, this code reads version ${BENCH_SCHEMA_VERSION}`];
  need(str(value['generatedAt']), 'generatedAt', 'a date string');
  need(typeof value['mode'] === 'string' && (BENCH_MODES as readonly string[]).includes(value['mode']), 'mode', BENCH_MODES.map((m) => `"${m}"`).join(', '));
  need(num(value['durationSeconds']), 'durationSeconds', 'a number');
  need(isObj(value['expected']) && num(value['expected']['seconds']), 'expected.seconds', 'a number');
  need(isObj(value['guest']) && num(value['guest']['memoryMiB']), 'guest.memoryMiB', 'a number');
  need(value['swapDevice'] === null || (isObj(value['swapDevice']) && str(value['swapDevice']['device'])), 'swapDevice', 'null or a swap device model');
  need(isObj(value['matrix']) && Array.isArray(value['matrix']['workloads']) && num(value['matrix']['repetitions']), 'matrix', 'workloads and repetitions');
  need(isObj(value['report']) && str(value['report']['html']), 'report.html', 'a path');
  const workloads = value['workloads'];
  if (!Array.isArray(workloads)) return [...problems, 'workloads: a list'];
  workloads.forEach((w: unknown, wi) => {
    const at = `workloads[${wi}]`;
    if (!isObj(w)) return need(false, at, 'an object');
    need(str(w['workload']), `${at}.workload`, 'a name');
    need(w['min'] === null || (isObj(w['min']) && num(w['min']['swapIns']) && num(w['min']['memoryPages'])), `${at}.min`, 'null or MIN\'s swap-ins and memory');
    need(Array.isArray(w['errors']), `${at}.errors`, 'a list');
    const policies = w['policies'];
    if (!Array.isArray(policies)) return need(false, `${at}.policies`, 'a list');
    policies.forEach((p: unknown, pi) => {
      const pat = `${at}.policies[${pi}]`;
      if (!isObj(p)) return need(false, pat, 'an object');
      need(str(p['policy']), `${pat}.policy`, 'a name');
      for (const k of ['runs', 'ok', 'failed']) need(num(p[k]), `${pat}.${k}`, 'a number');
      for (const k of ['swapIns', 'swapOuts', 'wallMs', 'swapBusyMs', 'signals', 'swapOutCalls', 'deficitMiBs', 'peakResidentBytes', 'startFreeBytes', 'workloadCpuMs', 'agentCpuMs', 'firstCallP50Ms']) {
        need(nullable(spreadOk)(p[k]), `${pat}.${k}`, 'null or {median, min, max, n} with min <= median <= max');
      }
      const vk = p['vsKernel'];
      need(isObj(vk) && ['swapIns', 'swapOuts', 'wallMs'].every((k) => nullable(comparisonOk)(vk[k])), `${pat}.vsKernel`, 'comparisons (or null) for swapIns, swapOuts, wallMs');
      const vm = p['vsMin'];
      need(isObj(vm) && nullable(comparisonOk)(vm['swapIns']), `${pat}.vsMin.swapIns`, 'a comparison or null');
      need(Array.isArray(p['perRun']) && (p['perRun'] as unknown[]).every((r) => isObj(r) && num(r['rep']) && num(r['durationMs'])), `${pat}.perRun`, 'runs with rep and durationMs');
      need(
        Array.isArray(p['perRun']) && (p['perRun'] as unknown[]).every((r) => isObj(r) && (r['cpu'] === null || isObj(r['cpu'])) && (r['latency'] === null || (isObj(r['latency']) && isObj(r['latency']['stages'])))),
        `${pat}.perRun`,
        'runs with cpu (null or a breakdown) and latency (null or stages)',
      );
    });
  });
  return problems;
}

/** Reads a bench.json's text; a file of another version or shape is refused with what is wrong. */
export function parseBenchRecord(text: string, file = 'bench.json'): BenchRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const problems = checkBenchRecord(value);
  if (problems.length > 0) throw new Error(`${file} is not a bench record: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  return value as BenchRecord;
}

/** What makes two benches' run times comparable. */
export interface BenchSetup {
  mode: BenchMode;
  matrix: Pick<ExperimentMatrix, 'sizeBytes' | 'passes'>;
  memoryMiB: number;
  swapDevice: Pick<SwapDeviceModel, 'device' | 'slowdown'>;
}

/**
 * The successful runs of an earlier bench with the same set-up (mode, guest
 * memory, size, passes, swap device), with the reset before each: what the
 * same runs will take now. None when the set-up differs.
 */
export function sameSetupRuns(prev: BenchRecord, setup: BenchSetup): PastRun[] {
  const same =
    prev.mode === setup.mode &&
    prev.guest.memoryMiB === setup.memoryMiB &&
    prev.matrix.sizeBytes === setup.matrix.sizeBytes &&
    prev.matrix.passes === setup.matrix.passes &&
    prev.swapDevice?.device === setup.swapDevice.device &&
    prev.swapDevice.slowdown === setup.swapDevice.slowdown;
  if (!same) return [];
  return prev.workloads.flatMap((w) =>
    w.policies.flatMap((p) => p.perRun.filter((r) => r.status === 'ok').map((r) => ({ workload: w.workload, policy: p.policy, durationMs: r.durationMs + (r.resetMs ?? 0) }))),
  );
}
