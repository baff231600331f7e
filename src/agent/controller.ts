import type { AnswerStageTimes } from '../metrics/signal-latency.js';
import type { ResidencyPages, ResidencyScope } from './access-history.js';
import { AgentError } from './errors.js';
import {
  SWAPOUT_MAX_PAGES_PER_CALL,
  SWAPOUT_MAX_RANGES_PER_CALL,
  type BalloonSignal,
  type KernelPort,
  type ProfilerPort,
  type SwapOutResult,
} from './kernel-port.js';
import type { PageRange } from './page-state.js';
import { BalloonPolicy } from './policies/balloon.js';
import type { EvictionPolicy } from './policies/policy.js';
import { countPages, indicesToRanges } from './policies/select.js';

export interface ProactiveOptions {
  /**
   * Keep free memory at or above the threshold plus a margin by releasing
   * pages that stay cold, before the kernel has to ask (as Senpai/TMO and
   * Xen's self-ballooning do). On by default whenever ControllerOptions.memory
   * is given (see docs/controller.md for the measurement behind the
   * default); setting it true without a gauge is an error.
   */
  enabled: boolean;
  /** The margin above the kernel's threshold, as a fraction of the threshold. */
  marginFraction: number;
  /** Only pages idle for at least this many consecutive scans are released. */
  minIdleScans: number;
  /** At most this many pages per proactive round. */
  maxPagesPerRound: number;
  /** Period of automatic rounds after start(); 0 = only when proactiveRound() is called. */
  intervalMs: number;
}

/** Free memory as the kernel's watcher sees it, for the proactive mode. */
export interface MemoryGauge {
  /** Free pages now (MemFree: what the kernel compares with its threshold). */
  freePages(): number;
  /** The kernel's threshold, in pages. */
  readonly thresholdPages: number;
}

export interface ControllerOptions {
  policy: EvictionPolicy;
  /** Ask the policy for pagesWanted × (1 + hysteresisFraction) pages, to avoid an immediate new signal. */
  hysteresisFraction: number;
  /** Largest number of pages in one swap-out call; the rest go in further calls. */
  maxPagesPerCall: number;
  /** Largest number of ranges in one swap-out call (the kernel accepts at most 1024). */
  maxRangesPerCall: number;
  /**
   * Time budget (ms) to answer a signal, counted from when the kernel sent
   * it; no new call starts after it (except an answer's first) and a late
   * call is abandoned.
   */
  deadlineMs: number;
  /**
   * Selections in a row that free nothing before an answer gives up. An
   * answer selects one call's worth at a time, again and again until the
   * request is met; when a selection frees nothing (pages skipped or
   * already in swap, failures), the next offers pages not yet tried, up to
   * this many times in a row.
   */
  maxSelectionsPerAnswer: number;
  /** Flags passed to every swap-out call. */
  swapOutFlags: number;
  /**
   * How an answer brings the policy state's residency up to date between
   * scans, before its first selection (ProfilerPort.refreshResidency).
   * 'never': the history as the last scan left it (between scans far
   * apart it lacks the pages written since, so answers take the oldest
   * pages it knows: on `course`, the hot half).
   * 'when-empty': as 'never', but when a selection finds no page at all,
   * the answer reads the arrivals (as 'arrivals' does) once and selects
   * again, rather than leaving the whole request to the kernel's fallback
   * (every answer then frees something, but in the guest the median run
   * made more swap-ins than with 'never').
   * 'arrivals' (the default): pages the kernel swapped itself are dropped,
   * pages that arrived since the last scan are taken in as first uses;
   * pages back from swap wait for the next scan (in the guest, 10 runs of
   * 12 kept the hot half of `course` resident: 0.003x to 0.11x the
   * kernel's swap-ins; but the first call goes out 1.2 to 2.6 s after the signal,
   * after the read and the policy's full refresh). 'returns': as
   * 'arrivals', and pages back from swap too, as no more recent than the
   * pages the last scan saw used (the policy then counts them; every
   * answer refreshes its order). 'always': those too
   * (as just used), and before proactive rounds as well; in the guest it
   * made the median run worse, though the pressure model gains from it.
   * docs/controller.md, "Residency between scans", has the measurements;
   * `balloon run --refresh-residency MODE` chooses.
   */
  refreshResidency: ResidencyRefresh;
  proactive: ProactiveOptions;
  /** Free memory and threshold (needed by the proactive mode). */
  memory?: MemoryGauge;
  /** Clock (ms); replaceable in tests (fake timers also replace Date.now). */
  now: () => number;
  /** CLOCK_MONOTONIC in ns (the clock of BalloonSignal.sentAtNs). */
  monotonicNs: () => bigint;
  /** Called after each answer to a signal (for logs and plots); must not throw. */
  onAnswer?: (answer: AnswerRecord) => void;
}

