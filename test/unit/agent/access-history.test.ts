import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessHistory, MAX_IDLE_SCANS, absentRanges, popcount8 } from '../../../src/agent/access-history.js';
import { PageState } from '../../../src/agent/page-state.js';
import { AdaptiveScanInterval, budgetWaitMs } from '../../../src/agent/scan-interval.js';
import { ScanLoop } from '../../../src/agent/scan-loop.js';

const P = PageState.Present;

describe('absentRanges', () => {
  it('lists the runs of pages never seen present, in order', () => {
    const { Absent: A, Present: P, Swapped: S } = PageState;
    expect(absentRanges(new Uint8Array([A, A, P, S, A, P, A]))).toEqual([{ first: 0, count: 2 }, { first: 4, count: 1 }, { first: 6, count: 1 }]);
    expect(absentRanges(new Uint8Array([P, S]))).toEqual([]);
    expect(absentRanges(new Uint8Array(0))).toEqual([]);
    expect(absentRanges(new Uint8Array(5))).toEqual([{ first: 0, count: 5 }]);
  });
});

describe('AccessHistory', () => {
  it('ages an 8-bit counter: shift right, accessed bit into bit 7', () => {
    const history = new AccessHistory(2);
    const state = new Uint8Array([P, P]);
    history.update(new Uint8Array([1, 0]), state);
    expect([...history.age]).toEqual([0x80, 0]);
    history.update(new Uint8Array([0, 1]), state);
    expect([...history.age]).toEqual([0x40, 0x80]);
    history.update(new Uint8Array([1, 1]), state);
    expect([...history.age]).toEqual([0xa0, 0xc0]);
    for (let i = 0; i < 8; i++) history.update(new Uint8Array([0, 0]), state);
    expect([...history.age]).toEqual([0, 0]);
    expect(history.recentAccessCount(0)).toBe(0);
  });

  it('tracks idle scans, last access, reuse distance and update statistics', () => {
    const history = new AccessHistory(3);
    const state = new Uint8Array([P, P, PageState.Swapped]);
    const s1 = history.update(new Uint8Array([1, 1, 0]), state);
    expect(s1).toEqual({ scan: 1, present: 2, swapped: 1, accessed: 2, newlyAccessed: 2 });
    history.update(new Uint8Array([0, 1, 0]), state);
    history.update(new Uint8Array([0, 0, 0]), state);
    const s4 = history.update(new Uint8Array([1, 1, 0]), state);
    // Page 0 was idle in scan 3, page 1 too: both newly accessed.
    expect(s4.newlyAccessed).toBe(2);
    expect([...history.idleScans]).toEqual([0, 0, 4]);
    expect([...history.lastAccess]).toEqual([4, 4, 0]);
    expect(history.reuseScans[0]).toBe(3); // accessed in scans 1 and 4
    expect(history.reuseScans[1]).toBe(2); // scans 1, 2, 4: distances 1 then 2, the longer one averaged in: (1+2+1)>>1
    expect(history.reuseScans[2]).toBe(0);
  });

  it('saturates the idle counter', () => {
    const history = new AccessHistory(1);
    history.idleScans[0] = MAX_IDLE_SCANS;
    history.update(new Uint8Array([0]), new Uint8Array([P]));
    expect(history.idleScans[0]).toBe(MAX_IDLE_SCANS);
  });

  it('stamps pages in the order they became present (FIFO order)', () => {
    const history = new AccessHistory(3);
    history.update(new Uint8Array(3), new Uint8Array([0, P, 0]));
    history.update(new Uint8Array(3), new Uint8Array([P, P, 0]));
    history.markLoaded(2);
    expect(history.loadStamp[1]!).toBeLessThan(history.loadStamp[0]!);
    expect(history.loadStamp[0]!).toBeLessThan(history.loadStamp[2]!);
    expect(history.lastAccess[2]).toBe(history.scanCount + 1);
  });

  it('a page faulting back records its reuse distance (ghost hit)', () => {
    const history = new AccessHistory(1);
    history.update(new Uint8Array([1]), new Uint8Array([P])); // scan 1
    history.markSwapped(0);
    history.update(new Uint8Array([0]), history.state); // scan 2
    history.markLoaded(0); // during interval 3
    expect(history.reuseScans[0]).toBe(2);
  });

  it('rejects scan results of the wrong size', () => {
    expect(() => new AccessHistory(4).update(new Uint8Array(3), new Uint8Array(4))).toThrowError(/smaller than the access history/);
  });

  it('popcount8', () => {
    expect([0, 1, 0x80, 0xff, 0xa5].map(popcount8)).toEqual([0, 1, 1, 8, 4]);
  });
});

