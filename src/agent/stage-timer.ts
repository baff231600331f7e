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

  constructor(
    private readonly wallClock: () => number,
    private readonly cpuClock: (() => number) | null,
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

  get total(): StageTime {
    return { count: this.count, wallMs: this.wallMs, cpuMs: this.cpuClock === null ? null : this.cpuMs };
  }
}

/** The policy, with every selectVictims() timed. */
export function timedPolicy(policy: EvictionPolicy, timer: StageTimer): EvictionPolicy {
  return { name: policy.name, selectVictims: (state, pagesWanted) => timer.time(() => policy.selectVictims(state, pagesWanted)) };
}