/** One answer to a signal (or to a coalesced group of signals). Times are on the controller's clock (ms). */
export interface AnswerRecord {
  /** When the kernel sent the signal answered (the latest of a coalesced group). */
  sentAt: number;
  /** When the answer started and ended. */
  startedAt: number;
  endedAt: number;
  /** When the first swap-out call went out (null: the policy found nothing to release). */
  firstCallAt: number | null;
  /** Pages the signal asked for, less what was freed since it arrived. */
  pagesWanted: number;
  /** Free pages the kernel reported in the signal. */
  freePagesAtSignal: number;
  /** Policy selections (more than one when a selection freed less than wanted). */
  selections: number;
  swapOutCalls: number;
  /** Pages freed by the calls that returned within the answer (late calls count in the stats only). */
  pagesFreed: number;
  /** What the answered signal asked for (pagesWanted is this less what was freed between its arrival and the answer). */
  pagesAsked: number;
  /** Earlier signals that waited for this answer and were replaced by the one answered (coalesced into it). */
  coalesced: number;
  /** The addon's sequence number of the signal answered (1-based, over the process); null when the port gave none. */
  signalSeq: number | null;
  /**
   * 0 for the answer to a signal; n for the n-th follow-up on it (a late
   * call returned short: ControllerStats.followUps). A follow-up's send time
   * is when it started, and its free pages are the gauge's then.
   */
  followUp: number;
  /** Pages this answer sent, by where they lie in the profiled memory (POSITION_BUCKETS equal parts, as ControllerStats.sentByPosition). */
  sentByPosition: number[];
  /** When each stage of the answer happened, relative to the signal's send. */
  latency: AnswerLatency;
}

/**
 * The stages of one answer, in ms after the signal was sent, on
 * CLOCK_MONOTONIC (ControllerOptions.monotonicNs; sub-millisecond, unlike
 * the ms fields of AnswerRecord). The send is BalloonSignal.sentAtNs: the
 * addon's signal handler stamps it when the kernel delivers the signal (the
 * kernel's payload carries no time of its own); without it the send is when
 * the listener ran (sendStamped false, listenerMs 0).
 */
export type AnswerLatency = AnswerStageTimes;

export const DEFAULT_PROACTIVE_OPTIONS: ProactiveOptions = {
  enabled: true,
  marginFraction: 0.1,
  minIdleScans: 4,
  maxPagesPerRound: 16384,
  intervalMs: 250,
};

/** How the controller reads residency between scans (ControllerOptions.refreshResidency). */
export const RESIDENCY_REFRESH_MODES = ['never', 'when-empty', 'arrivals', 'returns', 'always'] as const;
export type ResidencyRefresh = (typeof RESIDENCY_REFRESH_MODES)[number];

/** The default of ControllerOptions.refreshResidency (docs/controller.md, "Residency between scans", says why). */
export const DEFAULT_RESIDENCY_REFRESH: ResidencyRefresh = 'arrivals';

export function isResidencyRefresh(value: string): value is ResidencyRefresh {
  return (RESIDENCY_REFRESH_MODES as readonly string[]).includes(value);
}

export function defaultControllerOptions(): ControllerOptions {
  return {
    policy: new BalloonPolicy(),
    hysteresisFraction: 0.1,
    maxPagesPerCall: 8192,
    maxRangesPerCall: SWAPOUT_MAX_RANGES_PER_CALL,
    deadlineMs: 200,
    maxSelectionsPerAnswer: 16,
    swapOutFlags: 0,
    refreshResidency: DEFAULT_RESIDENCY_REFRESH,
    proactive: { ...DEFAULT_PROACTIVE_OPTIONS },
    now: () => Date.now(),
    monotonicNs: () => process.hrtime.bigint(),
  };
}

export type ControllerOptionsInput = Partial<Omit<ControllerOptions, 'proactive'>> & { proactive?: Partial<ProactiveOptions> };

