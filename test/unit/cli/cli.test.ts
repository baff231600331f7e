import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceString, makeSpec } from '../../../src/workloads/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function balloon(...args: string[]) {
  return execa('node', ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, reject: false, timeout: 120_000 });
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

describe('balloon CLI argument errors', { timeout: 60_000 }, () => {
  it.each([
    [['run', '--workload', 'nope', '--policy', 'kernel'], 'balloon: error: unknown workload "nope"; valid workloads: course, sweep, random, zipf, phases, strided, sweep-hot, mix, loop, hot-scan, noisy-phases, interleaved, drift'],
    [['run', '--workload', 'sweep', '--policy', 'lru'], 'balloon: error: unknown policy "lru"; valid policies: kernel, fifo, random, lru-approx, balloon'],
    [['run', '--workload', 'sweep', '--policy', 'kernel', '--size', '0'], 'balloon: error: --size must be positive, got "0"'],
    [['run', '--workload', 'sweep', '--policy', 'kernel', '--size', '-64M'], 'balloon: error: --size must be positive, got "-64M"'],
    [['run', '--workload', 'sweep', '--policy', 'kernel', '--passes', '0', '--size', '1M'], 'balloon: error: --passes must be a positive integer, got "0"'],
    [['simulate', '--workload', 'zig', '--memory', '10'], 'balloon: error: unknown workload "zig"; valid workloads: course, sweep, random, zipf, phases, strided, sweep-hot, mix, loop, hot-scan, noisy-phases, interleaved, drift'],
    [['simulate', '--workload', 'zipf', '--memory', '-3'], 'balloon: error: --memory must be a positive integer, got "-3"'],
    [['simulate', '--memory', '10'], 'balloon: error: give either --workload NAME or --trace FILE (a reference string recorded by balloon run --trace)'],
    [['simulate', '--workload', 'zipf', '--trace', 'x.bin', '--memory', '10'], 'balloon: error: give either --workload NAME or --trace FILE (a reference string recorded by balloon run --trace)'],
    [['simulate', '--trace', 'x.bin', '--passes', '2', '--memory', '10'], 'balloon: error: --passes describe a workload; a --trace replays the file as it is'],
    [['simulate', '--workload', 'zipf', '--memory', '10', '--scan-every', '0'], 'balloon: error: --scan-every must be a positive integer, got "0"'],
  ])('%j exits 2 with one line', async (args, message) => {
    const r = await balloon(...args);
    expect(r.exitCode).toBe(2);
    expect(lines(r.stderr)).toEqual([message]);
    expect(r.stdout).toBe('');
  });

  it('refuses a size bigger than RAM + swap before running anything', async () => {
    const r = await balloon('run', '--workload', 'sweep', '--policy', 'kernel', '--size', '64T', '--trace', path.join(tmp, 'never.bin'));
    expect(r.exitCode).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^balloon: error: workload size 64 TiB is bigger than RAM \+ swap \(/);
    expect(() => readFileSync(path.join(tmp, 'never.bin'))).toThrow(/ENOENT/);
  });

  it('a missing required option is one commander line, non-zero', async () => {
    const r = await balloon('run', '--workload', 'sweep');
    expect(r.exitCode).toBe(2);
    expect(lines(r.stderr)).toEqual(["error: required option '-p, --policy <name>' not specified"]);
  });

  it.each([[[]], [['run']], [['simulate']]])('--help %j', async (args) => {
    const r = await balloon(...args, '--help');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: balloon');
    if (args[0] === 'run') expect(r.stdout).toMatch(/--policy <name>[\s\S]*--threshold <size>[\s\S]*sweep-hot/);
    if (args[0] === 'simulate') expect(r.stdout).toContain('--memory <pages>');
  });
});

