/**
 * Where a run's CPU time went, by thread: the workload's worker thread, the
 * agent's thread (the main thread: profiler scans, policy selections, and
 * the rest), and the process's other threads. Pure: the figures are measured
 * by `balloon run` (src/cli/run.ts) and combined here.
 *
 * Every figure covers the same span as RunResult.cpu (from just before the
 * workload starts until the agent has stopped), except workload.threadMs,
 * which is the worker thread's whole life (it lies inside that span).
 */

/** One kind of work timed by the agent (the shape of src/agent's StageTime). */
export interface TimedStage {
  count: number;
  wallMs: number;
  cpuMs: number | null;
}

export interface CpuBreakdownInput {
  /** Per-thread figures' clock: 'schedstat' (ns), 'stat' (10 ms ticks), null (none). */
  source: 'schedstat' | 'stat' | null;
  /** The whole process (getrusage: every thread), over the span. */
  processMs: number;
  /** The main thread over the span; null without a thread clock. */
  mainThreadMs: number | null;
  /** The worker's own thread (src/workloads/worker.ts); null without a thread clock. */
  workload: { threadMs: number | null; runMs: number | null; verifyMs: number | null } | null;
  /** The agent's timed work over the span (deltas of AgentSession.timing); null without an agent. */
  agent: { scans: TimedStage; selections: TimedStage } | null;
}

export interface RunCpuBreakdown {
  /** Where the per-thread figures come from: /proc/thread-self/schedstat (ns) or stat (10 ms ticks); null: none were measured. */
  source: 'schedstat' | 'stat' | null;
  /** Every thread of the process (the same as RunResult.cpu.totalMs). */
  processMs: number;
  /**
   * The workload's worker thread: its whole life (starting, building the
   * reference string, writing, checking; page faults and swap-ins taken in
   * them count as its system time), and the write and check phases alone.
   */
  workload: { threadMs: number | null; runMs: number | null; verifyMs: number | null };
  /** The main thread, where the agent runs; in a kernel-baseline run only the free-memory sampler and the command itself. */
  mainThreadMs: number | null;
  /**
   * The agent's work on the main thread: profiler scans (pagemap and
   * page-idle reads, history update) and policy selections (answers and
   * proactive rounds), each with its count and wall time; otherMs is the
   * rest of the main thread (the controller around the selections, the
   * free-memory sampler, the event loop, the command), clamped at 0. Null
   * without an agent.
   */
  agent: {
    scans: number;
    scanMs: number | null;
    scanWallMs: number;
    selections: number;
    selectionMs: number | null;
    selectionWallMs: number;
    otherMs: number | null;
  } | null;
  /**
   * The process less the main and the worker thread, clamped at 0: libuv's
   * pool threads, where the agent's balloon_swapout() calls run (the kernel's
   * reclaim work for them is their system time), the addon's signal thread,
   * V8's garbage-collector and compiler threads.
   */
  otherThreadsMs: number | null;
}

const minus = (a: number | null, ...bs: (number | null)[]): number | null =>
  a === null || bs.some((b) => b === null) ? null : Math.max(0, bs.reduce<number>((x, b) => x - b!, a));

export function cpuBreakdown(input: CpuBreakdownInput): RunCpuBreakdown {
  const w = input.workload;
  const workload = { threadMs: w?.threadMs ?? null, runMs: w?.runMs ?? null, verifyMs: w?.verifyMs ?? null };
  const a = input.agent;
  return {
    source: input.source,
    processMs: input.processMs,
    workload,
    mainThreadMs: input.mainThreadMs,
    agent:
      a === null
        ? null
        : {
            scans: a.scans.count,
            scanMs: a.scans.cpuMs,
            scanWallMs: a.scans.wallMs,
            selections: a.selections.count,
            selectionMs: a.selections.cpuMs,
            selectionWallMs: a.selections.wallMs,
            otherMs: minus(input.mainThreadMs, a.scans.cpuMs, a.selections.cpuMs),
          },
    otherThreadsMs: minus(input.processMs, input.mainThreadMs, workload.threadMs),
  };
}

/** The agent's timed work between two readings of its cumulative timing. */
export function stageDelta(before: TimedStage, after: TimedStage): TimedStage {
  return {
    count: after.count - before.count,
    wallMs: after.wallMs - before.wallMs,
    cpuMs: after.cpuMs === null || before.cpuMs === null ? null : after.cpuMs - before.cpuMs,
  };
}
