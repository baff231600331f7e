/** results/bench.json: built from the fixture's results, checked against its schema, read back. */
import { describe, expect, it } from 'vitest';
import type { ExperimentMatrix } from '../../../src/experiment/matrix.js';
import { resolveSwapDevice } from '../../../src/harness/swap-device.js';
import { agentCpuMs, BENCH_SCHEMA_VERSION, buildBenchRecord, checkBenchRecord, parseBenchRecord, sameSetupRuns, type BenchRecord } from '../../../src/report/bench-record.js';
import type { RunCpuBreakdown } from '../../../src/metrics/cpu-breakdown.js';
import type { SignalLatencySummary } from '../../../src/metrics/signal-latency.js';
import { loadResults } from '../../../src/report/load.js';
import { runDeficitMiBs } from '../../../src/report/run-metrics.js';
import { summarize } from '../../../src/report/summary.js';
import { FIXTURE_DIR } from './fixture.js';

async function fixtureInputs(): Promise<Omit<Parameters<typeof buildBenchRecord>[0], 'summary' | 'runs'>> {
  const data = await loadResults(FIXTURE_DIR);
  return {
    generatedAt: new Date('2025-01-15T10:10:00Z'),
    mode: 'full',
    durationSeconds: 612.4,
    expected: { seconds: 580.2, source: 'model' },
    guest: { memoryMiB: 256, cpus: 2, accel: 'tcg', swapMiB: 512, kernel: '5.11.5-balloon' },
    swapDevice: resolveSwapDevice({ device: 'ssd' }, 'tcg'),
    matrix: data.meta!.matrix as ExperimentMatrix,
    results: FIXTURE_DIR,
    report: { html: `${FIXTURE_DIR}/report.html`, markdown: `${FIXTURE_DIR}/report.md` },
  };
}

async function fixtureRecord(): Promise<BenchRecord> {
  const data = await loadResults(FIXTURE_DIR);
  return buildBenchRecord({ ...(await fixtureInputs()), summary: summarize(data), runs: data.runs });
}

