import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guestCommand, parseRunOutput, recordRun, type CellExecutor, type RunRecord } from '../../../src/experiment/cell.js';
import { runExperiment } from '../../../src/experiment/index.js';
import { matrixCells, type Cell } from '../../../src/experiment/matrix.js';
import { runMatrix } from '../../../src/experiment/runner.js';
import type { ExecOutcome, Target } from '../../../src/experiment/target.js';
import { csvField, ResultsWriter } from '../../../src/experiment/writers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-runner-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A RunResult with the fields the writers read. */
function fakeResult(cell: Pick<Cell, 'workload' | 'policy'>, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    workload: cell.workload,
    policy: cell.policy,
    pages: 4096,
    passes: 3,
    seed: 1,
    wallMs: 1234.5,
    cpu: { userMs: 10, systemMs: 5, totalMs: 15 },
    pswpin: 100,
    pswpout: 200,
    majorFaults: 100,
    swapBusyMs: 7,
    thresholdDeficitMiBs: 1.5,
    freeMemory: { intervalMs: 100, samples: 2, minFreeBytes: 4096, series: [{ tMs: 0, freeBytes: 8192 }, { tMs: 100, freeBytes: 4096 }] },
    sigballoonCount: 3,
    swapOutCalls: 2,
    pagesRequested: 50,
    pagesFreed: 40,
    answers: [],
    integrity: { ok: true, badPages: 0, firstBadPage: null },
    ...over,
  };
}

const outcome = (o: Partial<ExecOutcome>): ExecOutcome => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false, canceled: false, durationMs: 10, ...o });

/** Success for kernel, a crash for fifo, a hang (timeout) for balloon, junk for random. */
const scripted: CellExecutor = async (cell, { signal }) => {
  switch (cell.policy) {
    case 'kernel':
      return outcome({ stdout: JSON.stringify(fakeResult(cell)), stderr: 'balloon: sweep: 50% of 100 references\n' });
    case 'fifo':
      return outcome({ exitCode: 1, stderr: 'balloon: starting\nballoon: swap-out failed: EINVAL, "bad range"\n' });
    case 'random':
      return outcome({ stdout: 'Segmentation fault?' });
    default:
      // Never answers: only the runner's timeout ends it, through the signal.
      return new Promise<ExecOutcome>((resolve) => signal.addEventListener('abort', () => resolve(outcome({ exitCode: null, canceled: true, durationMs: 50 }))));
  }
};

