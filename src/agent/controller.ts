import { AgentError } from './errors.js';
import {
  SWAPOUT_MAX_PAGES_PER_CALL,
  SWAPOUT_MAX_RANGES_PER_CALL,
  type BalloonSignal,
  type KernelPort,
  type ProfilerPort,
  type SwapOutResult,
} from './kernel-port.js';
import { PageState, type PageRange } from './page-state.js';
import { BalloonPolicy } from './policies/balloon.js';
import type { EvictionPolicy } from './policies/policy.js';
import { countPages, indicesToRanges } from './policies/select.js';

export interface ProactiveOptions {
  /** Release idle pages before any signal (self-ballooning). */
  enabled: boolean;
  /** Only pages idle for at least this many consecutive scans are released. */
  minIdleScans: number;
  /** At most this many pages per proactive round. */
  maxPagesPerRound: number;
  /** Period of automatic rounds after start(); 0 = only when proactiveRound() is called. */
  intervalMs: number;
}

export interface ControllerOptions {
  policy: EvictionPolicy;
  /** Ask the policy for pagesWanted × (1 + hysteresisFraction) pages, to avoid an immediate new signal. */
  hysteresisFraction: number;
  /** Largest number of pages in one swap-out call; the rest go in further calls. */
  maxPagesPerCall: number;
  /** Largest number of ranges in one swap-out call (the kernel accepts at most 1024). */
  maxRangesPerCall: number;
  /** Time budget (ms) to answer a signal; no new call starts after it and a late call is abandoned. */
  deadlineMs: number;
  /** Flags passed to every swap-out call. */
  swapOutFlags: number;
  proactive: ProactiveOptions;
  /** Clock (ms); replaceable in tests (fake timers also replace Date.now). */
  now: () => number;
  /** Called after each answer to a signal (for logs and plots); must not throw. */
  onAnswer?: (answer: AnswerRecord) => void;
}

/** One answer to a signal (or to a coalesced group of signals). */
export interface AnswerRecord {
  /** Clock time (ms) when the answer started and ended. */
  startedAt: number;
  endedAt: number;
  /** Pages the signal asked for, less what was freed since it arrived. */
  pagesWanted: number;
  /** Free pages the kernel reported in the signal. */
  freePagesAtSignal: number;
  swapOutCalls: number;
  pagesFreed: number;
}

export const DEFAULT_PROACTIVE_OPTIONS: ProactiveOptions = {
  enabled: false,
  minIdleScans: 16,
  maxPagesPerRound: 4096,
  intervalMs: 0,
};

export function defaultControllerOptions(): ControllerOptions {
  return {
    policy: new BalloonPolicy(),
    hysteresisFraction: 0.1,
    maxPagesPerCall: 8192,
    maxRangesPerCall: SWAPOUT_MAX_RANGES_PER_CALL,
    deadlineMs: 200,
    swapOutFlags: 0,
    proactive: { ...DEFAULT_PROACTIVE_OPTIONS },
    now: () => Date.now(),
  };
}

export type ControllerOptionsInput = Partial<Omit<ControllerOptions, 'proactive'>> & { proactive?: Partial<ProactiveOptions> };

export interface ControllerStats {
  signalsReceived: number;
  /** Signals that arrived while an answer was in progress and were merged into the next answer. */
  signalsCoalesced: number;
  /** Answers started (one per signal or per coalesced group). */
  answers: number;
  swapOutCalls: number;
  /** Pages the controller asked the kernel to release (after hysteresis). */
  pagesRequested: number;
  pagesFreed: number;
  pagesSkipped: number;
  /** Pages the kernel tried but failed to free. */
  pagesFailed: number;
  /** Answers cut short by the deadline. */
  deadlineMisses: number;
  proactiveRounds: number;
  proactivePagesFreed: number;
  /** Failed swap-out calls (their errors are kept in lastError). */
  errors: number;
}

interface PendingSignal {
  signal: BalloonSignal;
  /** stats.pagesFreed when the signal arrived: later releases count towards it. */
  freedAtArrival: number;
}

const TIMED_OUT = Symbol('timed out');

/**
 * Answers balloon signals: registers with the kernel, listens for signals,
 * asks the policy for pagesWanted plus a hysteresis margin, and sends the
 * victims in as few swap-out calls as the per-call cap allows, within a
 * deadline. Signals arriving while an answer is in progress are coalesced:
 * only the most recent is answered next, reduced by the pages freed since it
 * arrived. Never blocks: everything is promise-based, and all I/O goes
 * through the injected ports.
 */
