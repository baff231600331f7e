import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/experiment/cell.js';
import { bar, estimateLeftMs, formatDuration, Progress } from '../../../src/experiment/progress.js';

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