export interface ControllerStats {
  /** Signals received before stop(): each is answered, alone or coalesced. */
  signalsReceived: number;
  /**
   * Signals received after stop() was called (the process is still
   * registered until the answer in progress ends): counted, not answered.
   */
  signalsAfterStop: number;
  /** Signals that arrived while an answer was in progress and were merged into the next answer. */
  signalsCoalesced: number;
  /** Answers started (one per signal or per coalesced group, and the follow-ups). */
  answers: number;
  /**
   * Answers that followed up on a signal already answered: a call the
   * answer abandoned at its deadline returned, and the request was still
   * short by more than an eighth (see BalloonController).
   */
  followUps: number;
  /** Answers that ended with less freed than wanted (deadline, nothing left to release, errors). */
  answersShort: number;
  /** Policy selections made by answers. */
  selections: number;
  swapOutCalls: number;
  /** Pages the controller asked the kernel to release (after hysteresis). */
  pagesRequested: number;
  pagesFreed: number;
  pagesSkipped: number;
  /** Pages the kernel tried but failed to free. */
  pagesFailed: number;
  /** Answers (and proactive rounds) cut short by the deadline: each counted once, however many of its calls the deadline stopped. */
  deadlineMisses: number;
  proactiveRounds: number;
  proactivePagesFreed: number;
  /** Failed swap-out calls (their errors are kept in lastError). */
  errors: number;
  /**
   * Pages sent to the kernel by where they lie in the profiled memory:
   * POSITION_BUCKETS equal parts of its pages, first to last (the order of
   * the regions, each from its start), for answers and proactive rounds
   * apart. Which pages a policy gives up, at a glance: a run of `course`
   * that keeps its hot first half sends from the second.
   */
  sentByPosition: { answers: number[]; proactive: number[] };
}

/** Parts of the profiled memory in ControllerStats.sentByPosition. */
export const POSITION_BUCKETS = 16;

interface PendingSignal {
  signal: BalloonSignal;
  /** When the kernel sent it, on the controller's clock. */
  sentAt: number;
  /** When it was sent (sentAtNs, else when the listener ran) and when the listener ran, on CLOCK_MONOTONIC. */
  sentNs: bigint;
  listenerNs: bigint;
  /** Earlier signals this one replaced while they waited for an answer. */
  coalesced: number;
  /** stats.pagesFreed when the signal arrived: later releases count towards it. */
  freedAtArrival: number;
  /** 0 for a signal; n for the n-th follow-up on one (AnswerRecord.followUp). */
  followUp: number;
}

/**
 * Most follow-ups on one signal. The kernel counts a request as answered
 * once seven eighths of it were released, and asks again only after its
 * answer timeout (10 s by default; kernel-patch/README.md).
 */
const MAX_FOLLOW_UPS = 2;

/** What one answer (or proactive round) wants, and what it sent and freed so far. */
interface Tally {
  target: number;
  freed: number;
  /** Pages sent to the kernel, in all and by position (POSITION_BUCKETS parts). */
  sent: number;
  sentByPosition: number[];
  calls: number;
  firstCallAt: number | null;
  /** CLOCK_MONOTONIC when the first call started and when the last call that returned (not timed out) returned. */
  firstCallNs: bigint | null;
  lastReturnNs: bigint | null;
  /** The deadline stopped a selection or a call (counted once in deadlineMisses). */
  missedDeadline: boolean;
  /** The signal an answer answers; absent for a proactive round (so its pages count as proactive in ControllerStats.sentByPosition). */
  signal?: PendingSignal;
}

function newTally(target: number): Tally {
  return { target, freed: 0, sent: 0, sentByPosition: new Array<number>(POSITION_BUCKETS).fill(0), calls: 0, firstCallAt: null, firstCallNs: null, lastReturnNs: null, missedDeadline: false };
}

const TIMED_OUT = Symbol('timed out');

/**
 * Answers balloon signals: listens for signals, registers with the kernel,
 * asks the policy for pagesWanted plus a hysteresis margin, and sends the
 * victims in as few swap-out calls as the per-call cap allows, within a
 * deadline counted from the kernel's send. When the calls free less than
 * wanted (pages skipped, already in swap, failed), it selects again until the
 * request is met, nothing is left, or the deadline passes. Pages stay
 * "released" for the policy (and for profiler scans) while their call is in
 * flight, even past the deadline. Signals arriving while an answer is in
 * progress are coalesced: only the most recent is answered next, reduced by
 * the pages freed since it arrived. Never blocks: everything is
 * promise-based, and all I/O goes through the injected ports.
 */
