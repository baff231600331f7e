import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessHistory } from '../../../src/agent/access-history.js';
import { BalloonController, splitIntoCalls, type AnswerRecord } from '../../../src/agent/controller.js';
import type { BalloonSignal, KernelPort, ProfilerPort, SwapOutResult } from '../../../src/agent/kernel-port.js';
import { PageState, type ByteRange, type PageRange } from '../../../src/agent/page-state.js';
import { FifoPolicy } from '../../../src/agent/policies/fifo.js';
import { RegionLayout } from '../../../src/agent/region-layout.js';

const BASE = 0x10000000n;

class FakeKernel implements KernelPort {
  registered: readonly ByteRange[] | undefined;
  unregistered = 0;
  listener: ((signal: BalloonSignal) => void) | undefined;
  calls: { ranges: readonly ByteRange[]; flags: number; at: number }[] = [];
  delayMs = 0;
  failNext = false;
  skipPerCall = 0;

  async register(regions: readonly ByteRange[]): Promise<void> {
    this.registered = regions;
  }
  async unregister(): Promise<void> {
    this.unregistered++;
  }
  onSignal(listener: (signal: BalloonSignal) => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = undefined;
    };
  }
  swapOut(ranges: readonly ByteRange[], flags: number): Promise<SwapOutResult> {
    this.calls.push({ ranges, flags, at: Date.now() });
    const pages = ranges.reduce((sum, r) => sum + Number(r.length / 4096n), 0);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('EIO from kernel'));
    }
    const result = { freed: pages - this.skipPerCall, skipped: this.skipPerCall, failed: 0 };
    if (this.delayMs === 0) return Promise.resolve(result);
    return new Promise((resolve) => setTimeout(() => resolve(result), this.delayMs));
  }
  emit(signal: BalloonSignal): void {
    this.listener?.(signal);
  }
  pagesPerCall(): number[] {
    return this.calls.map((c) => c.ranges.reduce((sum, r) => sum + Number(r.length / 4096n), 0));
  }
}

class FakeProfiler implements ProfilerPort {
  readonly layout: RegionLayout;
  readonly history: AccessHistory;

  constructor(pages: number) {
    this.layout = new RegionLayout([{ start: BASE, length: BigInt(pages) * 4096n }]);
    this.history = new AccessHistory(pages);
    for (let page = 0; page < pages; page++) this.history.markLoaded(page);
  }
  policyState(): AccessHistory {
    return this.history;
  }
  markReleased(ranges: readonly PageRange[]): void {
    for (const r of ranges) for (let p = r.first; p < r.first + r.count; p++) this.history.markSwapped(p);
  }
}