describe('bench.json', () => {
  it('holds every figure of the report, with a version, and matches its own schema', async () => {
    const record = await fixtureRecord();
    expect(checkBenchRecord(record)).toEqual([]);
    expect(record).toMatchObject({ version: BENCH_SCHEMA_VERSION, mode: 'full', durationSeconds: 612, expected: { seconds: 580, source: 'model' }, swapDevice: { device: 'ssd', slowdown: 7 } });
    const [course, zipf] = record.workloads;
    expect(course!.min).toEqual({ swapIns: 3481, swapOuts: 5877, memoryPages: 1700, memorySource: 'peak-resident' });
    const kernel = course!.policies[0]!;
    expect(kernel).toMatchObject({ policy: 'kernel', runs: 2, ok: 2, swapIns: { median: 9050.5, min: 8926, max: 9175, n: 2 }, vsKernel: { swapIns: { kind: 'ratio', ratio: 1 } } });
    expect(kernel.deficitMiBs).toEqual({ median: 0, min: 0, max: 0, n: 2 });
    expect(kernel.perRun.map((r) => [r.rep, r.swapIns, r.start?.swapUsedBytes])).toEqual([[1, 9175, 0], [2, 8926, 0]]);
    expect(zipf!.policies.find((p) => p.policy === 'balloon')!.vsMin.swapIns).toEqual({ kind: 'zero-base', value: 3341.5 });
    // A failed run is kept, with what it has.
    const lru = course!.policies.find((p) => p.policy === 'lru-approx')!;
    expect(lru.perRun.map((r) => [r.rep, r.status])).toEqual([[1, 'ok'], [2, 'failed']]);
    const data = await loadResults(FIXTURE_DIR);
    const first = data.runs.find((r) => r.workload === 'course' && r.policy === 'balloon' && r.rep === 1)!;
    expect(course!.policies[3]!.perRun[0]!.deficitMiBs).toBe(runDeficitMiBs(first.result!));
  });

  it('keeps each run\'s CPU breakdown and answer latencies, with the agent\'s CPU and the first call\'s p50 as spreads', async () => {
    const data = await loadResults(FIXTURE_DIR);
    const cpu = (mainThreadMs: number, scanMs: number): RunCpuBreakdown => ({
      source: 'schedstat', processMs: 90_000, workload: { threadMs: 50_000, runMs: 16_000, verifyMs: 30_000 }, mainThreadMs,
      agent: { scanThread: 'worker', scans: 10, scanMs, scanWallMs: scanMs, folds: 10, foldMs: 100, prepares: 10, prepareMs: 900, prepareWallMs: 950, refreshes: 40, refreshMs: 2_000, refreshWallMs: 2_100, selections: 60, selectionMs: 3_000, selectionWallMs: 3_100, otherMs: 1_000 },
      otherThreadsMs: 4_000,
    });
    const stage = (p50: number) => ({ n: 40, p50, p90: 2 * p50, p99: 3 * p50, max: 4 * p50 });
    const latency = (firstCallP50: number): SignalLatencySummary => ({
      answers: 40, sendStamped: 40, coalescedSignals: 0,
      stages: { listenerMs: stage(2), startMs: stage(3), chosenMs: stage(firstCallP50 - 10), firstCallMs: stage(firstCallP50), lastReturnMs: stage(900), endMs: stage(950) },
      pagesAsked: 100_000, pagesFreed: 110_000, answersShort: 2, freedFraction: stage(1),
    });
    const balloon = data.runs.filter((r) => r.workload === 'course' && r.policy === 'balloon');
    expect(balloon).toHaveLength(2);
    balloon[0]!.result!.cpuBreakdown = cpu(7_000, 2_500);
    balloon[0]!.result!.signalLatency = latency(240);
    balloon[1]!.result!.cpuBreakdown = cpu(9_000, 3_000);
    balloon[1]!.result!.signalLatency = latency(350);
    const record = buildBenchRecord({ ...(await fixtureInputs()), runs: data.runs, summary: summarize(data) });
    expect(checkBenchRecord(record)).toEqual([]);
    const p = record.workloads[0]!.policies.find((x) => x.policy === 'balloon')!;
    expect(p.perRun.map((r) => [r.cpu?.mainThreadMs, r.latency?.stages.firstCallMs?.p50])).toEqual([[7_000, 240], [9_000, 350]]);
    // The agent: its main thread and its profiler's worker.
    expect(p.agentCpuMs).toEqual({ median: 10_750, min: 9_500, max: 12_000, n: 2 });
    expect(p.workloadCpuMs).toEqual({ median: 50_000, min: 50_000, max: 50_000, n: 2 });
    expect(p.firstCallP50Ms).toEqual({ median: 295, min: 240, max: 350, n: 2 });
    // The kernel baseline has neither.
    const kernel = record.workloads[0]!.policies[0]!;
    expect([kernel.agentCpuMs, kernel.firstCallP50Ms, kernel.perRun[0]!.latency]).toEqual([null, null, null]);
    expect(agentCpuMs({ ...cpu(7_000, 2_500), agent: { ...cpu(7_000, 2_500).agent!, scanThread: 'main' } })).toBe(7_000);
    expect(agentCpuMs(null)).toBeNull();
    const broken = JSON.parse(JSON.stringify(record)) as BenchRecord;
    (broken.workloads[0]!.policies[3]!.perRun[0] as unknown as { latency: unknown }).latency = 'fast';
    expect(checkBenchRecord(broken)).toEqual(['workloads[0].policies[3].perRun: runs with cpu (null or a breakdown) and latency (null or stages)']);
  });

  it('reads back what it wrote, and refuses another version or a broken field, naming it', async () => {
    const record = await fixtureRecord();
    const text = JSON.stringify(record);
    expect(parseBenchRecord(text)).toEqual(record);
    expect(() => parseBenchRecord(JSON.stringify({ ...record, version: 1 }), 'results/bench.json')).toThrow('results/bench.json is not a bench record: version: 1, this code reads version 2');
    const broken = JSON.parse(text) as BenchRecord;
    broken.workloads[0]!.policies[1]!.swapIns = { median: 5, min: 7, max: 9, n: 3 };
    (broken.workloads[1]!.policies[0]!.vsMin as unknown as { swapIns: unknown }).swapIns = { kind: 'guess', ratio: 1 };
    expect(checkBenchRecord({ ...record, mode: 'scaled' })).toEqual([]);
    (broken as unknown as { mode: string }).mode = 'fast';
    expect(checkBenchRecord(broken)).toEqual([
      'mode: "full", "scaled", "quick"',
      'workloads[0].policies[1].swapIns: null or {median, min, max, n} with min <= median <= max',
      'workloads[1].policies[0].vsMin.swapIns: a comparison or null',
    ]);
    expect(() => parseBenchRecord('{', 'b.json')).toThrow(/^b\.json is not valid JSON/);
  });

  it('gives the run times of an earlier bench with the same set-up, for the estimate', async () => {
    const record = await fixtureRecord();
    const setup = { mode: 'full' as const, matrix: record.matrix, memoryMiB: 256, swapDevice: { device: 'ssd' as const, slowdown: 7 } };
    const runs = sameSetupRuns(record, setup);
    expect(runs).toHaveLength(14);
    const first = record.workloads[0]!.policies[0]!.perRun[0]!;
    expect(runs[0]).toEqual({ workload: 'course', policy: 'kernel', durationMs: first.durationMs + first.resetMs! });
    expect(sameSetupRuns(record, { ...setup, swapDevice: { device: 'hdd', slowdown: 7 } })).toEqual([]);
    expect(sameSetupRuns(record, { ...setup, mode: 'quick' })).toEqual([]);
  });
});