export class BalloonController {
  readonly stats: ControllerStats = {
    signalsReceived: 0,
    signalsAfterStop: 0,
    signalsCoalesced: 0,
    answers: 0,
    followUps: 0,
    answersShort: 0,
    selections: 0,
    swapOutCalls: 0,
    pagesRequested: 0,
    pagesFreed: 0,
    pagesSkipped: 0,
    pagesFailed: 0,
    deadlineMisses: 0,
    proactiveRounds: 0,
    proactivePagesFreed: 0,
    errors: 0,
    sentByPosition: { answers: new Array<number>(POSITION_BUCKETS).fill(0), proactive: new Array<number>(POSITION_BUCKETS).fill(0) },
  };
  lastError: unknown;
  /** Whether proactive rounds run (enabled, and a memory gauge was given). */
  readonly proactive: boolean;
  private readonly options: ControllerOptions;
  private unsubscribe: (() => void) | undefined;
  private proactiveTimer: ReturnType<typeof setInterval> | undefined;
  private pending: PendingSignal | undefined;
  private busy: Promise<void> | undefined;
  /** Calls abandoned at their deadline, still running in the kernel. */
  private readonly lateCalls = new Set<Promise<unknown>>();
  private started = false;
  private stopping: Promise<void> | undefined;
  /** Proactive mode: free pages when the last round ended, and the smoothed pages consumed per round. */
  private freeAfterLastRound: number | undefined;
  private consumptionPerRound = 0;
  /**
   * Pages the calls sent and the kernel skipped since residency was last read
   * for every page; null before the first such read (readResidency).
   */
  private sinceFullRead: { sent: number; skipped: number } | null = null;
  /** The policy state's version and the pages wanted when a proactive round last found no cold page (nothing changes that until the next scan). */
  private noColdAt: { version: number; wanted: number } | undefined;

  constructor(
    private readonly kernel: KernelPort,
    private readonly profiler: ProfilerPort,
    options: ControllerOptionsInput = {},
  ) {
    const defaults = defaultControllerOptions();
    this.options = { ...defaults, ...options, proactive: { ...defaults.proactive, ...options.proactive } };
    const o = this.options;
    const p = o.proactive;
    const validCap = (value: number, max: number): boolean => Number.isInteger(value) && value >= 1 && value <= max;
    if (
      !(
        o.hysteresisFraction >= 0 &&
        validCap(o.maxPagesPerCall, SWAPOUT_MAX_PAGES_PER_CALL) &&
        validCap(o.maxRangesPerCall, SWAPOUT_MAX_RANGES_PER_CALL) &&
        o.deadlineMs > 0 &&
        Number.isInteger(o.maxSelectionsPerAnswer) &&
        o.maxSelectionsPerAnswer >= 1 &&
        p.marginFraction >= 0 &&
        Number.isInteger(p.minIdleScans) &&
        p.minIdleScans >= 1 &&
        Number.isInteger(p.maxPagesPerRound) &&
        p.maxPagesPerRound >= 1 &&
        p.intervalMs >= 0
      )
    ) {
      throw new AgentError('invalid controller options', {
        hysteresisFraction: o.hysteresisFraction,
        maxPagesPerCall: o.maxPagesPerCall,
        maxRangesPerCall: o.maxRangesPerCall,
        deadlineMs: o.deadlineMs,
        maxSelectionsPerAnswer: o.maxSelectionsPerAnswer,
        proactive: { ...p },
      });
    }
    if (options.proactive?.enabled === true && o.memory === undefined) {
      throw new AgentError('the proactive mode needs a memory gauge (options.memory: free pages and the threshold)', {});
    }
    this.proactive = p.enabled && o.memory !== undefined;
  }

  /** True while an answer (or proactive round) is in progress. */
  get answering(): boolean {
    return this.busy !== undefined;
  }

  /**
   * Installs the signal listener, then registers: the kernel may signal as
   * soon as the registration exists, and a signal sent before a handler is
   * installed is lost (the kernel then waits its answer timeout). If the
   * registration fails, the listener is removed again.
   */
  async start(): Promise<void> {
    if (this.started) throw new AgentError('controller already started', {});
    this.started = true;
    this.unsubscribe = this.kernel.onSignal((signal) => this.handleSignal(signal));
    try {
      await this.kernel.register(this.profiler.layout.regions);
    } catch (error) {
      this.unsubscribe();
      this.unsubscribe = undefined;
      this.stopping = Promise.resolve();
      throw error;
    }
    const proactive = this.options.proactive;
    if (this.proactive && proactive.intervalMs > 0) {
      this.proactiveTimer = setInterval(() => {
        this.proactiveRound().catch((error: unknown) => {
          this.stats.errors++;
          this.lastError = error;
        });
      }, proactive.intervalMs);
    }
  }

