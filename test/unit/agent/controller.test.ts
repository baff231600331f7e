import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessHistory, type ResidencyPages, type ResidencyScope } from '../../../src/agent/access-history.js';
import { BalloonController, DEFAULT_RESIDENCY_REFRESH, splitIntoCalls, type AnswerRecord, type MemoryGauge } from '../../../src/agent/controller.js';
import type { BalloonSignal, KernelPort, ProfilerPort, SwapOutResult } from '../../../src/agent/kernel-port.js';
import { PageState, type ByteRange, type PageRange } from '../../../src/agent/page-state.js';
import { FifoPolicy } from '../../../src/agent/policies/fifo.js';
import { LruApproxPolicy } from '../../../src/agent/policies/lru-approx.js';
import type { EvictionPolicy, PolicyState } from '../../../src/agent/policies/policy.js';
import { indicesToRanges } from '../../../src/agent/policies/select.js';
import { RegionLayout } from '../../../src/agent/region-layout.js';

const BASE = 0x10000000n;
const PAGE = 4096n;

/** What the fake kernel knows of each page of the process. */
const Truth = { Absent: 0, Present: 1, Swapped: 2, Pinned: 3 } as const;

/**
 * The kernel side of one process: every page's real state, and a
 * balloon_swapout() that frees only present, unpinned pages (the rest are
 * skipped, as already in swap, never touched, or locked) when the call
 * completes, after delayMs.
 */
class FakeKernel implements KernelPort {
  readonly truth: Uint8Array;
  readonly events: string[] = [];
  registered: readonly ByteRange[] | undefined;
  listener: ((signal: BalloonSignal) => void) | undefined;
  calls: { ranges: readonly ByteRange[]; flags: number; at: number }[] = [];
  delayMs = 0;
  /** Per call (in order), a delay that overrides delayMs. */
  delays: number[] = [];
  failNext = false;
  onRegister: (() => void) | undefined;

  constructor(pages: number) {
    this.truth = new Uint8Array(pages).fill(Truth.Present);
  }

  async register(regions: readonly ByteRange[]): Promise<void> {
    this.events.push('register');
    this.registered = regions;
    this.onRegister?.();
  }
  async unregister(): Promise<void> {
    this.events.push('unregister');
    this.registered = undefined;
  }
  onSignal(listener: (signal: BalloonSignal) => void): () => void {
    this.events.push('listen');
    this.listener = listener;
    return () => {
      this.events.push('unlisten');
      this.listener = undefined;
    };
  }
  swapOut(ranges: readonly ByteRange[], flags: number): Promise<SwapOutResult> {
    this.events.push('swapOut');
    this.calls.push({ ranges, flags, at: Date.now() });
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('EIO from kernel'));
    }
    const complete = (): SwapOutResult => {
      const result = { freed: 0, skipped: 0, failed: 0 };
      for (const r of ranges) {
        const first = Number((r.start - BASE) / PAGE);
        for (let page = first; page < first + Number(r.length / PAGE); page++) {
          if (this.truth[page] === Truth.Present) {
            this.truth[page] = Truth.Swapped;
            result.freed++;
          } else result.skipped++;
        }
      }
      return result;
    };
    const delay = this.delays.shift() ?? this.delayMs;
    if (delay === 0) return Promise.resolve(complete());
    return new Promise((resolve) => setTimeout(() => resolve(complete()), delay));
  }
  emit(signal: BalloonSignal): void {
    this.listener?.(signal);
  }
  pagesPerCall(): number[] {
    return this.calls.map((c) => c.ranges.reduce((sum, r) => sum + Number(r.length / PAGE), 0));
  }
  /** Every range sent so far, as [first page, pages], call after call. */
  sentRanges(): [number, number][] {
    return this.calls.flatMap((call) => call.ranges.map((r): [number, number] => [Number((r.start - BASE) / PAGE), Number(r.length / PAGE)]));
  }
  firstPages(): number[] {
    return this.calls.map((c) => Number((c.ranges[0]!.start - BASE) / PAGE));
  }
  count(state: number): number {
    return this.truth.filter((t) => t === state).length;
  }
}

/** With fake timers: advances them in steps of 10 ms until the controller is idle (late calls and follow-ups included). */
async function runUntilIdle(controller: BalloonController): Promise<void> {
  let idle = false;
  void controller.whenIdle().then(() => (idle = true));
  for (let step = 0; step < 10_000 && !idle; step++) await vi.advanceTimersByTimeAsync(10);
  if (!idle) throw new Error('the controller did not become idle within 100 s of fake time');
}

/**
 * The profiler as the controller sees it: scan() reads the kernel's truth as
 * pagemap would (a pinned page is present), except that pages in a call
 * that has not returned stay released, as ProfiledMemory does.
 */
class FakeProfiler implements ProfilerPort {
  readonly layout: RegionLayout;
  readonly history: AccessHistory;
  readonly inFlight: Uint16Array;

  constructor(private readonly kernel: FakeKernel) {
    const pages = kernel.truth.length;
    this.layout = new RegionLayout([{ start: BASE, length: BigInt(pages) * PAGE }]);
    this.history = new AccessHistory(pages);
    this.inFlight = new Uint16Array(pages);
    for (let page = 0; page < pages; page++) this.history.markLoaded(page);
  }
  policyState(): AccessHistory {
    return this.history;
  }
  markReleased(ranges: readonly PageRange[]): void {
    for (const r of ranges) for (let p = r.first; p < r.first + r.count; p++) {
      this.history.markSwapped(p);
      this.inFlight[p]!++;
    }
  }
  releaseEnded(ranges: readonly PageRange[]): void {
    for (const r of ranges) for (let p = r.first; p < r.first + r.count; p++) this.inFlight[p]!--;
  }
  scan(accessed = new Uint8Array(this.kernel.truth.length)): void {
    const state = new Uint8Array(this.kernel.truth.length);
    this.kernel.truth.forEach((t, page) => {
      const present = t === Truth.Present || t === Truth.Pinned;
      state[page] = present && this.inFlight[page] === 0 ? PageState.Present : t === Truth.Absent ? PageState.Absent : PageState.Swapped;
    });
    this.history.update(accessed, state);
  }
}

