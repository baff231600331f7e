/**
 * The CLI's commands as processes, running real (tiny) workloads: `balloon run`
 * on this host with the kernel baseline and its locked bystander, and
 * `balloon simulate`. Integration tier: seconds of CPU per test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceString, makeSpec } from '../../../src/workloads/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-cli-runs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function balloon(...args: string[]) {
  return execa('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, reject: false, timeout: 120_000 });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

const RUN_FIELDS = [
  'workload', 'policy', 'region', 'sizeBytes', 'pages', 'passes', 'seed', 'references', 'thresholdBytes', 'thresholdSource',
  'wallMs', 'runMs', 'verifyMs', 'cpu', 'cpuBreakdown', 'majorFaults', 'minorFaults', 'pswpin', 'pswpout', 'pgmajfault', 'vmstat',
  'swapDevices', 'swapBusyMs', 'verifySwap', 'thresholdDeficitMiBs', 'peakResidentBytes', 'freeMemory', 'mode', 'scanBudget', 'refreshResidency', 'sigballoonCount', 'swapOutCalls', 'pagesRequested',
  'pagesFreed', 'controller', 'answers', 'signalLatency', 'scans', 'accessMap', 'agentResidency', 'agentErrors', 'integrity', 'kernelCounters', 'kernelCountersError', 'bystander', 'traceFile',
].sort();

describe('balloon run', { timeout: 120_000 }, () => {
  it('--policy kernel runs a tiny workload with a locked bystander and prints every field as JSON', async () => {
    const trace = path.join(tmp, 'course.bin');
    const r = await balloon('run', '--workload', 'course', '--policy', 'kernel', '--size', '1M', '--passes', '4', '--threshold', '1M', '--sample-ms', '20', '--json', '--trace', trace);
    expect(r.exitCode, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, any>;
    expect(Object.keys(j).sort()).toEqual(RUN_FIELDS);
    expect(j).toMatchObject({
      workload: 'course', policy: 'kernel', sizeBytes: 1 << 20, pages: 256, passes: 4, references: 256 + 128 * 4,
      thresholdBytes: 1 << 20, thresholdSource: 'option', sigballoonCount: 0, swapOutCalls: 0, pagesRequested: 0, pagesFreed: 0,
      controller: null, mode: null, scanBudget: null, refreshResidency: null, signalLatency: null, scans: null, accessMap: null, agentResidency: null, agentErrors: [], traceFile: trace,
    });
    expect(j['integrity']).toMatchObject({ ok: true, pagesChecked: 256, pagesWritten: 256, badPages: 0 });
    // The check's swap I/O is counted apart from the references'.
    expect(j['verifySwap']).toEqual({ pswpin: expect.any(Number), pswpout: expect.any(Number), pgmajfault: expect.any(Number) });
    expect(j['bystander']).toEqual({ method: expect.stringMatching(/^(mlock|ramfs)$/), bytes: 1 << 20 });
    for (const k of ['majorFaults', 'pswpin', 'pswpout', 'pgmajfault', 'swapBusyMs']) expect(Number.isSafeInteger(j[k]), k).toBe(true);
    // The whole run takes longer than its parts, and the workload wrote every page.
    expect(j['runMs']).toBeGreaterThan(0);
    expect(j['verifyMs']).toBeGreaterThan(0);
    expect(j['wallMs']).toBeGreaterThanOrEqual(j['runMs'] + j['verifyMs']);
    expect(j['minorFaults']).toBeGreaterThanOrEqual(256);
    // The bystander holds the threshold (1 MiB); free memory stayed far above it, so there is no deficit.
    expect(j['thresholdDeficitMiBs']).toBe(0);
    expect(j['cpu'].totalMs).toBeCloseTo(j['cpu'].userMs + j['cpu'].systemMs, 6);
    expect(j['cpu'].totalMs).toBeGreaterThan(0);
    // By thread: no agent; the worker wrote and checked, within the process's CPU.
    const b = j['cpuBreakdown'];
    expect(b).toMatchObject({ source: expect.stringMatching(/^(schedstat|stat)$/), processMs: j['cpu'].totalMs, agent: null });
    expect(b.workload.threadMs).toBeGreaterThanOrEqual(b.workload.runMs + b.workload.verifyMs);
    expect(b.workload.threadMs + b.mainThreadMs).toBeLessThanOrEqual(b.processMs + 20);
    expect(j['freeMemory'].samples).toBeGreaterThanOrEqual(2);
    expect(j['freeMemory'].series).toHaveLength(j['freeMemory'].samples);
    expect(Object.keys(j['vmstat'])).toEqual(expect.arrayContaining(['pswpin', 'pswpout', 'pgmajfault']));
    // This host has no balloon kernel: the counters are absent, and the result says why.
    expect(j['kernelCounters']).toBeNull();
    expect(j['kernelCountersError']).toContain('/sys/kernel/mm/balloon');
    // The trace file is the workload's reference string, little-endian whatever the host's byte order.
    const bytes = readFileSync(trace);
    const expected = referenceString(makeSpec('course', 256, 4));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getUint32(4 * i, true))).toEqual(Array.from(expected));
  });

  it('prints a readable table without --json', async () => {
    const r = await balloon('run', '--workload', 'zipf', '--policy', 'kernel', '--size', '512K', '--passes', '2', '--threshold', '256K', '--region', 'sab');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^workload\s+zipf \(128 pages = 0\.5 MiB, 2 passes, 256 references, sab region\)/);
    expect(r.stdout).toMatch(/integrity\s+pass \(128 pages, checksum [0-9a-f]{8}\)/);
    expect(r.stdout).toMatch(/threshold deficit\s+\d+\.\d\d MiB·s/);
  });

  it('--policy balloon on this host fails with the ENOSYS advice to boot the VM', async () => {
    const r = await balloon('run', '--workload', 'course', '--policy', 'balloon', '--size', '1M');
    expect(r.exitCode).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('ENOSYS');
    expect(r.stderr).toContain('npm run vm:up');
    expect(r.stdout).toBe('');
  });
});

describe('balloon simulate', { timeout: 60_000 }, () => {
  it('prints every policy, the anchors and MIN for the reference string', async () => {
    const r = await balloon('simulate', '--workload', 'sweep-hot', '--memory', '256K', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { pages: number; references: number; results: { policy: string; kind: string; faults: number; coldMisses: number; swapIns: number }[] };
    expect(j.pages).toBe(128);
    expect(j.references).toBe(128 * 3);
    // The agent's policies, the per-reference anchors, then MIN.
    expect(j.results.map((x) => [x.policy, x.kind])).toEqual([
      ['fifo', 'policy'], ['random', 'policy'], ['lru-approx', 'policy'], ['balloon', 'policy'],
      ['lru', 'anchor'], ['arc', 'anchor'], ['lirs', 'anchor'], ['min', 'min'],
    ]);
    const min = j.results.at(-1)!;
    for (const x of j.results) {
      expect(x.faults).toBe(x.coldMisses + x.swapIns);
      expect(x.faults).toBeGreaterThanOrEqual(min.faults);
    }
  });

});
