/**
 * Where a run's CPU time went, by thread: the workload's worker thread, the
 * agent's main thread (policy selections, folding scans into the history,
 * and the rest), the profiler's worker thread (its scans; on the main thread
 * when the agent scans there), and the process's other threads. Pure: the figures are measured
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
  agent: {
    /** Where the scans ran (src/agent's ScanThread): 'worker', or 'main' (then the scans include the folds). */
    scanThread: 'main' | 'worker';
    scans: TimedStage;
    folds: TimedStage;
    prepares: TimedStage;
    refreshes: TimedStage;
    selections: TimedStage;
  } | null;
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
   * The agent's work: profiler scans (pagemap and page-idle reads and
   * writes; on the profiler's worker thread, or on the main thread where
   * they include the history update), folds of the worker's scans into the
   * history (main thread), the policy's refreshes after each scan (main
   * thread), residency read from pagemap between scans (main thread), and policy selections (answers and proactive rounds; main
   * thread), each with its count and wall time; otherMs is the
   * rest of the main thread (the controller around the selections, the
   * free-memory sampler, the event loop, the command), clamped at 0. Null
   * without an agent.
   */
  agent: {
    scanThread: 'main' | 'worker';
    scans: number;
    scanMs: number | null;
    scanWallMs: number;
    folds: number;
    foldMs: number | null;
    prepares: number;
    prepareMs: number | null;
    prepareWallMs: number;
    refreshes: number;
    refreshMs: number | null;
    refreshWallMs: number;
    selections: number;
    selectionMs: number | null;
    selectionWallMs: number;
    otherMs: number | null;
  } | null;
  /**
   * The process less the main thread, the workload's thread and the
   * profiler's worker (its scans), clamped at 0: libuv's
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
  const onWorker = a?.scanThread === 'worker';
  return {
    source: input.source,
    processMs: input.processMs,
    workload,
    mainThreadMs: input.mainThreadMs,
    agent:
      a === null
        ? null
        : {
            scanThread: a.scanThread,
            scans: a.scans.count,
            scanMs: a.scans.cpuMs,
            scanWallMs: a.scans.wallMs,
            folds: a.folds.count,
            foldMs: a.folds.cpuMs,
            prepares: a.prepares.count,
            prepareMs: a.prepares.cpuMs,
            prepareWallMs: a.prepares.wallMs,
            refreshes: a.refreshes.count,
            refreshMs: a.refreshes.cpuMs,
            refreshWallMs: a.refreshes.wallMs,
            selections: a.selections.count,
            selectionMs: a.selections.cpuMs,
            selectionWallMs: a.selections.wallMs,
            otherMs: minus(input.mainThreadMs, onWorker ? a.folds.cpuMs : a.scans.cpuMs, a.prepares.cpuMs, a.refreshes.cpuMs, a.selections.cpuMs),
          },
    otherThreadsMs: minus(input.processMs, input.mainThreadMs, workload.threadMs, ...(onWorker ? [a!.scans.cpuMs] : [])),
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
