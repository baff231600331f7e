/**
 * Time spent in one kind of synchronous work of the agent (profiler scans,
 * policy selections): how often it ran, its wall time and the CPU time of
 * the thread that ran it. Pure: the clocks are given.
 */
import type { EvictionPolicy } from './policies/policy.js';

export interface StageTime {
  count: number;
  wallMs: number;
  /** The running thread's CPU time; null without a thread CPU clock. */
  cpuMs: number | null;
}

export class StageTimer {
  private count = 0;
  private wallMs = 0;
  private cpuMs = 0;
  private cpuMissing = false;

  /**
   * cpuClock: the CPU clock of the thread that runs time()'s work; null when
   * there is none, or when the work is timed elsewhere and added with add()
   * (then addsCpu says whether add() gets CPU times).
   */
  constructor(
    private readonly wallClock: () => number,
    private readonly cpuClock: (() => number) | null,
    private readonly addsCpu = false,
  ) {}

  /** Runs fn (synchronous) and adds its time, even when it throws. */
  time<T>(fn: () => T): T {
    const w0 = this.wallClock();
    const c0 = this.cpuClock?.() ?? 0;
    try {
      return fn();
    } finally {
      this.count++;
      this.wallMs += this.wallClock() - w0;
      if (this.cpuClock !== null) this.cpuMs += this.cpuClock() - c0;
    }
  }

  /** Adds work timed elsewhere (another thread's): its wall time and CPU time (null: not measured). */
  add(wallMs: number, cpuMs: number | null): void {
    this.count++;
    this.wallMs += wallMs;
    if (cpuMs === null) this.cpuMissing = true;
    else this.cpuMs += cpuMs;
  }

  get total(): StageTime {
    return { count: this.count, wallMs: this.wallMs, cpuMs: (this.cpuClock === null && !this.addsCpu) || this.cpuMissing ? null : this.cpuMs };
  }
}

/**
 * The policy, with every selectVictims() timed. restore() and reserve()
 * pass through (the controller gives back through restore() the pages it
 * chose and did not send); prepare() is left out: the session calls and
 * times the policy's own.
 */
export function timedPolicy(policy: EvictionPolicy, timer: StageTimer): EvictionPolicy {
  const timed: EvictionPolicy = { name: policy.name, selectVictims: (state, pagesWanted) => timer.time(() => policy.selectVictims(state, pagesWanted)) };
  if (policy.restore !== undefined) timed.restore = (state, ranges) => policy.restore!(state, ranges);
  if (policy.reserve !== undefined) timed.reserve = (pageCount) => policy.reserve!(pageCount);
  return timed;
}