export class BalloonController {
  readonly stats: ControllerStats = {
    signalsReceived: 0,
    signalsCoalesced: 0,
    answers: 0,
    swapOutCalls: 0,
    pagesRequested: 0,
    pagesFreed: 0,
    pagesSkipped: 0,
    pagesFailed: 0,
    deadlineMisses: 0,
    proactiveRounds: 0,
    proactivePagesFreed: 0,
    errors: 0,
  };
  lastError: unknown;
  private readonly options: ControllerOptions;
  private unsubscribe: (() => void) | undefined;
  private proactiveTimer: ReturnType<typeof setInterval> | undefined;
  private pending: PendingSignal | undefined;
  private busy: Promise<void> | undefined;
  /** Calls abandoned at their deadline, still running in the kernel. */
  private readonly lateCalls = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly kernel: KernelPort,
    private readonly profiler: ProfilerPort,
    options: ControllerOptionsInput = {},
  ) {
    const defaults = defaultControllerOptions();
    this.options = { ...defaults, ...options, proactive: { ...defaults.proactive, ...options.proactive } };
    const o = this.options;
    const validCap = (value: number, max: number): boolean => Number.isInteger(value) && value >= 1 && value <= max;
    if (
      !(
        o.hysteresisFraction >= 0 &&
        validCap(o.maxPagesPerCall, SWAPOUT_MAX_PAGES_PER_CALL) &&
        validCap(o.maxRangesPerCall, SWAPOUT_MAX_RANGES_PER_CALL) &&
        o.deadlineMs > 0
      )
    ) {
      throw new AgentError('invalid controller options', {
        hysteresisFraction: o.hysteresisFraction,
        maxPagesPerCall: o.maxPagesPerCall,
        maxRangesPerCall: o.maxRangesPerCall,
        deadlineMs: o.deadlineMs,
      });
    }
  }

  /** True while an answer (or proactive round) is in progress. */
  get answering(): boolean {
    return this.busy !== undefined;
  }

  async start(): Promise<void> {
    if (this.unsubscribe !== undefined) throw new AgentError('controller already started', {});
    await this.kernel.register(this.profiler.layout.regions);
    this.unsubscribe = this.kernel.onSignal((signal) => this.handleSignal(signal));
    const proactive = this.options.proactive;
    if (proactive.enabled && proactive.intervalMs > 0) {
      this.proactiveTimer = setInterval(() => void this.proactiveRound(), proactive.intervalMs);
    }
  }

  /** Stops listening, waits for the answer in progress, then unregisters. A second call does nothing. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.proactiveTimer !== undefined) clearInterval(this.proactiveTimer);
    this.proactiveTimer = undefined;
    this.pending = undefined;
    await this.whenIdle();
    await this.kernel.unregister();
  }

  /** Resolves once no answer is in progress (including coalesced follow-ups and calls that outlived their deadline). */
  async whenIdle(): Promise<void> {
    while (this.busy !== undefined || this.lateCalls.size > 0) {
      if (this.busy !== undefined) await this.busy;
      else await Promise.allSettled([...this.lateCalls]);
    }
  }

  /** Entry point for kernel signals (also callable directly). */
  handleSignal(signal: BalloonSignal): void {
    this.stats.signalsReceived++;
    if (this.busy !== undefined) {
      this.stats.signalsCoalesced++;
      this.pending = { signal, freedAtArrival: this.stats.pagesFreed };
      return;
    }
    this.runExclusive(() => this.answerLoop({ signal, freedAtArrival: this.stats.pagesFreed }));
  }

  /**
   * Self-ballooning: releases up to maxPagesPerRound present pages idle for
   * at least minIdleScans scans. Skipped (returns 0) while an answer runs.
   */
  async proactiveRound(): Promise<number> {
    if (this.busy !== undefined) return 0;
    let freed = 0;
    this.runExclusive(async () => {
      this.stats.proactiveRounds++;
      const { minIdleScans, maxPagesPerRound } = this.options.proactive;
      const state = this.profiler.policyState();
      const chosen: number[] = [];
      for (let page = 0; page < state.pageCount && chosen.length < maxPagesPerRound; page++) {
        if (state.state[page] === PageState.Present && state.idleScans[page]! >= minIdleScans) chosen.push(page);
      }
      if (chosen.length === 0) return;
      freed = await this.release(indicesToRanges(chosen), this.options.now() + this.options.deadlineMs);
      this.stats.proactivePagesFreed += freed;
    });
    await this.whenIdle();
    return freed;
  }

  private runExclusive(task: () => Promise<void>): void {
    const run = task()
      .catch((error: unknown) => {
        this.stats.errors++;
        this.lastError = error;
      })
      .finally(() => {
        if (this.busy === run) this.busy = undefined;
      });
    this.busy = run;
  }

  private async answerLoop(first: PendingSignal): Promise<void> {
    let next: PendingSignal | undefined = first;
    while (next !== undefined) {
      const current: PendingSignal = next;
      this.pending = undefined;
      const stillWanted = current.signal.pagesWanted - (this.stats.pagesFreed - current.freedAtArrival);
      if (stillWanted > 0) {
        try {
          await this.answer(stillWanted, current.signal, current.signal.deadlineMs ?? this.options.deadlineMs);
        } catch (error) {
          // A failed answer must not stall the coalesced follow-up.
          this.stats.errors++;
          this.lastError = error;
        }
      }
      next = this.pending;
    }
  }

  private async answer(pagesWanted: number, signal: BalloonSignal, deadlineMs: number): Promise<void> {
    this.stats.answers++;
    const startedAt = this.options.now();
    const calls0 = this.stats.swapOutCalls;
    const deadline = startedAt + deadlineMs;
    // The epsilon keeps 100 × 1.1 = 110.00000000000001 from becoming 111.
    const target = Math.ceil(pagesWanted * (1 + this.options.hysteresisFraction) - 1e-9);
    const ranges = this.options.policy.selectVictims(this.profiler.policyState(), target);
    const pagesFreed = await this.release(ranges, deadline);
    this.options.onAnswer?.({
      startedAt,
      endedAt: this.options.now(),
      pagesWanted,
      freePagesAtSignal: signal.freePages,
      swapOutCalls: this.stats.swapOutCalls - calls0,
      pagesFreed,
    });
  }

  /** Sends ranges in capped calls until done or the deadline passes; returns pages freed. */
  private async release(ranges: readonly PageRange[], deadline: number): Promise<number> {
    let freed = 0;
    let first = true;
    for (const call of splitIntoCalls(ranges, this.options.maxPagesPerCall, this.options.maxRangesPerCall)) {
      let remaining = deadline - this.options.now();
      if (remaining <= 0) {
        this.stats.deadlineMisses++;
        // An answer without a single call leaves the kernel to its fallback:
        // the first call always goes out, with one deadline's worth of time.
        if (!first) break;
        remaining = this.options.deadlineMs;
      }
      first = false;
      const pages = countPages(call);
      this.stats.swapOutCalls++;
      this.stats.pagesRequested += pages;
      // Optimistic: the next profiler scan corrects pages the kernel skipped.
      this.profiler.markReleased(call);
      const inFlight = this.kernel.swapOut(this.profiler.layout.toByteRanges(call), this.options.swapOutFlags);
      const outcome = await raceTimeout(inFlight, remaining);
      if (outcome === TIMED_OUT) {
        this.stats.deadlineMisses++;
        // Account for the late call when it completes; do not wait for it.
        const late = inFlight
          .then(
            (result) => this.account(result),
            (error: unknown) => {
              this.stats.errors++;
              this.lastError = error;
            },
          )
          .finally(() => this.lateCalls.delete(late));
        this.lateCalls.add(late);
        break;
      }
      freed += this.account(outcome);
    }
    return freed;
  }

  private account(result: SwapOutResult): number {
    this.stats.pagesFreed += result.freed;
    this.stats.pagesSkipped += result.skipped;
    this.stats.pagesFailed += result.failed;
    return result.freed;
  }
}

/**
 * Splits ranges into calls of at most maxPages pages and maxRanges ranges
 * each (splitting a range across calls if needed).
 */
export function splitIntoCalls(ranges: readonly PageRange[], maxPages: number, maxRanges = Number.POSITIVE_INFINITY): PageRange[][] {
  const calls: PageRange[][] = [];
  let current: PageRange[] = [];
  let inCurrent = 0;
  for (const range of ranges) {
    let first = range.first;
    let left = range.count;
    while (left > 0) {
      const take = Math.min(left, maxPages - inCurrent);
      current.push({ first, count: take });
      inCurrent += take;
      first += take;
      left -= take;
      if (inCurrent === maxPages || current.length === maxRanges) {
        calls.push(current);
        current = [];
        inCurrent = 0;
      }
    }
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
