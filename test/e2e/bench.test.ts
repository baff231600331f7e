/**
 * The whole bench's CI profile, as a user runs it: `npm run bench -- --quick`,
 * into a directory of its own so that a developer's results/ stays as it was.
 * Every part must finish and write its record: the simulator's matrix, the
 * signal's delivery, balloon_swapout() against kernel reclaim, and the
 * policies on the real kernel (course under kernel and balloon, 3 runs each,
 * each from a fresh state, none below MIN).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBenchRecord, type BenchRecord } from '../../src/report/bench-record.js';

const root = path.resolve(import.meta.dirname, '../..');
/** The parts' own estimates: bench:kernel about 5 min, bench:vm --quick about 5 min, the host half 1 min. */
const BENCH_TIMEOUT_MS = 60 * 60_000;

function npmBench(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'bench', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      process.stdout.write(chunk);
      output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const readJson = async (file: string): Promise<Record<string, unknown>> => JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

describe('npm run bench -- --quick', () => {
  let dir: string;
  let run: { code: number | null; output: string };
  let record: BenchRecord;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'balloon-bench-'));
    run = await npmBench(['--quick', '--out-dir', dir]);
    expect(run.code, run.output.slice(-4000)).toBe(0);
    record = parseBenchRecord(await readFile(path.join(dir, 'bench.json'), 'utf8'), 'bench.json');
  }, BENCH_TIMEOUT_MS);

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('writes every part into the directory it was given, with the experiment next to bench.json', async () => {
    const agent = await readJson(path.join(dir, 'bench-agent.json'));
    expect(Array.isArray(agent['settings']) && agent['settings'].length).toBeGreaterThan(0);
    const signal = await readJson(path.join(dir, 'bench-signal.json'));
    expect(JSON.stringify(signal)).toMatch(/"medianUs":\d/);
    const kernel = await readJson(path.join(dir, 'bench-kernel.json'));
    expect(kernel['ratio']).toBeGreaterThan(0);
    expect(record.results.startsWith(path.join(dir, 'bench-runs'))).toBe(true);
    expect(record.report.html.startsWith(dir)).toBe(true);
  });

  it('runs course under the kernel and the balloon policy, 3 times each from a fresh state, none below MIN', () => {
    expect(record.mode).toBe('quick');
    expect(record.workloads.map((w) => w.workload)).toEqual(['course']);
    const course = record.workloads[0]!;
    expect(course.errors).toEqual([]);
    expect(course.min).not.toBeNull();
    expect(course.policies.map((p) => p.policy)).toEqual(['kernel', 'balloon']);
    for (const p of course.policies) {
      expect(p.perRun.map((r) => r.status), p.policy).toEqual(['ok', 'ok', 'ok']);
      for (const r of p.perRun) {
        expect(r.start, `${p.policy} rep ${r.rep}: the state it started from`).not.toBeNull();
        expect(r.swapIns!).toBeGreaterThanOrEqual(course.min!.swapIns);
      }
    }
    // The kernel baseline swaps: the bench measures something.
    expect(course.policies[0]!.swapIns!.median).toBeGreaterThan(0);
  });
});