describe('AdaptiveScanInterval', () => {
  it('grows when little changes, shrinks when much changes, within bounds', () => {
    const interval = new AdaptiveScanInterval({ minMs: 100, maxMs: 800, initialMs: 200, lowChangeFraction: 0.01, highChangeFraction: 0.1, factor: 2 });
    expect(interval.next(0, 1000)).toBe(400);
    expect(interval.next(5, 1000)).toBe(800);
    expect(interval.next(0, 1000)).toBe(800); // capped
    expect(interval.next(50, 1000)).toBe(800); // between thresholds: unchanged
    expect(interval.next(500, 1000)).toBe(400);
    expect(interval.next(500, 1000)).toBe(200);
    expect(interval.next(500, 1000)).toBe(100);
    expect(interval.next(500, 1000)).toBe(100); // floored
  });

  it('rejects inconsistent bounds', () => {
    expect(() => new AdaptiveScanInterval({ minMs: 10, maxMs: 5 })).toThrowError(/invalid adaptive scan interval/);
    for (const cpuBudget of [0, -0.1, 1.01, Number.NaN]) {
      expect(() => new AdaptiveScanInterval({ cpuBudget })).toThrowError(/invalid adaptive scan interval/);
    }
  });

  it('waits long enough after a costly scan to keep profiling within its CPU budget, beyond maxMs if need be', () => {
    const interval = new AdaptiveScanInterval({ minMs: 100, maxMs: 800, initialMs: 200, cpuBudget: 0.1 });
    expect(interval.next(500, 1000, 5)).toBe(100); // cheap: the adaptive interval
    expect(interval.next(500, 1000, 50)).toBe(450); // 50 ms of work, then 450 ms of rest: 10%
    expect(interval.intervalMs, 'the adaptive state is not bent by the budget').toBe(100);
    expect(interval.next(0, 1000, 1000)).toBe(9000); // beyond maxMs
    expect(interval.next(0, 1000, 0)).toBe(400);
    expect(new AdaptiveScanInterval({ cpuBudget: 1 }).next(0, 1000, 1e6)).toBe(2000); // no bound
    expect(budgetWaitMs(30, 0.05)).toBeCloseTo(570);
    expect(budgetWaitMs(0, 0.05)).toBe(0);
  });
});

describe('ScanLoop', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('scans on the adaptive interval and stops on error', async () => {
    vi.useFakeTimers();
    let changed = 0;
    const scan = vi.fn(() => {
      if (scan.mock.calls.length === 4) throw new Error('boom');
      return { scan: 0, present: 100, swapped: 0, accessed: changed, newlyAccessed: changed };
    });
    const errors: unknown[] = [];
    const loop = new ScanLoop(scan, { minMs: 100, maxMs: 1000, initialMs: 100 }, (e) => errors.push(e));
    loop.start();
    await vi.advanceTimersByTimeAsync(99);
    expect(scan).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(scan).toHaveBeenCalledTimes(1);
    expect(loop.intervalMs).toBe(200); // nothing changed: slower
    changed = 50;
    await vi.advanceTimersByTimeAsync(200);
    expect(scan).toHaveBeenCalledTimes(2);
    expect(loop.intervalMs).toBe(100); // half the pages changed: faster
    await vi.advanceTimersByTimeAsync(100);
    expect(scan).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(scan).toHaveBeenCalledTimes(4);
    loop.stop();
  });

  it('waits after a scan as long as its cost and the CPU budget require', async () => {
    vi.useFakeTimers();
    const stats = { scan: 0, present: 100, swapped: 0, accessed: 50, newlyAccessed: 50 };
    const scan = vi.fn(() => stats);
    const costs = [10, 400];
    const loop = new ScanLoop(scan, { minMs: 100, maxMs: 1000, initialMs: 100, cpuBudget: 0.2 }, () => {}, undefined, () => costs.shift() ?? 0);
    loop.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(scan).toHaveBeenCalledTimes(1);
    expect(loop.lastWaitMs).toBe(100); // 10 ms of work needs only 40 ms of rest
    await vi.advanceTimersByTimeAsync(100);
    expect(scan).toHaveBeenCalledTimes(2);
    expect(loop.lastWaitMs).toBe(1600); // 400 ms of work: 1600 ms of rest keeps it at 20%
    await vi.advanceTimersByTimeAsync(1599);
    expect(scan).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(scan).toHaveBeenCalledTimes(3);
    await loop.stop();
  });

  it('an asynchronous scan (a worker\'s): the next is timed from its end, stop() waits for it, and a rejection stops the loop', async () => {
    vi.useFakeTimers();
    const stats = { scan: 0, present: 100, swapped: 0, accessed: 0, newlyAccessed: 0 };
    let finish: (() => void) | undefined;
    let fail = false;
    const scan = vi.fn(
      () =>
        new Promise<typeof stats>((resolve, reject) => {
          finish = () => (fail ? reject(new Error('worker gone')) : resolve(stats));
        }),
    );
    const errors: unknown[] = [];
    const loop = new ScanLoop(scan, { minMs: 100, maxMs: 100, initialMs: 100 }, (e) => errors.push(e));
    loop.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(scan).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000); // the scan takes long: no second one meanwhile
    expect(scan).toHaveBeenCalledTimes(1);
    finish!();
    await vi.advanceTimersByTimeAsync(99);
    expect([scan.mock.calls.length, loop.scans]).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(scan).toHaveBeenCalledTimes(2);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped, 'stop() waits for the scan in progress').toBe(false);
    finish!();
    await stopping;
    expect(loop.scans).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(scan, 'no scan after stop').toHaveBeenCalledTimes(2);
    loop.start();
    await vi.advanceTimersByTimeAsync(100);
    fail = true;
    finish!();
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toEqual([new Error('worker gone')]);
    expect(scan).toHaveBeenCalledTimes(3);
  });
});
