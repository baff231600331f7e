/** results/bench.json: built from the fixture's results, checked against its schema, read back. */
import { describe, expect, it } from 'vitest';
import type { ExperimentMatrix } from '../../../src/experiment/matrix.js';
import { resolveSwapDevice } from '../../../src/harness/swap-device.js';
import { BENCH_SCHEMA_VERSION, buildBenchRecord, checkBenchRecord, parseBenchRecord, sameSetupRuns, type BenchRecord } from '../../../src/report/bench-record.js';
import { loadResults } from '../../../src/report/load.js';
import { runDeficitMiBs } from '../../../src/report/run-metrics.js';
import { summarize } from '../../../src/report/summary.js';
import { FIXTURE_DIR } from './fixture.js';

async function fixtureRecord(): Promise<BenchRecord> {
  const data = await loadResults(FIXTURE_DIR);
  return buildBenchRecord({
    generatedAt: new Date('2025-01-15T10:10:00Z'),
    mode: 'full',
    durationSeconds: 612.4,
    expected: { seconds: 580.2, source: 'model' },
    guest: { memoryMiB: 256, cpus: 2, accel: 'tcg', swapMiB: 512, kernel: '5.11.5-balloon' },
    swapDevice: resolveSwapDevice({ device: 'ssd' }, 'tcg'),
    matrix: data.meta!.matrix as ExperimentMatrix,
    results: FIXTURE_DIR,
    report: { html: `${FIXTURE_DIR}/report.html`, markdown: `${FIXTURE_DIR}/report.md` },
    summary: summarize(data),
    runs: data.runs,
  });
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

  it('reads back what it wrote, and refuses another version or a broken field, naming it', async () => {
    const record = await fixtureRecord();
    const text = JSON.stringify(record);
    expect(parseBenchRecord(text)).toEqual(record);
    expect(() => parseBenchRecord(JSON.stringify({ ...record, version: 2 }), 'results/bench.json')).toThrow('results/bench.json is not a bench record: version: 2, this code reads version 1');
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