  /**
   * Stops answering, waits for the answer in progress (and calls past their
   * deadline), unregisters, and only then removes the listener: while the
   * process is registered the kernel may still signal, and the default
   * action of the signal would kill the process. Later calls return the
   * same promise.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    if (this.proactiveTimer !== undefined) clearInterval(this.proactiveTimer);
    this.proactiveTimer = undefined;
    this.pending = undefined;
    if (!this.started) return;
    try {
      await this.whenIdle();
      await this.kernel.unregister();
    } finally {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
  }

  /** Resolves once no answer is in progress (including coalesced follow-ups and calls that outlived their deadline). */
  async whenIdle(): Promise<void> {
    while (this.busy !== undefined || this.lateCalls.size > 0) {
      if (this.busy !== undefined) await this.busy;
      else await Promise.allSettled([...this.lateCalls]);
    }
  }

  /** Entry point for kernel signals (also callable directly). Counted but not answered once stop() was called. */
  handleSignal(signal: BalloonSignal): void {
    if (this.stopping !== undefined) {
      this.stats.signalsAfterStop++;
      return;
    }
    this.stats.signalsReceived++;
    const listenerNs = this.options.monotonicNs();
    const ageMs = signal.sentAtNs === undefined ? 0 : Math.max(0, Number(listenerNs - signal.sentAtNs) / 1e6);
    const pending: PendingSignal = {
      signal,
      sentAt: this.options.now() - ageMs,
      sentNs: signal.sentAtNs ?? listenerNs,
      listenerNs,
      coalesced: 0,
      freedAtArrival: this.stats.pagesFreed,
      followUp: 0,
    };
    if (this.busy !== undefined) {
      this.stats.signalsCoalesced++;
      if (this.pending !== undefined) pending.coalesced = this.pending.coalesced + 1;
      this.pending = pending;
      return;
    }
    this.runExclusive(() => this.answerLoop(pending));
  }

  /**
   * Proactive mode: keeps free memory at or above the threshold plus the
   * margin, plus what the process consumed between the last two rounds (so
   * that free memory is still above the floor at the next round), by
   * releasing up to maxPagesPerRound pages: the policy's choice among pages
   * idle for at least minIdleScans scans. Skipped (returns 0) while an
   * answer runs or after stop().
   */
  async proactiveRound(): Promise<number> {
    const memory = this.options.memory;
    if (memory === undefined) throw new AgentError('proactive rounds need a memory gauge (options.memory)', {});
    if (this.busy !== undefined || this.stopping !== undefined) return 0;
    const { minIdleScans, maxPagesPerRound, marginFraction } = this.options.proactive;
    const free = memory.freePages();
    if (this.freeAfterLastRound !== undefined) {
      const consumed = Math.max(0, this.freeAfterLastRound - free);
      this.consumptionPerRound = (this.consumptionPerRound + consumed) / 2;
    }
    this.freeAfterLastRound = free;
    const floor = Math.ceil(memory.thresholdPages * (1 + marginFraction) + this.consumptionPerRound);
    const wanted = Math.min(maxPagesPerRound, floor - free);
    if (wanted <= 0) return 0;
    // Idleness changes only with a scan: a round that found no cold page
    // finds none again until the state changes (or more pages are wanted).
    const seen = this.noColdAt;
    if (seen !== undefined && seen.version === this.profiler.policyState().version && wanted <= seen.wanted) return 0;
    let freed = 0;
    this.runExclusive(async () => {
      this.stats.proactiveRounds++;
      this.refreshResidency('round');
      const state = this.profiler.policyState();
      const cold: number[] = [];
      for (const range of this.options.policy.selectVictims(state, wanted)) {
        for (let page = range.first; page < range.first + range.count && cold.length < wanted; page++) {
          if (state.idleScans[page]! >= minIdleScans) cold.push(page);
        }
      }
      if (cold.length === 0) {
        this.noColdAt = { version: state.version, wanted };
        return;
      }
      this.noColdAt = undefined;
      const tally = newTally(wanted);
      try {
        await this.release(indicesToRanges(cold), this.options.now() + this.options.deadlineMs, tally);
      } finally {
        if (tally.missedDeadline) this.stats.deadlineMisses++;
      }
      freed = tally.freed;
      this.stats.proactivePagesFreed += freed;
      this.freeAfterLastRound = memory.freePages();
    });
    await this.whenIdle();
    return freed;
  }

  /**
   * Brings residency up to date as options.refreshResidency says, before an
   * answer's first selection or a proactive round's (where only 'always'
   * reads it: pages that arrived since the last scan cannot be idle
   * enough for a round). 'when-empty' reads only after a selection found
   * nothing (readResidency from the answer).
   */
  private refreshResidency(before: 'answer' | 'round'): void {
    const mode = this.options.refreshResidency;
    if (mode === 'always') this.readResidency('all');
    else if ((mode === 'arrivals' || mode === 'returns') && before === 'answer') this.readResidency(mode);
  }