describe('runMatrix with a fake executor', () => {
  it('records successes and failures and goes on after a crash and a timeout', async () => {
    const cells = matrixCells({ workloads: ['sweep'], policies: ['kernel', 'fifo', 'balloon', 'random'], repetitions: 1 });
    const writer = await ResultsWriter.create(path.join(tmp, 'a'), new Date('2025-01-01T00:00:00Z'));
    const seen: string[] = [];
    const out = await runMatrix({
      cells,
      execute: scripted,
      describe: (c) => `run ${c.policy}`,
      timeoutMs: 100,
      onRecord: (r) => writer.addRun(r),
      hooks: { start: (c) => seen.push(`start ${c.policy}`), finish: (r) => seen.push(`end ${r.policy} ${r.status}`) },
    });
    expect(out.interrupted).toBe(false);
    expect(out.records.map((r) => [r.policy, r.status, r.failure])).toEqual([
      ['kernel', 'ok', null],
      ['fifo', 'failed', 'crash'],
      ['balloon', 'failed', 'timeout'],
      ['random', 'failed', 'bad-output'],
    ]);
    expect(seen).toEqual(['start kernel', 'end kernel ok', 'start fifo', 'end fifo failed', 'start balloon', 'end balloon failed', 'start random', 'end random failed']);
    const [ok, crash, timeout] = out.records as [RunRecord, RunRecord, RunRecord];
    expect(ok.result?.pswpin).toBe(100);
    expect(ok.stderrTail).toBe('balloon: sweep: 50% of 100 references');
    expect(crash.error).toBe('exit 1: balloon: swap-out failed: EINVAL, "bad range"');
    expect(crash.stderrTail).toContain('balloon: starting');
    expect(timeout.error).toMatch(/^timed out after/);

    // The results directory: JSON with every record, CSV with one row each.
    expect(path.basename(writer.dir)).toBe('2025-01-01T00-00-00Z');
    const runs = JSON.parse(readFileSync(writer.file('runs'), 'utf8')) as RunRecord[];
    expect(runs).toHaveLength(4);
    expect(runs[0]!.result).toMatchObject({ workload: 'sweep', policy: 'kernel', wallMs: 1234.5 });
    expect(runs[0]!.command).toBe('run kernel');
    const csv = readFileSync(writer.file('csv'), 'utf8').trimEnd().split('\n');
    expect(csv).toHaveLength(5);
    const header = csv[0]!.split(',');
    expect(header.slice(0, 6)).toEqual(['index', 'workload', 'policy', 'rep', 'status', 'failure']);
    const row = (i: number): Record<string, string> => Object.fromEntries(csv[i]!.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.slice(0, header.length).map((f, j) => [header[j]!, f.replace(/,$/, '')]));
    expect(row(1)).toMatchObject({ policy: 'kernel', status: 'ok', pswpin: '100', pswpout: '200', wall_ms: '1234.5', sigballoon: '3', swap_out_calls: '2', integrity_ok: 'true', error: '' });
    expect(row(2)).toMatchObject({ policy: 'fifo', status: 'failed', failure: 'crash', exit_code: '1', pswpin: '', error: '"exit 1: balloon: swap-out failed: EINVAL, ""bad range"""' });
    expect(row(3)).toMatchObject({ policy: 'balloon', failure: 'timeout' });
  });

  it('stops on abort, recording the run in progress as interrupted', async () => {
    const abort = new AbortController();
    const cells = matrixCells({ workloads: ['zipf'], policies: ['kernel', 'balloon', 'kernel2' as string], repetitions: 1 });
    const out = await runMatrix({
      cells,
      execute: (cell, { signal }) => {
        if (cell.index === 0) return Promise.resolve(outcome({ stdout: JSON.stringify(fakeResult(cell)) }));
        setTimeout(() => abort.abort(new Error('SIGINT')), 20);
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(outcome({ exitCode: null, canceled: true }))));
      },
      describe: () => 'x',
      timeoutMs: 60_000,
      signal: abort.signal,
      onRecord: async () => undefined,
    });
    expect(out.interrupted).toBe(true);
    expect(out.records.map((r) => [r.policy, r.status, r.failure])).toEqual([
      ['kernel', 'ok', null],
      ['balloon', 'failed', 'interrupted'],
    ]);
  });

  it('records an executor that throws as a crash', async () => {
    const out = await runMatrix({
      cells: matrixCells({ workloads: ['sweep'], policies: ['kernel'], repetitions: 1 }),
      execute: () => Promise.reject(new Error('spawn ssh ENOENT')),
      describe: () => 'x',
      timeoutMs: 1000,
      onRecord: async () => undefined,
    });
    expect(out.records[0]).toMatchObject({ status: 'failed', failure: 'crash', error: 'killed: spawn ssh ENOENT' });
  });
});

describe('one cell', () => {
  const cell: Cell = { index: 0, workload: 'course', policy: 'balloon', rep: 1 };
  it('classifies exit codes and output', () => {
    const r = (o: Partial<ExecOutcome>): RunRecord => recordRun(cell, 'c', new Date(0), outcome(o), false);
    expect(r({ exitCode: 124 }).failure).toBe('timeout');
    expect(r({ exitCode: 255, stderr: 'ssh: connect to host 127.0.0.1 port 2222: Connection refused' }).error).toBe('ssh failed: ssh: connect to host 127.0.0.1 port 2222: Connection refused');
    const bad = r({ exitCode: 1, stdout: JSON.stringify(fakeResult(cell, { integrity: { ok: false, badPages: 3, firstBadPage: 9 } })) });
    expect(bad).toMatchObject({ status: 'failed', failure: 'integrity', error: 'integrity check failed: 3 bad pages' });
    expect(bad.result).not.toBeNull();
    expect(r({ stdout: '' }).error).toBe('no JSON result on stdout (empty)');
  });

  it('finds the JSON after stray lines', () => {
    expect(parseRunOutput(`warning: x\n${JSON.stringify(fakeResult(cell), null, 2)}\n`)?.policy).toBe('balloon');
    expect(parseRunOutput('{"not": "a result"}')).toBeNull();
  });

  it('bounds the guest command with timeout, and uses sudo for a non-root login', () => {
    const args = ['run', '--workload', 'course', '--policy', 'balloon', '--json'];
    expect(guestCommand({ guestDir: '/opt/app-balloon', asRoot: true }, args, 600)).toBe('cd /opt/app-balloon && exec timeout --kill-after=10 600 node bin/balloon.js run --workload course --policy balloon --json');
    expect(guestCommand({ guestDir: 'my dir', asRoot: false }, args, 60)).toBe(`cd 'my dir' && exec sudo -n timeout --kill-after=10 60 node bin/balloon.js run --workload course --policy balloon --json`);
  });

  it('quotes CSV fields', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
    expect(csvField(3)).toBe('3');
  });
});