/** The fake profiler with ProfiledMemory's refreshResidency(): pagemap read between scans, from the kernel's truth. */
class RefreshingProfiler extends FakeProfiler {
  refreshes = 0;
  failWith: Error | undefined;

  constructor(private readonly truthOf: FakeKernel) {
    super(truthOf);
  }

  readonly scopes: ResidencyScope[] = [];
  /** The pages each read looked at (ResidencyPages). */
  readonly pages: ResidencyPages[] = [];

  refreshResidency(scope: ResidencyScope, pages: ResidencyPages = 'all'): void {
    this.refreshes++;
    this.scopes.push(scope);
    this.pages.push(pages);
    if (this.failWith !== undefined) throw this.failWith;
    this.truthOf.truth.forEach((t, page) => {
      if (pages === 'unseen' && this.history.state[page] !== PageState.Absent) return;
      if (this.inFlight[page]! === 0) this.history.noteResidency(page, t === Truth.Present || t === Truth.Pinned, scope);
    });
  }
}

/** Picks the present pages with the lowest indices (a policy whose choice a test can predict exactly). */
class LowestIndexPolicy implements EvictionPolicy {
  readonly name = 'lowest-index';
  selectVictims(state: PolicyState, pagesWanted: number): PageRange[] {
    const chosen: number[] = [];
    for (let page = 0; page < state.pageCount && chosen.length < pagesWanted; page++) {
      if (state.state[page] === PageState.Present) chosen.push(page);
    }
    return indicesToRanges(chosen);
  }
}

/** CLOCK_MONOTONIC in ns following the fake timers' Date.now(). */
const fakeMonotonicNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