  /**
   * Reads residency from pagemap into the history (ProfilerPort.refreshResidency);
   * false when nothing was read. A failure (pagemap unreadable) is recorded
   * as an error, and the selection goes on with the history as the last
   * scan left it.
   */
  private readResidency(scope: ResidencyScope): boolean {
    if (this.profiler.refreshResidency === undefined) return false;
    // After a first read of every page, arrivals need only the pages never seen present: others
    // change only when the kernel's rail swaps them itself, which the calls then find gone (skipped);
    // once more than an eighth of what they sent since was skipped, every page is read again.
    const since = this.sinceFullRead;
    const pages: ResidencyPages = scope === 'arrivals' && since !== null && since.skipped * 8 <= since.sent ? 'unseen' : 'all';
    try {
      this.profiler.refreshResidency(scope, pages);
      if (pages === 'all') this.sinceFullRead = { sent: 0, skipped: 0 };
      return true;
    } catch (error) {
      this.stats.errors++;
      this.lastError = error;
      return false;
    }
  }

  /**
   * Runs one answer or proactive round at a time. A signal that arrived
   * meanwhile (and was not taken up by the answer loop) is answered next.
   */
  private runExclusive(task: () => Promise<void>): void {
    const run = task()
      .catch((error: unknown) => {
        this.stats.errors++;
        this.lastError = error;
      })
      .finally(() => {
        if (this.busy !== run) return;
        this.busy = undefined;
        const next = this.pending;
        if (next !== undefined && this.stopping === undefined) this.runExclusive(() => this.answerLoop(next));
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
          await this.answer(stillWanted, current);
        } catch (error) {
          // A failed answer must not stall the coalesced follow-up.
          this.stats.errors++;
          this.lastError = error;
        }
      }
      next = this.pending;
    }
  }

  private async answer(pagesWanted: number, current: PendingSignal): Promise<void> {
    this.stats.answers++;
    if (current.followUp > 0) this.stats.followUps++;
    const startedAt = this.options.now();
    const sinceSent = (ns: bigint): number => Number(ns - current.sentNs) / 1e6;
    const startMs = sinceSent(this.options.monotonicNs());
    let chosenMs: number | null = null;
    const deadline = current.sentAt + (current.signal.deadlineMs ?? this.options.deadlineMs);
    // The epsilon keeps 100 × 1.1 = 110.00000000000001 from becoming 111.
    const target = Math.ceil(pagesWanted * (1 + this.options.hysteresisFraction) - 1e-9);
    const tally: Tally = { ...newTally(target), signal: current };
    let selections = 0;
    let readWhenEmpty = false;
    try {
      this.refreshResidency('answer');
      // Pages chosen earlier in this answer are released (or in flight) for the
      // policy, so each selection offers pages not yet tried. A selection is one
      // call's worth at most, so that pages go to the kernel in the policy's
      // order (a call's ranges are sorted by address; a larger selection would
      // send its last choices as early as its first). After a shortfall the
      // next selection is scaled by the share of pages freed so far (at most
      // 8x), and its calls stop once enough is freed; what a selection chose
      // and no call sent goes back to the policy (release()).
      let fruitless = 0;
      while (tally.freed < target && fruitless < this.options.maxSelectionsPerAnswer) {
        if (selections > 0 && this.options.now() >= deadline) {
          tally.missedDeadline = true;
          break;
        }
        const share = tally.sent === 0 ? 1 : Math.max(tally.freed / tally.sent, 1 / 8);
        const select = (): PageRange[] => {
          selections++;
          this.stats.selections++;
          const pages = Math.min(Math.ceil((target - tally.freed) / share), this.options.maxPagesPerCall);
          return this.options.policy.selectVictims(this.profiler.policyState(), pages);
        };
        let ranges = select();
        if (ranges.length === 0 && this.options.refreshResidency === 'when-empty' && !readWhenEmpty) {
          // Nothing the last scan saw is left: the pages written since may be.
          readWhenEmpty = true;
          if (this.readResidency('arrivals')) ranges = select();
        }
        chosenMs ??= sinceSent(this.options.monotonicNs());
        if (ranges.length === 0) break;
        const freedBefore = tally.freed;
        if (await this.release(ranges, deadline, tally, tally.calls === 0)) break;
        fruitless = tally.freed > freedBefore ? 0 : fruitless + 1;
      }
    } finally {
      if (tally.freed < pagesWanted) this.stats.answersShort++;
      if (tally.missedDeadline) this.stats.deadlineMisses++;
      const endMs = sinceSent(this.options.monotonicNs());
      this.options.onAnswer?.({
        sentAt: current.sentAt,
        startedAt,
        endedAt: this.options.now(),
        firstCallAt: tally.firstCallAt,
        pagesWanted,
        freePagesAtSignal: current.signal.freePages,
        selections,
        swapOutCalls: tally.calls,
        pagesFreed: tally.freed,
        pagesAsked: current.signal.pagesWanted,
        coalesced: current.coalesced,
        signalSeq: current.signal.seq ?? null,
        followUp: current.followUp,
        sentByPosition: tally.sentByPosition,
        latency: {
          sendStamped: current.signal.sentAtNs !== undefined,
          listenerMs: sinceSent(current.listenerNs),
          startMs,
          chosenMs,
          firstCallMs: tally.firstCallNs === null ? null : sinceSent(tally.firstCallNs),
          lastReturnMs: tally.lastReturnNs === null ? null : sinceSent(tally.lastReturnNs),
          endMs,
        },
      });
    }
  }

  /**
   * Pages the next call may carry: what is still missing, scaled by the share
   * of sent pages that were freed so far (at most 2x), within the per-call cap.
   */
  private nextCallPages(tally: Tally): number {
    const missing = tally.target - tally.freed;
    if (missing <= 0) return 0;
    const share = tally.sent === 0 ? 1 : Math.max(tally.freed / tally.sent, 1 / 2);
    return Math.min(this.options.maxPagesPerCall, Math.ceil(missing / share));
  }

  /**
   * Sends ranges in calls sized by nextCallPages() until the tally's target is
   * freed, all are sent, or the deadline passes (then returns true). With
   * mustSendFirst, the first call goes out even past the deadline (with one
   * deadline's worth of time): an answer without a single call leaves the
   * kernel to its fallback.
   */
  private async release(ranges: readonly PageRange[], deadline: number, tally: Tally, mustSendFirst = true): Promise<boolean> {
    const cursor = new RangeCursor(ranges);
    try {
      return await this.sendCalls(cursor, deadline, tally, mustSendFirst);
    } finally {
      // What was chosen and not sent (enough was freed, or the deadline passed) is the policy's again.
      const unsent = cursor.rest();
      if (unsent.length > 0) this.options.policy.restore?.(this.profiler.policyState(), unsent);
    }
  }

  private async sendCalls(cursor: RangeCursor, deadline: number, tally: Tally, mustSendFirst: boolean): Promise<boolean> {
    let callsHere = 0;
    for (;;) {
      const limit = this.nextCallPages(tally);
      if (limit === 0) return false;
      const call = cursor.take(limit, this.options.maxRangesPerCall);
      if (call.length === 0) return false;
      const now = this.options.now();
      let remaining = deadline - now;
      if (remaining <= 0) {
        tally.missedDeadline = true;
        if (!(mustSendFirst && callsHere === 0)) return true;
        remaining = this.options.deadlineMs;
      }
      callsHere++;
      tally.calls++;
      tally.firstCallAt ??= now;
      tally.firstCallNs ??= this.options.monotonicNs();
      const pages = countPages(call);
      tally.sent += pages;
      this.stats.swapOutCalls++;
      this.stats.pagesRequested += pages;
      countByPosition(this.stats.sentByPosition[tally.signal === undefined ? 'proactive' : 'answers'], call, this.profiler.layout.pageCount);
      countByPosition(tally.sentByPosition, call, this.profiler.layout.pageCount);
      // Released for the policy and for scans until the call returns.
      this.profiler.markReleased(call);
      let inFlight: Promise<SwapOutResult>;
      try {
        inFlight = this.kernel.swapOut(this.profiler.layout.toByteRanges(call), this.options.swapOutFlags);
      } catch (error) {
        this.profiler.releaseEnded(call);
        throw error;
      }
      const settled = inFlight.finally(() => this.profiler.releaseEnded(call));
      const result = await raceTimeout(settled, remaining);
      if (result === TIMED_OUT) {
        tally.missedDeadline = true;
        // Account for the late call when it completes; do not wait for it.
        const late = settled
          .then(
            (r) => {
              this.account(r);
              if (tally.signal !== undefined) this.followUp(tally.signal);
            },
            (error: unknown) => {
              this.stats.errors++;
              this.lastError = error;
            },
          )
          .finally(() => this.lateCalls.delete(late));
        this.lateCalls.add(late);
        return true;
      }
      tally.lastReturnNs = this.options.monotonicNs();
      tally.freed += this.account(result);
    }
  }

  /**
   * A call that an answer abandoned at its deadline has returned. The
   * kernel counts its request as answered only once about all of it (seven
   * eighths) was released, and asks again only after its answer timeout: if
   * the request is still short by more than an eighth, free memory is still
   * under the threshold (when the controller has a gauge), and nothing else
   * is being answered, the rest is answered now, with a deadline of its own
   * (at most MAX_FOLLOW_UPS times per signal). Without this, a late call
   * that freed nothing (its pages used again before reclaim got to them)
   * left the request to the kernel's fallback.
   */
  private followUp(previous: PendingSignal): void {
    if (this.stopping !== undefined || this.busy !== undefined || this.pending !== undefined) return;
    if (previous.followUp >= MAX_FOLLOW_UPS) return;
    const asked = previous.signal.pagesWanted;
    const missing = asked - (this.stats.pagesFreed - previous.freedAtArrival);
    if (missing * 8 <= asked) return;
    const memory = this.options.memory;
    const freePages = memory === undefined ? previous.signal.freePages : memory.freePages();
    if (memory !== undefined && freePages >= memory.thresholdPages) return;
    const nowNs = this.options.monotonicNs();
    const { sentAtNs: _sent, ...signal } = previous.signal;
    const next: PendingSignal = {
      signal: { ...signal, freePages },
      sentAt: this.options.now(),
      sentNs: nowNs,
      listenerNs: nowNs,
      coalesced: 0,
      freedAtArrival: previous.freedAtArrival,
      followUp: previous.followUp + 1,
    };
    this.runExclusive(() => this.answerLoop(next));
  }

  private account(result: SwapOutResult): number {
    if (this.sinceFullRead !== null) {
      this.sinceFullRead.sent += result.freed + result.skipped + result.failed;
      this.sinceFullRead.skipped += result.skipped;
    }
    this.stats.pagesFreed += result.freed;
    this.stats.pagesSkipped += result.skipped;
    this.stats.pagesFailed += result.failed;
    return result.freed;
  }
}