const MiB = 2 ** 20;
const guestInfo = [
  '@@balloon-section uname', 'Linux guest 5.11.5-balloon',
  '@@balloon-section cmdline', 'console=ttyS0',
  '@@balloon-section meminfo', `MemTotal: ${512 * 1024} kB`, `MemAvailable: ${400 * 1024} kB`, `SwapTotal: ${1024 * 1024} kB`,
  '@@balloon-section balloon', '644 threshold_bytes 67108864',
  '@@balloon-section node', 'v20.20.2',
  '@@balloon-section project', 'yes',
].join('\n');

function fakeTarget(commands: string[]): Target {
  return {
    label: 'fake',
    spec: { kind: 'vm', instance: 'vm' },
    guestDir: '/opt/app-balloon',
    asRoot: true,
    exec: async (command) => {
      commands.push(command);
      return outcome({ stdout: guestInfo });
    },
    prepare: async () => undefined,
  };
}

describe('runExperiment with a fake target', () => {
  it('writes meta.json, simulate.json, runs.json and runs.csv, and marks an interrupt', async () => {
    const abort = new AbortController();
    const commands: string[] = [];
    const stderr: string[] = [];
    let runs = 0;
    const out = await runExperiment(
      { matrix: { workloads: 'sweep,zipf', policies: 'kernel,balloon', repetitions: '2', size: '1M', timeout: '60' }, target: 'vm', out: path.join(tmp, 'exp') },
      {
        stderr: { write: (s: string) => stderr.push(s), isTTY: false },
        signal: abort.signal,
        openTarget: async () => fakeTarget(commands),
        hostUname: async () => 'Linux host',
        executor: async (cell) => {
          if (++runs === 3) abort.abort(new Error('SIGINT')); // Ctrl-C during the third run
          return outcome({ stdout: JSON.stringify(fakeResult(cell, { peakResidentBytes: (100 + runs) * 4096 - 1 })), durationMs: 5 });
        },
      },
    );
    expect(out.interrupted).toBe(true);
    expect(out.dir).not.toBeNull();
    const dir = out.dir!;
    expect(readdirSync(dir).sort()).toEqual(['meta.json', 'runs.csv', 'runs.json', 'simulate.json']);
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({
      status: 'interrupted',
      host: { uname: 'Linux host' },
      guest: { uname: 'Linux guest 5.11.5-balloon', cmdline: 'console=ttyS0', balloon: { tunables: { threshold_bytes: '67108864' } } },
      matrix: { workloads: ['sweep', 'zipf'], policies: ['kernel', 'balloon'], repetitions: 2 },
      scale: { sizeBytes: MiB, pages: 256, thresholdBytes: 64 * MiB, thresholdSource: 'sysfs' },
      cells: 8,
      runs: { done: 3, ok: 2, failed: 1 },
    });
    expect(typeof meta.endedAt).toBe('string');
    expect(meta.exampleCommand).toBe('cd /opt/app-balloon && exec timeout --kill-after=10 60 node bin/balloon.js run --workload sweep --policy kernel --size 1048576 --seed 1 --json');
    const records = JSON.parse(readFileSync(path.join(dir, 'runs.json'), 'utf8')) as RunRecord[];
    expect(records.map((r) => r.failure)).toEqual([null, null, 'interrupted']);
    expect(readFileSync(path.join(dir, 'runs.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(4);
    const sim = JSON.parse(readFileSync(path.join(dir, 'simulate.json'), 'utf8'));
    // MIN after the runs, with the memory they had: sweep's two runs peaked at 101 and 102 pages; zipf has no run, so the plan.
    expect(sim.workloads.map((w: { workload: string; pages: number; memoryPages: number; memorySource: string }) => [w.workload, w.pages, w.memoryPages, w.memorySource])).toEqual([
      ['sweep', 256, 102, 'peak-resident'],
      ['zipf', 256, 256, 'planned'],
    ]);
    expect(sim.workloads[0].minSwapIns).toBeGreaterThan(0);
    expect(stderr.join('')).toMatch(/balloon: run 1\/8: sweep\/kernel rep 1/);
    expect(commands).toHaveLength(1); // one preflight ssh call; runs went to the executor
  });

  it('refuses a size the guest cannot hold before creating anything', async () => {
    const parent = path.join(tmp, 'never');
    await expect(
      runExperiment(
        { matrix: { workloads: 'sweep', size: '4G' }, target: 'vm', out: parent },
        { stderr: { write: () => true }, openTarget: async () => fakeTarget([]), executor: scripted },
      ),
    ).rejects.toThrow(/size 4 GiB is bigger than RAM \+ swap/);
    expect(() => readdirSync(parent)).toThrow(/ENOENT/);
  });
});