describe('BalloonController', () => {
  let kernel: FakeKernel;
  let profiler: FakeProfiler;

  beforeEach(() => {
    vi.useFakeTimers();
    kernel = new FakeKernel(1000);
    profiler = new FakeProfiler(kernel);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('start and stop', () => {
    it('listens before it registers, and unregisters before it stops listening', async () => {
      const controller = new BalloonController(kernel, profiler);
      await controller.start();
      expect(kernel.events).toEqual(['listen', 'register']);
      expect(kernel.registered).toEqual([{ start: BASE, length: 1000n * PAGE }]);
      await controller.stop();
      expect(kernel.events).toEqual(['listen', 'register', 'unregister', 'unlisten']);
      await controller.stop();
      expect(kernel.events, 'a second stop does nothing').toHaveLength(4);
    });

    it('answers a signal the kernel sends as soon as the registration exists', async () => {
      // The kernel may signal from its watcher before balloon_ctl() has even returned.
      kernel.onRegister = () => kernel.emit({ pagesWanted: 8, freePages: 0 });
      const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0 });
      await controller.start();
      await controller.whenIdle();
      expect(controller.stats).toMatchObject({ signalsReceived: 1, answers: 1, pagesFreed: 8 });
      await controller.stop();
    });

    it('waits for the answer in progress before it unregisters, and ignores signals once stopping', async () => {
      kernel.delayMs = 50;
      const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, deadlineMs: 1000 });
      await controller.start();
      kernel.emit({ pagesWanted: 8, freePages: 0 });
      const stopped = controller.stop();
      kernel.emit({ pagesWanted: 8, freePages: 0 });
      await vi.advanceTimersByTimeAsync(50);
      await stopped;
      expect(kernel.events).toEqual(['listen', 'register', 'swapOut', 'unregister', 'unlisten']);
      expect(controller.stats).toMatchObject({ signalsReceived: 1, signalsAfterStop: 1, pagesFreed: 8 });
    });

    it('stops listening again when the registration fails', async () => {
      kernel.register = async () => {
        kernel.events.push('register');
        throw new Error('balloon_ctl(register) failed with ENOSYS');
      };
      const controller = new BalloonController(kernel, profiler);
      await expect(controller.start()).rejects.toThrow(/ENOSYS/);
      expect(kernel.events).toEqual(['listen', 'register', 'unlisten']);
      await controller.stop();
      expect(kernel.events, 'nothing to unregister').toEqual(['listen', 'register', 'unlisten']);
    });
  });

  it('meets the request when some chosen pages are skipped: it selects again and reports each answer', async () => {
    const answers: AnswerRecord[] = [];
    for (const page of [3, 17, 30]) kernel.truth[page] = Truth.Pinned;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, maxPagesPerCall: 16, onAnswer: (a) => answers.push(a) });
    await controller.start();
    kernel.emit({ pagesWanted: 40, freePages: 77 });
    await controller.whenIdle();
    expect(answers).toHaveLength(1);
    // One call's worth per selection: 16 pages (15 freed, page 3 pinned), 16 (14 freed: 17 and 30),
    // then the 11 missing scaled by the share freed so far, 11 / (29/32) = 13.
    expect(answers[0]).toMatchObject({ pagesWanted: 40, freePagesAtSignal: 77, selections: 3, swapOutCalls: 3, pagesFreed: 42 });
    expect(kernel.pagesPerCall()).toEqual([16, 16, 13]);
    expect(answers[0]!.endedAt).toBeGreaterThanOrEqual(answers[0]!.startedAt);
    expect(kernel.count(Truth.Swapped)).toBe(42);
    expect(controller.stats).toMatchObject({ pagesFreed: 42, pagesSkipped: 3, answersShort: 0 });
  });

  it('meets the request when the history is stale (chosen pages already in swap)', async () => {
    // The kernel's rail swapped pages 0-29 behind the agent's back; no scan has seen it yet.
    for (let page = 0; page < 30; page++) kernel.truth[page] = Truth.Swapped;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0.1 });
    await controller.start();
    kernel.emit({ pagesWanted: 20, freePages: 0 });
    await controller.whenIdle();
    expect(controller.stats.pagesFreed).toBeGreaterThanOrEqual(20);
    expect(kernel.count(Truth.Swapped) - 30).toBe(controller.stats.pagesFreed);
    expect(controller.stats).toMatchObject({ answersShort: 0, pagesSkipped: 30 });
  });

  describe('residency between scans (ProfilerPort.refreshResidency)', () => {
    it('brings it up to date before choosing: pages the kernel swapped itself are not offered again', async () => {
      // The kernel's rail swapped pages 0-29 behind the agent's back; no scan has seen it yet.
      for (let page = 0; page < 30; page++) kernel.truth[page] = Truth.Swapped;
      const refreshing = new RefreshingProfiler(kernel);
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0, refreshResidency: 'always' });
      await controller.start();
      kernel.emit({ pagesWanted: 20, freePages: 0 });
      await controller.whenIdle();
      expect(refreshing.refreshes).toBe(1);
      expect(controller.stats).toMatchObject({ selections: 1, pagesRequested: 20, pagesFreed: 20, pagesSkipped: 0, answersShort: 0 });
      expect(kernel.firstPages()).toEqual([30]);
      await controller.stop();
    });

    it('takes pages faulted back in since the last scan as present again, so there is something to choose', async () => {
      const refreshing = new RefreshingProfiler(kernel);
      for (let page = 0; page < 1000; page++) refreshing.history.markSwapped(page); // the last scan saw them all in swap
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0, refreshResidency: 'always' });
      await controller.start();
      kernel.emit({ pagesWanted: 10, freePages: 0 });
      await controller.whenIdle();
      expect(controller.stats).toMatchObject({ pagesFreed: 10, answersShort: 0 });
      await controller.stop();
    });

    it('with arrivals, drops pages the kernel swapped itself and takes in new ones, but leaves pages back from swap to the next scan', async () => {
      const refreshing = new RefreshingProfiler(kernel);
      // The last scan saw pages 0-99 present and 100-199 in swap; 200 on were never touched then.
      for (let page = 100; page < 1000; page++) refreshing.history.markSwapped(page);
      for (let page = 200; page < 1000; page++) refreshing.history.state[page] = PageState.Absent;
      // Since: the kernel swapped 0-89 itself, and everything else is present (100-199 faulted back, 200 on written).
      for (let page = 0; page < 90; page++) kernel.truth[page] = Truth.Swapped;
      const memory: MemoryGauge = { thresholdPages: 100, freePages: () => 0 };
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0, refreshResidency: 'arrivals', memory, proactive: { enabled: true, intervalMs: 0 } });
      await controller.start();
      kernel.emit({ pagesWanted: 20, freePages: 0 });
      await controller.whenIdle();
      expect(refreshing.scopes).toEqual(['arrivals']);
      expect(controller.stats).toMatchObject({ pagesFreed: 20, pagesSkipped: 0, answersShort: 0 });
      // FIFO takes the oldest loads: 90-99 from the last scan, then new pages; none back from swap.
      const chosen = kernel.sentRanges();
      expect(chosen).toEqual([[90, 10], [200, 10]]);
      expect(refreshing.history.state[150]).toBe(PageState.Swapped);
      // Proactive rounds do not read it in this mode: a page just arrived is not idle.
      await controller.proactiveRound();
      expect(controller.stats.proactiveRounds).toBe(1);
      expect(refreshing.refreshes).toBe(1);
      await controller.stop();
    });

    it('with returns, also takes in pages back from swap (no newer than the last scan\'s hits)', async () => {
      const refreshing = new RefreshingProfiler(kernel);
      // As above: the last scan saw 0-99 present, 100-199 in swap, 200 on never touched; since, 100-199 came back.
      for (let page = 100; page < 1000; page++) refreshing.history.markSwapped(page);
      for (let page = 200; page < 1000; page++) refreshing.history.state[page] = PageState.Absent;
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0, refreshResidency: 'returns' });
      await controller.start();
      kernel.emit({ pagesWanted: 20, freePages: 0 });
      await controller.whenIdle();
      expect(refreshing.scopes).toEqual(['returns']);
      // FIFO takes the oldest loads: 0-19 from the last scan; 100-199 are present again, loaded before 200 on.
      expect(kernel.sentRanges()).toEqual([[0, 20]]);
      expect(refreshing.history.state[150]).toBe(PageState.Present);
      expect(refreshing.history.loadStamp[150]!).toBeLessThan(refreshing.history.loadStamp[200]!);
      await controller.stop();
    });

    it('with never, the history the last scan left: pages the kernel swapped cost skips', async () => {
      for (let page = 0; page < 30; page++) kernel.truth[page] = Truth.Swapped;
      const refreshing = new RefreshingProfiler(kernel);
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0, refreshResidency: 'never' });
      await controller.start();
      kernel.emit({ pagesWanted: 20, freePages: 0 });
      await controller.whenIdle();
      expect(refreshing.refreshes).toBe(0);
      expect(controller.stats).toMatchObject({ selections: 2, pagesSkipped: 30 });
      await controller.stop();
    });

    it('by default (arrivals), an answer reads the arrivals before it selects: pages the kernel swapped cost no skip', async () => {
      expect(DEFAULT_RESIDENCY_REFRESH).toBe('arrivals');
      for (let page = 0; page < 30; page++) kernel.truth[page] = Truth.Swapped;
      const refreshing = new RefreshingProfiler(kernel);
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0 });
      await controller.start();
      kernel.emit({ pagesWanted: 20, freePages: 0 });
      await controller.whenIdle();
      expect(refreshing.scopes).toEqual(['arrivals']);
      expect(controller.stats).toMatchObject({ selections: 1, pagesSkipped: 0, pagesFreed: 20 });
      const chosen = kernel.sentRanges();
      expect(chosen).toEqual([[30, 20]]);
      await controller.stop();
    });

    it('with arrivals, reads every page once, then only the pages never seen present, until the calls find more than an eighth of their pages gone', async () => {
      const refreshing = new RefreshingProfiler(kernel);
      // The last scan saw pages 0-499 present; 500 on were never touched then, and are written since.
      for (let page = 500; page < 1000; page++) refreshing.history.state[page] = PageState.Absent;
      const controller = new BalloonController(kernel, refreshing, { policy: new LowestIndexPolicy(), hysteresisFraction: 0, refreshResidency: 'arrivals' });
      await controller.start();
      const answer = async (pagesWanted: number): Promise<void> => {
        kernel.emit({ pagesWanted, freePages: 0 });
        await controller.whenIdle();
      };
      await answer(10); // 0-9
      expect(refreshing.pages).toEqual(['all']);
      // The kernel's rail swaps 10-12 itself: an unseen read does not notice, the next call skips them.
      for (let page = 10; page < 13; page++) kernel.truth[page] = Truth.Swapped;
      await answer(30); // 10-39 sent: 27 freed, 3 skipped (not an eighth); then 40-43 (30 - 27 over a share of 0.9)
      expect(refreshing.pages).toEqual(['all', 'unseen']);
      expect(controller.stats).toMatchObject({ pagesSkipped: 3, pagesFreed: 41 });
      // Now it swaps 50-69: 20 of the next 30 pages are gone, more than an eighth of all sent since the first read.
      for (let page = 50; page < 70; page++) kernel.truth[page] = Truth.Swapped;
      await answer(30);
      expect(refreshing.pages).toEqual(['all', 'unseen', 'unseen']);
      expect(controller.stats.pagesSkipped).toBe(23);
      // So the next answer reads every page again, and its call skips nothing.
      for (let page = 100; page < 110; page++) kernel.truth[page] = Truth.Swapped;
      const skipped = controller.stats.pagesSkipped;
      await answer(5);
      expect(refreshing.pages).toEqual(['all', 'unseen', 'unseen', 'all']);
      expect(controller.stats.pagesSkipped).toBe(skipped);
      await controller.stop();
    });

    it('with when-empty, an answer reads nothing while the last scan left pages to choose', async () => {
      for (let page = 0; page < 30; page++) kernel.truth[page] = Truth.Swapped;
      const refreshing = new RefreshingProfiler(kernel);
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0, refreshResidency: 'when-empty' });
      await controller.start();
      kernel.emit({ pagesWanted: 20, freePages: 0 });
      await controller.whenIdle();
      expect(refreshing.refreshes).toBe(0);
      expect(controller.stats).toMatchObject({ selections: 2, pagesSkipped: 30, answersShort: 0 });
      await controller.stop();
    });

    it('with when-empty, an answer whose selection finds no page reads the arrivals once and chooses among them', async () => {
      const refreshing = new RefreshingProfiler(kernel);
      // The last scan ran before the writes: it saw no page present (pages 0-99 absent, the rest in swap).
      for (let page = 0; page < 1000; page++) refreshing.history.markSwapped(page);
      for (let page = 0; page < 100; page++) refreshing.history.state[page] = PageState.Absent;
      // Since: pages 0-99 were written; the rest are still present in the kernel's truth but were swapped as the last scan saw.
      const memory: MemoryGauge = { thresholdPages: 100, freePages: () => 0 };
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0, refreshResidency: 'when-empty', memory, proactive: { enabled: true, intervalMs: 0 } });
      await controller.start();
      kernel.emit({ pagesWanted: 20, freePages: 0 });
      await controller.whenIdle();
      expect(refreshing.scopes).toEqual(['arrivals']);
      expect(controller.stats).toMatchObject({ selections: 2, pagesFreed: 20, answersShort: 0 });
      // Only the new pages: pages back from swap wait for the next scan, as with arrivals.
      const chosen = kernel.sentRanges();
      expect(chosen).toEqual([[0, 20]]);
      expect(refreshing.history.state[500]).toBe(PageState.Swapped);
      // Once per answer: with nothing left after the read, the next answer reads again, not the same one.
      kernel.emit({ pagesWanted: 500, freePages: 0 });
      await controller.whenIdle();
      expect(refreshing.scopes).toEqual(['arrivals', 'arrivals']);
      expect(controller.stats).toMatchObject({ pagesFreed: 100, answersShort: 1 });
      // Proactive rounds do not read it.
      await controller.proactiveRound();
      expect(refreshing.refreshes).toBe(2);
      await controller.stop();
    });

    it('a refresh that fails is an error, and the answer goes on with the history it has', async () => {
      const refreshing = new RefreshingProfiler(kernel);
      refreshing.failWith = new Error('pagemap: unexpected end of file');
      const controller = new BalloonController(kernel, refreshing, { policy: new FifoPolicy(), hysteresisFraction: 0, refreshResidency: 'always' });
      await controller.start();
      kernel.emit({ pagesWanted: 20, freePages: 0 });
      await controller.whenIdle();
      expect(controller.stats).toMatchObject({ errors: 1, pagesFreed: 20, answersShort: 0 });
      expect(String(controller.lastError)).toMatch(/pagemap/);
      await controller.stop();
    });
  });

  it('stops selecting when nothing is left, and counts the answer as short', async () => {
    kernel.truth.fill(Truth.Pinned);
    for (let page = 0; page < 10; page++) kernel.truth[page] = Truth.Present;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, maxPagesPerCall: 64, maxSelectionsPerAnswer: 100 });
    await controller.start();
    kernel.emit({ pagesWanted: 40, freePages: 0 });
    await controller.whenIdle();
    expect(controller.stats).toMatchObject({ pagesFreed: 10, answersShort: 1 });
    // Each page was offered once (the pinned ones stay released for the policy until
    // a scan), one call's worth (64 pages) per selection once the shortfall scales it up:
    // 40, then 15 of 64, and a last one that finds nothing.
    expect(controller.stats.pagesRequested).toBe(1000);
    expect(controller.stats.selections).toBe(17);
  });

  it('answers a signal with pagesWanted + hysteresis, split into calls of at most maxPagesPerCall pages', async () => {
    const answers: AnswerRecord[] = [];
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0.1, maxPagesPerCall: 32, swapOutFlags: 1, onAnswer: (a) => answers.push(a) });
    await controller.start();
    kernel.emit({ pagesWanted: 100, freePages: 5 });
    await controller.whenIdle();
    expect(kernel.pagesPerCall()).toEqual([32, 32, 32, 14]); // 110 pages
    expect(kernel.calls.every((c) => c.flags === 1)).toBe(true);
    expect(kernel.calls[0]!.ranges).toEqual([{ start: BASE, length: 32n * PAGE }]);
    expect(kernel.calls[3]!.ranges).toEqual([{ start: BASE + 96n * PAGE, length: 14n * PAGE }]);
    expect(controller.stats).toMatchObject({ signalsReceived: 1, answers: 1, swapOutCalls: 4, pagesRequested: 110, pagesFreed: 110, deadlineMisses: 0 });
    // Released pages are not chosen again by the next answer.
    kernel.emit({ pagesWanted: 10, freePages: 5 });
    await controller.whenIdle();
    expect(kernel.calls[4]!.ranges).toEqual([{ start: BASE + 110n * PAGE, length: 11n * PAGE }]);
    // Where the pages came from, in sixteenths of the 1000 pages: pages 0-62 and 63-124.
    expect(controller.stats.sentByPosition.answers).toEqual([63, 58, ...new Array<number>(14).fill(0)]);
    expect(controller.stats.sentByPosition.proactive).toEqual(new Array<number>(16).fill(0));
    // And per answer: pages 0-109, then 110-120.
    expect(answers.map((a) => a.sentByPosition)).toEqual([
      [63, 47, ...new Array<number>(14).fill(0)],
      [0, 11, ...new Array<number>(14).fill(0)],
    ]);
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
    // The request is still short by 60 pages, more than an eighth, and the kernel asks again only
    // after its own timeout: the late call's return starts a follow-up with a deadline of its own.
    expect(controller.stats.followUps).toBe(1);
    expect(kernel.calls.map((c) => c.at - t0)).toEqual([0, 30, 60, 90, 120]);
    await runUntilIdle(controller);
    expect(idle).toBe(true);
    expect(controller.stats).toMatchObject({ answers: 3, followUps: 2, pagesFreed: 100, deadlineMisses: 2 });
  });

  it('follows up on a late call only while the request is short by more than an eighth, free memory under the threshold, and twice at most', async () => {
    let free = 0;
    const memory: MemoryGauge = { thresholdPages: 1000, freePages: () => free };
    const answers: AnswerRecord[] = [];
    const options = { policy: new FifoPolicy(), hysteresisFraction: 0, maxPagesPerCall: 10, deadlineMs: 100, memory, proactive: { enabled: false }, onAnswer: (a: AnswerRecord) => answers.push(a) };
    // Short by 10 of 80 pages (an eighth) when the late call returns (its pages are locked): the kernel counts that as answered.
    kernel.delays = [10, 10, 10, 10, 10, 10, 10, 150];
    for (let page = 70; page < 80; page++) kernel.truth[page] = Truth.Pinned;
    const controller = new BalloonController(kernel, profiler, options);
    await controller.start();
    kernel.emit({ pagesWanted: 80, freePages: 0 });
    await runUntilIdle(controller);
    expect(controller.stats).toMatchObject({ answers: 1, followUps: 0, pagesFreed: 70, deadlineMisses: 1 });
    // Free memory back above the threshold when the late call returns: no follow-up.
    kernel.delays = [150];
    kernel.emit({ pagesWanted: 50, freePages: 0 });
    await vi.advanceTimersByTimeAsync(110);
    free = 1000;
    await runUntilIdle(controller);
    expect(controller.stats).toMatchObject({ answers: 2, followUps: 0, pagesFreed: 80, deadlineMisses: 2 });
    // Every call late and freeing nothing (its pages used again): two follow-ups, then the kernel's turn.
    free = 0;
    kernel.delayMs = 150;
    for (let page = 0; page < kernel.truth.length; page++) if (kernel.truth[page] === Truth.Present) kernel.truth[page] = Truth.Pinned;
    kernel.emit({ pagesWanted: 40, freePages: 5, seq: 7 });
    await runUntilIdle(controller);
    expect(controller.stats).toMatchObject({ answers: 5, followUps: 2, pagesFreed: 80 });
    // The same signal, asked again in full; free pages as the gauge read them when each follow-up started.
    expect(answers.slice(2).map((a) => [a.followUp, a.signalSeq, a.pagesAsked, a.pagesWanted, a.freePagesAtSignal])).toEqual([
      [0, 7, 40, 40, 5],
      [1, 7, 40, 40, 0],
      [2, 7, 40, 40, 0],
    ]);
  });

  it('gives the policy back what a selection chose and no call sent (the deadline passed between its calls)', async () => {
    kernel.delayMs = 60;
    const restored: PageRange[][] = [];
    const lowest = new LowestIndexPolicy();
    const policy: EvictionPolicy = { name: 'lowest-index', selectVictims: (state, wanted) => lowest.selectVictims(state, wanted), restore: (_state, ranges) => restored.push([...ranges]) };
    // One range per call: the selection of 10 pages 0-4 and 6-10 (page 5 absent) takes two calls.
    profiler.history.state[5] = PageState.Absent;
    const controller = new BalloonController(kernel, profiler, { policy, hysteresisFraction: 0, maxPagesPerCall: 10, maxRangesPerCall: 1, deadlineMs: 50 });
    await controller.start();
    kernel.emit({ pagesWanted: 10, freePages: 0 });
    await vi.advanceTimersByTimeAsync(50);
    // The first call outlived the deadline: pages 6-10 were never sent, and went back to the policy.
    expect(kernel.sentRanges()).toEqual([[0, 5]]);
    expect(restored).toEqual([[{ first: 6, count: 5 }]]);
    await runUntilIdle(controller);
    await controller.stop();
  });

  it('keeps the pages of a call abandoned at its deadline released through scans, until the call returns', async () => {
    kernel.delays = [150];
    const controller = new BalloonController(kernel, profiler, { policy: new LowestIndexPolicy(), hysteresisFraction: 0, maxPagesPerCall: 10, deadlineMs: 100 });
    await controller.start();
    kernel.emit({ pagesWanted: 10, freePages: 0 });
    await vi.advanceTimersByTimeAsync(110);
    expect(controller.stats.deadlineMisses).toBe(1);
    // The kernel has not reached pages 0-9 yet: pagemap still shows them present.
    profiler.scan();
    expect(profiler.history.state[0]).toBe(PageState.Swapped);
    kernel.emit({ pagesWanted: 10, freePages: 0 });
    await vi.advanceTimersByTimeAsync(0);
    expect(kernel.firstPages(), 'the second answer picks other pages').toEqual([0, 10]);
    await vi.advanceTimersByTimeAsync(50);
    await runUntilIdle(controller);
    expect(controller.stats.pagesFreed).toBe(20);
    // Once the call returned, scans tell the truth again.
    kernel.truth[5] = Truth.Present; // faulted back in
    profiler.scan();
    expect(profiler.history.state[5]).toBe(PageState.Present);
    expect(profiler.history.state[4]).toBe(PageState.Swapped);
  });

  it('counts the deadline from when the kernel sent the signal, not from when the answer starts', async () => {
    kernel.delayMs = 30;
    const controller = new BalloonController(kernel, profiler, {
      policy: new FifoPolicy(),
      hysteresisFraction: 0,
      maxPagesPerCall: 10,
      deadlineMs: 100,
      monotonicNs: fakeMonotonicNs,
      onAnswer: (a) => answers.push(a),
    });
    const answers: AnswerRecord[] = [];
    await controller.start();
    // The listener runs 70 ms after the handler stamped the signal (the event loop was busy).
    kernel.emit({ pagesWanted: 100, freePages: 0, sentAtNs: fakeMonotonicNs() - 70_000_000n });
    await vi.advanceTimersByTimeAsync(1000);
    expect(kernel.calls).toHaveLength(1);
    expect(answers[0]!.startedAt - answers[0]!.sentAt).toBe(70);
    expect(answers[0]!.firstCallAt).toBe(answers[0]!.startedAt);
  });

  describe('stage times of each answer (ms after the send, on CLOCK_MONOTONIC)', () => {
    /** FIFO that takes `ms` of (fake) time to choose. */
    const slowFifo = (ms: number): EvictionPolicy => {
      const fifo = new FifoPolicy();
      return {
        name: 'slow-fifo',
        selectVictims: (state, wanted) => {
          vi.setSystemTime(Date.now() + ms);
          return fifo.selectVictims(state, wanted);
        },
      };
    };

    it('records listener, start, victims chosen, first call, last return and end, with pages asked and the signal number', async () => {
      kernel.delayMs = 30;
      const answers: AnswerRecord[] = [];
      const controller = new BalloonController(kernel, profiler, {
        policy: slowFifo(5),
        hysteresisFraction: 0,
        maxPagesPerCall: 10,
        deadlineMs: 1000,
        monotonicNs: fakeMonotonicNs,
        onAnswer: (a) => answers.push(a),
      });
      await controller.start();
      // The handler stamped the signal 70 ms before the listener ran.
      kernel.emit({ pagesWanted: 25, freePages: 3, sentAtNs: fakeMonotonicNs() - 70_000_000n, seq: 7 });
      await vi.advanceTimersByTimeAsync(1000);
      expect(kernel.pagesPerCall()).toEqual([10, 10, 5]);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatchObject({ pagesAsked: 25, pagesWanted: 25, pagesFreed: 25, coalesced: 0, signalSeq: 7 });
      // Chosen after 5 ms of selection; three calls of 30 ms each, one after the other, each chosen in 5 ms.
      expect(answers[0]!.latency).toEqual({ sendStamped: true, listenerMs: 70, startMs: 70, chosenMs: 75, firstCallMs: 75, lastReturnMs: 175, endMs: 175 });
    });

    it('without the handler\'s stamp counts from the listener; a coalesced answer starts after the one before it', async () => {
      kernel.delayMs = 50;
      const answers: AnswerRecord[] = [];
      const controller = new BalloonController(kernel, profiler, {
        policy: new FifoPolicy(),
        hysteresisFraction: 0,
        maxPagesPerCall: 1000,
        monotonicNs: fakeMonotonicNs,
        onAnswer: (a) => answers.push(a),
      });
      await controller.start();
      kernel.emit({ pagesWanted: 10, freePages: 0 });
      await vi.advanceTimersByTimeAsync(10);
      kernel.emit({ pagesWanted: 50, freePages: 0, sentAtNs: fakeMonotonicNs() });
      await vi.advanceTimersByTimeAsync(10);
      kernel.emit({ pagesWanted: 40, freePages: 0, sentAtNs: fakeMonotonicNs() - 2_000_000n });
      await vi.advanceTimersByTimeAsync(500);
      expect(answers.map((a) => [a.pagesAsked, a.pagesWanted, a.coalesced, a.signalSeq])).toEqual([
        [10, 10, 0, null],
        // It arrived before the first answer freed its 10 pages: 30 still wanted of the 40 asked.
        [40, 30, 1, null],
      ]);
      expect(answers[0]!.latency).toEqual({ sendStamped: false, listenerMs: 0, startMs: 0, chosenMs: 0, firstCallMs: 0, lastReturnMs: 50, endMs: 50 });
      // Sent 2 ms before its listener ran at 20 ms; the first answer ended at 50 ms.
      expect(answers[1]!.latency).toEqual({ sendStamped: true, listenerMs: 2, startMs: 32, chosenMs: 32, firstCallMs: 32, lastReturnMs: 82, endMs: 82 });
    });

    it('a call abandoned at the deadline is no last return; an empty selection is still a choice, with no call', async () => {
      kernel.delayMs = 500;
      const answers: AnswerRecord[] = [];
      const controller = new BalloonController(kernel, profiler, {
        policy: new FifoPolicy(),
        hysteresisFraction: 0,
        deadlineMs: 100,
        monotonicNs: fakeMonotonicNs,
        onAnswer: (a) => answers.push(a),
      });
      await controller.start();
      kernel.emit({ pagesWanted: 10, freePages: 0, sentAtNs: fakeMonotonicNs() });
      await vi.advanceTimersByTimeAsync(1000);
      expect(answers[0]!.latency).toMatchObject({ firstCallMs: 0, lastReturnMs: null, endMs: 100 });
      expect(answers[0]!.pagesFreed).toBe(0);
      kernel.truth.fill(Truth.Swapped);
      profiler.scan();
      kernel.emit({ pagesWanted: 10, freePages: 0, sentAtNs: fakeMonotonicNs() });
      await vi.advanceTimersByTimeAsync(1000);
      expect(answers[1]!.latency).toMatchObject({ chosenMs: 0, firstCallMs: null, lastReturnMs: null, endMs: 0 });
    });
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
    await runUntilIdle(controller);
    expect(kernel.calls).toHaveLength(1);
    // One answer cut short: one miss, though both the selection and the second call met the deadline.
    expect(controller.stats).toMatchObject({ swapOutCalls: 1, pagesFreed: 10, deadlineMisses: 1, answersShort: 1 });
  });

  it('uses a per-signal deadline when the kernel gives one', async () => {
    kernel.delayMs = 30;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, maxPagesPerCall: 10, deadlineMs: 1000 });
    await controller.start();
    const t0 = Date.now();
    kernel.emit({ pagesWanted: 100, freePages: 0, deadlineMs: 50 });
    await vi.advanceTimersByTimeAsync(50);
    expect(kernel.calls).toHaveLength(2);
    expect(controller.stats.deadlineMisses).toBe(1);
    // The follow-ups on the late call keep the signal's deadline.
    await runUntilIdle(controller);
    expect(kernel.calls.map((c) => c.at - t0)).toEqual([0, 30, 60, 90, 120, 150]);
    expect(controller.stats).toMatchObject({ followUps: 2, deadlineMisses: 3, pagesFreed: 60 });
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

  it('caps ranges per call too, and counts skipped pages', async () => {
    // Every other page is present: fifo picks single-page ranges; pages 0, 2 and 4 are pinned.
    for (let page = 1; page < 1000; page += 2) {
      kernel.truth[page] = Truth.Swapped;
      profiler.history.markSwapped(page);
    }
    for (const page of [0, 2, 4]) kernel.truth[page] = Truth.Pinned;
    const controller = new BalloonController(kernel, profiler, { policy: new FifoPolicy(), hysteresisFraction: 0, maxRangesPerCall: 8 });
    await controller.start();
    kernel.emit({ pagesWanted: 20, freePages: 0 });
    await controller.whenIdle();
    // 17 of 20 freed: the second selection asks for 3 / (17/20) = 4 pages.
    expect(kernel.calls.map((c) => c.ranges.length)).toEqual([8, 8, 4, 4]);
    expect(controller.stats).toMatchObject({ pagesRequested: 24, pagesFreed: 21, pagesSkipped: 3, answersShort: 0 });
  });

  describe('proactive mode', () => {
    /** Free memory rises with every page the kernel frees. */
    const gauge = (freeAtStart: number, thresholdPages: number): MemoryGauge => ({
      thresholdPages,
      freePages: () => freeAtStart + kernel.count(Truth.Swapped),
    });

    beforeEach(() => {
      const accessed = new Uint8Array(1000);
      for (let scan = 0; scan < 20; scan++) {
        accessed.fill(0);
        for (let page = 0; page < 1000; page++) if (page >= 100 || scan < 10) accessed[page] = 1;
        profiler.scan(accessed);
      }
      // Pages 0-99 idle for 10 scans, the rest accessed in the last scan.
    });

    it('below threshold + margin, releases pages idle for at least minIdleScans, periodically, and only those', async () => {
      const controller = new BalloonController(kernel, profiler, {
        policy: new LruApproxPolicy(),
        memory: gauge(500, 1000),
        proactive: { marginFraction: 0.1, minIdleScans: 10, maxPagesPerRound: 64, intervalMs: 1000 },
      });
      await controller.start();
      expect(kernel.calls).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1000);
      expect(kernel.calls[0]!.ranges).toEqual([{ start: BASE, length: 64n * PAGE }]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(kernel.calls[1]!.ranges).toEqual([{ start: BASE + 64n * PAGE, length: 36n * PAGE }]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(kernel.calls).toHaveLength(2); // nothing idle enough is left, though free memory is still short
      expect(controller.stats.proactivePagesFreed).toBe(100);
      expect(kernel.truth[100]).toBe(Truth.Present);
      expect(controller.stats.sentByPosition.proactive).toEqual([63, 37, ...new Array<number>(14).fill(0)]);
      expect(controller.stats.sentByPosition.answers).toEqual(new Array<number>(16).fill(0));
      await controller.stop();
    });

    it('releases only what brings free memory back to threshold + margin, and nothing above it', async () => {
      const controller = new BalloonController(kernel, profiler, {
        policy: new LruApproxPolicy(),
        memory: gauge(1080, 1000),
        proactive: { marginFraction: 0.1, minIdleScans: 10, maxPagesPerRound: 64, intervalMs: 0 },
      });
      await controller.start();
      expect(await controller.proactiveRound()).toBe(20);
      expect(await controller.proactiveRound()).toBe(0);
      expect(kernel.calls).toHaveLength(1);
      await controller.stop();
    });

    it('also covers what the process consumed between two rounds', async () => {
      let base = 1000;
      const asked: number[] = [];
      const lru = new LruApproxPolicy();
      const policy: EvictionPolicy = { name: 'spy', selectVictims: (state, pages) => (asked.push(pages), lru.selectVictims(state, pages)) };
      const controller = new BalloonController(kernel, profiler, {
        policy,
        memory: { thresholdPages: 1000, freePages: () => base + kernel.count(Truth.Swapped) },
        proactive: { marginFraction: 0.1, minIdleScans: 10, intervalMs: 0 },
      });
      expect(controller.proactive, 'on by default with a gauge').toBe(true);
      await controller.start();
      expect(await controller.proactiveRound()).toBe(100); // free 1000 -> 1100
      base -= 60; // the process faulted 60 pages in: free 1040
      await controller.proactiveRound();
      // 60 short of the floor, plus half the 60 consumed since the last round.
      expect(asked).toEqual([100, 90]);
      await controller.stop();
    });

    it('a round that found no cold page does not select again until a scan changes the history, or more is wanted', async () => {
      let selections = 0;
      const lru = new LruApproxPolicy();
      const policy: EvictionPolicy = { name: 'spy', selectVictims: (state, pages) => (selections++, lru.selectVictims(state, pages)) };
      let base = 500;
      const controller = new BalloonController(kernel, profiler, {
        policy,
        memory: { thresholdPages: 1000, freePages: () => base + kernel.count(Truth.Swapped) },
        proactive: { marginFraction: 0.1, minIdleScans: 11, maxPagesPerRound: 1000, intervalMs: 0 },
      });
      await controller.start();
      expect(await controller.proactiveRound()).toBe(0); // pages 0-99 are idle for 10 scans only
      expect(await controller.proactiveRound()).toBe(0);
      expect(selections).toBe(1);
      base = 400; // 100 more pages wanted: the larger choice may hold cold pages
      expect(await controller.proactiveRound()).toBe(0);
      expect(selections).toBe(2);
      profiler.scan(); // an 11th idle scan for pages 0-99
      expect(await controller.proactiveRound()).toBe(100);
      expect(selections).toBe(3);
      await controller.stop();
    });

    it('answers a signal that arrives during a round once the round is over', async () => {
      kernel.delayMs = 50;
      const controller = new BalloonController(kernel, profiler, {
        policy: new LruApproxPolicy(),
        hysteresisFraction: 0,
        memory: gauge(500, 1000),
        proactive: { minIdleScans: 10, maxPagesPerRound: 32, intervalMs: 0 },
      });
      await controller.start();
      const round = controller.proactiveRound();
      kernel.emit({ pagesWanted: 48, freePages: 500 });
      expect(controller.stats.signalsCoalesced).toBe(1);
      await vi.advanceTimersByTimeAsync(200);
      expect(await round).toBe(32);
      await controller.whenIdle();
      // The round's 32 pages count towards the signal: the answer frees the other 16.
      expect(controller.stats).toMatchObject({ answers: 1, proactivePagesFreed: 32, pagesFreed: 48 });
      expect(kernel.pagesPerCall()).toEqual([32, 16]);
      await controller.stop();
    });

    it('is off without a gauge, and an error when asked for without one', () => {
      expect(new BalloonController(kernel, profiler).proactive).toBe(false);
      expect(new BalloonController(kernel, profiler, { memory: gauge(0, 10), proactive: { enabled: false } }).proactive).toBe(false);
      expect(() => new BalloonController(kernel, profiler, { proactive: { enabled: true } })).toThrowError(/memory gauge/);
    });
  });

  it('rejects invalid options, including caps beyond the kernel limits', () => {
    expect(() => new BalloonController(kernel, profiler, { maxPagesPerCall: 0 })).toThrowError(/invalid controller options/);
    expect(() => new BalloonController(kernel, profiler, { maxRangesPerCall: 1025 })).toThrowError(/invalid controller options/);
    expect(() => new BalloonController(kernel, profiler, { maxSelectionsPerAnswer: 0 })).toThrowError(/invalid controller options/);
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