const RUN_FIELDS = [
  'workload', 'policy', 'region', 'sizeBytes', 'pages', 'passes', 'seed', 'references', 'thresholdBytes', 'thresholdSource',
  'wallMs', 'runMs', 'verifyMs', 'cpu', 'majorFaults', 'minorFaults', 'pswpin', 'pswpout', 'pgmajfault', 'vmstat',
  'swapDevices', 'swapBusyMs', 'thresholdDeficitMiBs', 'freeMemory', 'sigballoonCount', 'swapOutCalls', 'pagesRequested',
  'pagesFreed', 'controller', 'answers', 'scans', 'agentErrors', 'integrity', 'kernelCounters', 'kernelCountersError', 'bystander', 'traceFile',
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
      controller: null, scans: null, agentErrors: [], traceFile: trace,
    });
    expect(j['integrity']).toMatchObject({ ok: true, pagesChecked: 256, pagesWritten: 256, badPages: 0 });
    expect(j['bystander']).toEqual({ method: expect.stringMatching(/^(mlock|ramfs)$/), bytes: 1 << 20 });
    for (const k of ['wallMs', 'runMs', 'verifyMs', 'majorFaults', 'pswpin', 'pswpout', 'pgmajfault', 'swapBusyMs', 'thresholdDeficitMiBs']) {
      expect(typeof j[k], k).toBe('number');
      expect(j[k], k).toBeGreaterThanOrEqual(0);
    }
    expect(j['wallMs']).toBeGreaterThan(0);
    expect(j['cpu'].totalMs).toBeCloseTo(j['cpu'].userMs + j['cpu'].systemMs, 6);
    expect(j['cpu'].totalMs).toBeGreaterThan(0);
    expect(j['freeMemory'].samples).toBeGreaterThanOrEqual(2);
    expect(j['freeMemory'].series).toHaveLength(j['freeMemory'].samples);
    expect(Object.keys(j['vmstat'])).toEqual(expect.arrayContaining(['pswpin', 'pswpout', 'pgmajfault']));
    // This host has no balloon kernel: the counters are absent, and the result says why.
    expect(j['kernelCounters']).toBeNull();
    expect(j['kernelCountersError']).toContain('/sys/kernel/mm/balloon');
    // The trace file is the workload's reference string.
    const bytes = readFileSync(trace);
    const expected = referenceString(makeSpec('course', 256, 4));
    expect(Array.from(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4))).toEqual(Array.from(expected));
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
  it('prints every policy, the anchors and MIN for the reference string, with swap-ins as a ratio to MIN', async () => {
    const r = await balloon('simulate', '--workload', 'sweep-hot', '--memory', '64', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      pages: number;
      references: number;
      scanEveryReferences: number;
      batchPages: number;
      minSwapIns: number;
      results: { policy: string; kind: string; faults: number; coldMisses: number; swapIns: number; swapInsToMin: number | null }[];
    };
    expect(j.pages).toBe(128);
    expect(j.references).toBe(128 * 3);
    expect(j.scanEveryReferences).toBe(16);
    expect(j.batchPages).toBe(2);
    expect(j.results.map((x) => `${x.kind}:${x.policy}`)).toEqual([
      'policy:fifo', 'policy:random', 'policy:lru-approx', 'policy:balloon', 'anchor:lru', 'anchor:arc', 'anchor:lirs', 'min:min',
    ]);
    const min = j.results.at(-1)!;
    expect(j.minSwapIns).toBe(min.swapIns);
    expect(min.swapIns).toBeGreaterThan(0);
    for (const x of j.results) {
      expect(x.faults).toBe(x.coldMisses + x.swapIns);
      expect(x.faults).toBeGreaterThanOrEqual(min.faults);
      expect(x.swapInsToMin).toBeCloseTo(x.swapIns / min.swapIns, 10);
    }
  });

  it('runs through bin/balloon.js and prints a table; where MIN makes no swap-in, counts and no ratio', async () => {
    const r = await execa('node', ['bin/balloon.js', 'simulate', '--workload', 'phases', '--memory', '64', '--passes', '1'], { cwd: root, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]).toBe('phases: 128 pages, 1 passes, 128 references, memory 64 pages');
    expect(r.stdout).toMatch(/^policy\s+kind\s+faults\s+cold\s+swap-ins\s+vs MIN/m);
    expect(r.stdout).toMatch(/^min\s+min\s+\d+\s+\d+\s+0\s+-\s/m);
    expect(r.stdout).toMatch(/^lirs\s+anchor\s+\d+\s+\d+\s+\d+\s+-\s/m);
    expect(r.stdout).toContain('MIN makes no swap-in here');
    const course = await execa('node', ['bin/balloon.js', 'simulate', '--workload', 'course', '--memory', '32', '--passes', '5'], { cwd: root, reject: false });
    expect(course.stdout).toMatch(/^min\s+min\s+\d+\s+\d+\s+1\s+1\.00x\s/m);
  });

  it('--trace: a missing file, an empty file, a length not a multiple of 4 are one line each, exit 2', async () => {
    const empty = path.join(tmp, 'empty.trace');
    const odd = path.join(tmp, 'odd.trace');
    writeFileSync(empty, new Uint8Array(0));
    writeFileSync(odd, new Uint8Array(10));
    const cases: [string, string][] = [
      [path.join(tmp, 'missing.trace'), `balloon: error: trace file ${path.join(tmp, 'missing.trace')} does not exist (balloon run --trace FILE records one)`],
      [empty, `balloon: error: trace file ${empty} is empty: a trace holds one little-endian uint32 page number per reference (balloon run --trace writes one)`],
      [odd, `balloon: error: trace file ${odd} is 10 bytes, not a multiple of 4: a trace holds one little-endian uint32 page number per reference; the file is truncated or not a trace`],
      [tmp, `balloon: error: trace file ${tmp} is a directory, not a trace`],
    ];
    const runs = await Promise.all(cases.map(([file]) => balloon('simulate', '--trace', file, '--memory', '8')));
    runs.forEach((r, i) => {
      expect(r.exitCode).toBe(2);
      expect(lines(r.stderr)).toEqual([cases[i]![1]]);
      expect(r.stdout).toBe('');
    });
  });
});
