import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/experiment/cell.js';
import { bar, estimateLeftFromPlan, estimateLeftMs, formatDuration, Progress } from '../../../src/experiment/progress.js';

const record = (index: number, status: 'ok' | 'failed', durationMs: number): RunRecord => ({
  index, workload: 'zipf', policy: 'fifo', rep: 1, status, failure: status === 'ok' ? null : 'crash', error: status === 'ok' ? null : 'exit 1',
  exitCode: status === 'ok' ? 0 : 1, startedAt: '', durationMs, command: '', stderrTail: '', startState: null, result: null,
});

describe('progress', () => {
  it('formats durations and bars', () => {
    expect([formatDuration(4_400), formatDuration(125_000), formatDuration(3_725_000)]).toEqual(['4s', '2m05s', '1h02m']);
    expect(bar(1, 4, 8)).toBe('[##......]');
  });

  it('estimates the time left from the finished runs', () => {
    expect(estimateLeftMs([], 10)).toBeNull();
    expect(estimateLeftMs([60_000, 120_000], 5)).toBe(270_000);
    expect(estimateLeftMs([60_000, 120_000], 5, 30_000)).toBe(240_000);
  });

  it('estimates the time left from a plan, scaled by how the finished runs kept to it', () => {
    const expected = [10_000, 20_000, 30_000, 40_000];
    expect(estimateLeftFromPlan(expected, new Map())).toBe(100_000);
    // 5 s into the first run: its expected 10 s less the 5 s spent, plus the others.
    expect(estimateLeftFromPlan(expected, new Map(), { index: 0, elapsedMs: 5_000 })).toBe(95_000);
    // The first two took twice as long as planned: the rest is expected to as well.
    expect(estimateLeftFromPlan(expected, new Map([[0, 20_000], [1, 40_000]]))).toBe(140_000);
    // A run past its scaled expectation counts as nearly done, never below zero.
    expect(estimateLeftFromPlan(expected, new Map([[0, 10_000], [1, 20_000], [2, 30_000]]), { index: 3, elapsedMs: 90_000 })).toBe(0);
  });

  it('shows the time left from the first run on with a plan', () => {
    const out: string[] = [];
    let now = 0;
    const cells = [0, 1, 2].map((index) => ({ index, workload: 'course' as const, policy: 'kernel', rep: index + 1 }));
    const p = new Progress({ write: (s: string) => out.push(s), isTTY: false }, 3, () => now, { cells, expectedMs: () => 60_000 });
    p.start(cells[0]!);
    now = 30_000;
    p.finish(record(0, 'ok', 30_000));
    p.start(cells[1]!);
    p.stop();
    expect(out[0]).toBe('balloon: run 1/3: course/kernel rep 1 (elapsed 0s, about 3m00s left)\n');
    expect(out[2]).toBe('balloon: run 2/3: course/kernel rep 2 (elapsed 30s, about 1m00s left)\n');
  });

  it('writes plain lines when stderr is not a terminal', () => {
    const out: string[] = [];
    let now = 0;
    const p = new Progress({ write: (s: string) => out.push(s), isTTY: false }, 3, () => now);
    p.start({ index: 0, workload: 'zipf', policy: 'fifo', rep: 1 });
    now = 60_000;
    p.finish(record(0, 'ok', 60_000));
    p.start({ index: 1, workload: 'zipf', policy: 'fifo', rep: 2 });
    now = 90_000;
    p.finish(record(1, 'failed', 30_000));
    p.stop();
    expect(out).toEqual([
      'balloon: run 1/3: zipf/fifo rep 1 (elapsed 0s)\n',
      'balloon: run 1/3: zipf/fifo rep 1 ok in 1m00s\n',
      'balloon: run 2/3: zipf/fifo rep 2 (elapsed 1m00s, about 2m00s left)\n',
      'balloon: run 2/3: zipf/fifo rep 1 FAILED (crash: exit 1) in 30s\n',
    ]);
  });

  it('redraws one status line on a terminal', () => {
    const out: string[] = [];
    let now = 0;
    const p = new Progress({ write: (s: string) => out.push(s), isTTY: true, columns: 200 }, 4, () => now);
    p.start({ index: 0, workload: 'course', policy: 'balloon', rep: 1 });
    now = 10_000;
    p.finish(record(0, 'ok', 10_000));
    p.start({ index: 1, workload: 'course', policy: 'kernel', rep: 1 });
    now = 15_000;
    expect(p.statusLine()).toBe('[#####...............] 1/4  running 2: course/kernel rep 1 5s  elapsed 15s  left ~25s');
    p.stop();
    expect(out.every((s) => s.startsWith('\r\x1b[K'))).toBe(true);
  });
});