describe('BalloonController', () => {
  let kernel: FakeKernel;
  let profiler: FakeProfiler;

  beforeEach(() => {
    vi.useFakeTimers();
    kernel = new FakeKernel();
    profiler = new FakeProfiler(1000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('registers the regions on start, unsubscribes and unregisters on stop', async () => {
    const controller = new BalloonController(kernel, profiler);
    await controller.start();
    expect(kernel.registered).toEqual([{ start: BASE, length: 1000n * 4096n }]);
    expect(kernel.listener).toBeDefined();
    await controller.stop();
    expect(kernel.listener).toBeUndefined();
    expect(kernel.unregistered).toBe(1);
    await controller.stop();
    expect(kernel.unregistered, 'a second stop does nothing').toBe(1);
  });

  it('reports each answer with the signal it answered, its calls and the pages it freed', async () => {
    const answers: AnswerRecord[] = [];
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, maxPagesPerCall: 16, onAnswer: (a) => answers.push(a) });
    await controller.start();
    kernel.skipPerCall = 1;
    kernel.emit({ pagesWanted: 40, freePages: 77 });
    await controller.whenIdle();
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ pagesWanted: 40, freePagesAtSignal: 77, swapOutCalls: 3, pagesFreed: 37 });
    expect(answers[0]!.endedAt).toBeGreaterThanOrEqual(answers[0]!.startedAt);
  });

  it('answers a signal with pagesWanted + hysteresis, split into calls of at most maxPagesPerCall pages', async () => {
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0.1, maxPagesPerCall: 32, swapOutFlags: 1 });
    await controller.start();
    kernel.emit({ pagesWanted: 100, freePages: 5 });
    await controller.whenIdle();
    expect(kernel.pagesPerCall()).toEqual([32, 32, 32, 14]); // 110 pages
    expect(kernel.calls.every((c) => c.flags === 1)).toBe(true);
    expect(kernel.calls[0]!.ranges).toEqual([{ start: BASE, length: 32n * 4096n }]);
    expect(kernel.calls[3]!.ranges).toEqual([{ start: BASE + 96n * 4096n, length: 14n * 4096n }]);
    expect(controller.stats).toMatchObject({ signalsReceived: 1, answers: 1, swapOutCalls: 4, pagesRequested: 110, pagesFreed: 110, deadlineMisses: 0 });
    // Released pages are not chosen again by the next answer.
    kernel.emit({ pagesWanted: 10, freePages: 5 });
    await controller.whenIdle();
    expect(kernel.calls[4]!.ranges).toEqual([{ start: BASE + 110n * 4096n, length: 11n * 4096n }]);
  });

  it('never blocks: the signal listener returns while the swap-out is still in flight', async () => {
    kernel.delayMs = 50;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy() });
    await controller.start();
    kernel.emit({ pagesWanted: 10, freePages: 0 });
    expect(controller.answering).toBe(true);
    expect(kernel.calls).toHaveLength(1);
    expect(controller.stats.pagesFreed).toBe(0);
    await vi.advanceTimersByTimeAsync(50);
    expect(controller.answering).toBe(false);
    expect(controller.stats.pagesFreed).toBe(11);
  });

  it('respects the deadline: no call starts after it, a late call is abandoned and accounted when it completes', async () => {
    kernel.delayMs = 30;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, maxPagesPerCall: 10, deadlineMs: 100 });
    await controller.start();
    const t0 = Date.now();
    kernel.emit({ pagesWanted: 100, freePages: 0 });
    await vi.advanceTimersByTimeAsync(100);
    expect(controller.answering).toBe(false);
    expect(kernel.calls.map((c) => c.at - t0)).toEqual([0, 30, 60, 90]);
    expect(controller.stats.deadlineMisses).toBe(1);
    expect(controller.stats.pagesFreed).toBe(30);
    let idle = false;
    void controller.whenIdle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(idle, 'whenIdle waits for the late call').toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(controller.stats.pagesFreed).toBe(40);
    expect(idle).toBe(true);
    expect(kernel.calls).toHaveLength(4);
  });

  it('still sends the first call when choosing the victims took the whole deadline', async () => {
    const slow = new FifoPolicy();
    const select = slow.selectVictims.bind(slow);
    slow.selectVictims = (state, pages) => {
      vi.advanceTimersByTime(500); // the policy alone outlives the 100 ms deadline
      return select(state, pages);
    };
    const controller = new BalloonController(kernel, profiler, { policy: slow, hysteresisFraction: 0, maxPagesPerCall: 10, deadlineMs: 100 });
    await controller.start();
    kernel.emit({ pagesWanted: 30, freePages: 0 });
    await controller.whenIdle();
    expect(kernel.calls).toHaveLength(1);
    expect(controller.stats).toMatchObject({ swapOutCalls: 1, pagesFreed: 10, deadlineMisses: 2 });
  });

  it('uses a per-signal deadline when the kernel gives one', async () => {
    kernel.delayMs = 30;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, maxPagesPerCall: 10, deadlineMs: 1000 });
    await controller.start();
    kernel.emit({ pagesWanted: 100, freePages: 0, deadlineMs: 50 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(kernel.calls).toHaveLength(2);
    expect(controller.stats.deadlineMisses).toBe(1);
  });

  it('coalesces signals arriving during an answer: only the latest is answered next, net of pages freed since it arrived', async () => {
    kernel.delayMs = 50;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0.1, maxPagesPerCall: 1000 });
    await controller.start();
    kernel.emit({ pagesWanted: 10, freePages: 0 });
    kernel.emit({ pagesWanted: 50, freePages: 0 });
    kernel.emit({ pagesWanted: 40, freePages: 0 });
    expect(controller.stats.signalsCoalesced).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    // The last signal (40) arrived before the first answer freed 11 pages: 29 still wanted, 32 with hysteresis.
    expect(kernel.pagesPerCall()).toEqual([11, 32]);
    expect(controller.stats).toMatchObject({ signalsReceived: 3, answers: 2, swapOutCalls: 2, pagesFreed: 43 });
  });

  it('drops a coalesced signal already satisfied by pages freed after it arrived', async () => {
    kernel.delayMs = 50;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), maxPagesPerCall: 5, deadlineMs: 10_000 });
    await controller.start();
    kernel.emit({ pagesWanted: 20, freePages: 0 }); // 22 pages in 5 calls of <= 5
    await vi.advanceTimersByTimeAsync(60); // first call done: 5 freed
    kernel.emit({ pagesWanted: 10, freePages: 0 }); // arrives with 17 more pages still to be freed
    await vi.advanceTimersByTimeAsync(1000);
    expect(controller.stats.answers).toBe(1);
    expect(kernel.pagesPerCall()).toEqual([5, 5, 5, 5, 2]);
  });

  it('a failing swap-out is counted and does not stop later answers', async () => {
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy() });
    await controller.start();
    kernel.failNext = true;
    kernel.emit({ pagesWanted: 10, freePages: 0 });
    await controller.whenIdle();
    expect(controller.stats.errors).toBe(1);
    expect(String(controller.lastError)).toMatch(/EIO/);
    kernel.emit({ pagesWanted: 10, freePages: 0 });
    await controller.whenIdle();
    expect(controller.stats.pagesFreed).toBe(11);
  });

  it('proactive mode releases only pages idle for at least minIdleScans, periodically', async () => {
    const history = profiler.history;
    const accessed = new Uint8Array(1000);
    for (let scan = 0; scan < 20; scan++) {
      accessed.fill(0);
      for (let page = 0; page < 1000; page++) if (page >= 100 || scan < 10) accessed[page] = 1;
      history.update(accessed, history.state);
    }
    // Pages 0-99 idle for 10 scans, the rest accessed in the last scan.
    const controller = new BalloonController(kernel, profiler, {
      proactive: { enabled: true, minIdleScans: 10, maxPagesPerRound: 64, intervalMs: 1000 },
    });
    await controller.start();
    expect(kernel.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(kernel.calls).toHaveLength(1);
    expect(kernel.calls[0]!.ranges).toEqual([{ start: BASE, length: 64n * 4096n }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(kernel.calls[1]!.ranges).toEqual([{ start: BASE + 64n * 4096n, length: 36n * 4096n }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(kernel.calls).toHaveLength(2); // nothing idle enough is left
    expect(controller.stats.proactivePagesFreed).toBe(100);
    expect(history.state[100]).toBe(PageState.Present);
    await controller.stop();
  });

  it('caps ranges per call too, and counts skipped pages', async () => {
    // Every other page is present: fifo picks 20 single-page ranges.
    for (let page = 1; page < 1000; page += 2) profiler.history.markSwapped(page);
    kernel.skipPerCall = 1;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, maxRangesPerCall: 8 });
    await controller.start();
    kernel.emit({ pagesWanted: 20, freePages: 0 });
    await controller.whenIdle();
    expect(kernel.calls.map((c) => c.ranges.length)).toEqual([8, 8, 4]);
    expect(controller.stats).toMatchObject({ pagesRequested: 20, pagesFreed: 17, pagesSkipped: 3 });
  });

  it('rejects invalid options, including caps beyond the kernel limits', () => {
    expect(() => new BalloonController(kernel, profiler, { maxPagesPerCall: 0 })).toThrowError(/invalid controller options/);
    expect(() => new BalloonController(kernel, profiler, { maxRangesPerCall: 1025 })).toThrowError(/invalid controller options/);
  });
});

describe('splitIntoCalls', () => {
  it('caps pages per call, splitting ranges across calls', () => {
    expect(splitIntoCalls([{ first: 0, count: 5 }, { first: 10, count: 3 }], 4)).toEqual([
      [{ first: 0, count: 4 }],
      [
        { first: 4, count: 1 },
        { first: 10, count: 3 },
      ],
    ]);
    expect(splitIntoCalls([], 4)).toEqual([]);
    expect(splitIntoCalls([{ first: 0, count: 1 }, { first: 2, count: 1 }, { first: 4, count: 1 }], 100, 2)).toEqual([
      [
        { first: 0, count: 1 },
        { first: 2, count: 1 },
      ],
      [{ first: 4, count: 1 }],
    ]);
  });
});

describe('RegionLayout', () => {
  it('maps page ranges to byte ranges, splitting at region boundaries', () => {
    const layout = new RegionLayout([
      { start: 0x20000n * 4096n, length: 2n * 4096n },
      { start: 0x10000n * 4096n, length: 3n * 4096n },
    ]);
    expect(layout.pageCount).toBe(5);
    expect(layout.toByteRanges([{ first: 2, count: 2 }])).toEqual([
      { start: 0x10002n * 4096n, length: 4096n },
      { start: 0x20000n * 4096n, length: 4096n },
    ]);
    expect(layout.addressOf(4)).toBe(0x20001n * 4096n);
    expect(() => layout.toByteRanges([{ first: 4, count: 2 }])).toThrowError(/outside/);
    expect(() => new RegionLayout([{ start: 0n, length: 8192n }, { start: 4096n, length: 4096n }])).toThrowError(/overlap/);
  });
});