/** Adds the pages of `ranges` to `buckets`, equal parts of `pageCount` pages. */
function countByPosition(buckets: number[], ranges: readonly PageRange[], pageCount: number): void {
  const n = buckets.length;
  for (const { first, count } of ranges) {
    let page = first;
    const end = first + count;
    while (page < end) {
      const bucket = Math.min(n - 1, Math.floor((page * n) / pageCount));
      // The first page of the next bucket: the least p with floor(p * n / pageCount) > bucket.
      const next = Math.min(end, Math.ceil(((bucket + 1) * pageCount) / n));
      buckets[bucket]! += next - page;
      page = next;
    }
  }
}

/** Walks sorted ranges, handing out calls of at most a given number of pages and ranges. */
class RangeCursor {
  private index = 0;
  /** Pages of ranges[index] already handed out. */
  private offset = 0;

  constructor(private readonly ranges: readonly PageRange[]) {}

  /** The ranges not handed out yet. */
  rest(): PageRange[] {
    const rest: PageRange[] = [];
    for (let i = this.index; i < this.ranges.length; i++) {
      const { first, count } = this.ranges[i]!;
      const skip = i === this.index ? this.offset : 0;
      if (count > skip) rest.push({ first: first + skip, count: count - skip });
    }
    return rest;
  }

  /** The next call: at most maxPages pages in at most maxRanges ranges (empty when all are out). */
  take(maxPages: number, maxRanges: number): PageRange[] {
    const call: PageRange[] = [];
    let pages = 0;
    while (pages < maxPages && call.length < maxRanges && this.index < this.ranges.length) {
      const range = this.ranges[this.index]!;
      const count = Math.min(range.count - this.offset, maxPages - pages);
      call.push({ first: range.first + this.offset, count });
      pages += count;
      this.offset += count;
      if (this.offset === range.count) {
        this.index++;
        this.offset = 0;
      }
    }
    return call;
  }
}

/**
 * Splits ranges into calls of at most maxPages pages and maxRanges ranges
 * each (splitting a range across calls if needed).
 */
export function splitIntoCalls(ranges: readonly PageRange[], maxPages: number, maxRanges = Number.POSITIVE_INFINITY): PageRange[][] {
  const cursor = new RangeCursor(ranges);
  const calls: PageRange[][] = [];
  for (let call = cursor.take(maxPages, maxRanges); call.length > 0; call = cursor.take(maxPages, maxRanges)) calls.push(call);
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
