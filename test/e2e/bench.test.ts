/**
 * The whole bench's CI profile, as a user runs it: `npm run bench -- --quick`,
 * into a directory of its own so that a developer's results/ stays as it was.
 * Every part must finish and write its record: the simulator's matrix, the
 * signal's delivery, balloon_swapout() against kernel reclaim, and the
 * policies on the real kernel (course under kernel and balloon, 3 runs each,
 * each from a fresh state, MIN beside them, the agent swapping in less than
 * the kernel, and where the time went).
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

  it('runs course under the kernel and the balloon policy, 3 times each from a fresh state, with MIN beside them', () => {
    expect(record.mode).toBe('quick');
    expect(record.workloads.map((w) => w.workload)).toEqual(['course']);
    const course = record.workloads[0]!;
    // MIN simulated in the memory the runs had (the bench exits 1 when a run beats it).
    expect(course.errors).toEqual([]);
    expect(course.min).not.toBeNull();
    expect(course.min!.memoryPages).toBeGreaterThan(0);
    expect(course.policies.map((p) => p.policy)).toEqual(['kernel', 'balloon']);
    for (const p of course.policies) {
      expect(p.perRun.map((r) => r.status), p.policy).toEqual(['ok', 'ok', 'ok']);
      for (const r of p.perRun) expect(r.start, `${p.policy} rep ${r.rep}: the state it started from`).not.toBeNull();
    }
    const kernel = course.policies[0]!;
    const balloon = course.policies[1]!;
    // The kernel baseline swaps, and the agent swaps in less (0.04x in CI's run of 2026-12-03).
    expect(kernel.swapIns!.median).toBeGreaterThan(0);
    expect(balloon.swapIns!.median, `balloon ${JSON.stringify(balloon.swapIns)} vs kernel ${JSON.stringify(kernel.swapIns)}`).toBeLessThan(kernel.swapIns!.median);
  });

  it('records where the time went: CPU per run for both, and the agent\'s CPU and answer latencies for balloon', () => {
    const [kernel, balloon] = record.workloads[0]!.policies;
    for (const r of kernel!.perRun) {
      expect(r.cpu?.workload.threadMs, `kernel rep ${r.rep}`).toBeGreaterThan(0);
      expect(r.cpu?.agent).toBeNull();
    }
    for (const r of balloon!.perRun) {
      expect(r.cpu?.agent?.selections, `balloon rep ${r.rep}`).toBeGreaterThan(0);
      expect(r.latency?.stages.firstCallMs?.n, `balloon rep ${r.rep}: answers with a first call`).toBeGreaterThan(0);
    }
    expect(balloon!.agentCpuMs?.median).toBeGreaterThan(0);
    expect(balloon!.firstCallP50Ms?.median).toBeGreaterThan(0);
    expect(kernel!.agentCpuMs).toBeNull();
  });
});
