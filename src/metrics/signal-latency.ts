/**
 * Where an answer's time goes: percentiles of each stage of the answers to
 * SIGBALLOON over one run, from the controller's per-answer stage times
 * (AnswerRecord.latency, src/agent/controller.ts). Pure.
 */

/** One answer's stage times, in ms after the signal's send (AnswerRecord.latency is this type). */
export interface AnswerStageTimes {
  /** Whether the send time is the handler's stamp (true) or the listener's run (false). */
  sendStamped: boolean;
  /** The controller's listener ran (the event loop took the signal). */
  listenerMs: number;
  /** The answer started (later than the listener when an earlier answer was still running). */
  startMs: number;
  /** The first policy selection returned: the victims were chosen (even if it chose none). */
  chosenMs: number | null;
  /** The first swap-out call started (null: no call). */
  firstCallMs: number | null;
  /** The last swap-out call that returned within the answer returned (null: none returned; a call abandoned at the deadline is not counted). */
  lastReturnMs: number | null;
  /** The answer ended. */
  endMs: number;
}

/** What the summary reads of an answer; answers recorded before stage times existed have no latency and are left out. */
export interface LatencyAnswer {
  latency?: AnswerStageTimes;
  pagesAsked?: number;
  pagesFreed: number;
  coalesced?: number;
  /** n > 0: the n-th follow-up on a signal already answered (AnswerRecord.followUp). */
  followUp?: number;
}

/** A follow-up on a signal already answered, rather than the answer to one (results before follow-ups have none). */
export function isFollowUp(answer: Pick<LatencyAnswer, 'followUp'>): boolean {
  return (answer.followUp ?? 0) > 0;
}

/** The stages, in the order they happen. */
export const LATENCY_STAGES = ['listenerMs', 'startMs', 'chosenMs', 'firstCallMs', 'lastReturnMs', 'endMs'] as const;
export type LatencyStage = (typeof LATENCY_STAGES)[number];

/** What each stage measures, for tables and charts. */
export const LATENCY_STAGE_LABELS: Record<LatencyStage, string> = {
  listenerMs: 'listener ran',
  startMs: 'answer started',
  chosenMs: 'victims chosen',
  firstCallMs: 'first swap-out call',
  lastReturnMs: 'last call returned',
  endMs: 'answer ended',
};

/** Nearest-rank percentiles: each is a value that was observed. */
export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface SignalLatencySummary {
  /** Answers with stage times. */
  answers: number;
  /** Of them, those timed from the addon handler's stamp; the others from when the listener ran (their listener stage is 0). */
  sendStamped: number;
  /** Signals replaced while waiting (coalesced into a later answer): counted here, their own waits are in no percentile. */
  coalescedSignals: number;
  /**
   * Follow-ups on signals already answered (a late call returned short):
   * their pages count in pagesFreed; they are in no other figure, since
   * they answer no signal of their own. Absent when there was none.
   */
  followUps?: number;
  /** Per stage, ms after the send, over the answers that reached it; null when none did. */
  stages: Record<LatencyStage, Percentiles | null>;
  /** Sums over the answers: what the signals asked for and what their answers and follow-ups freed (calls past the deadline not included). */
  pagesAsked: number;
  pagesFreed: number;
  /** Answers that freed less than their signal asked for. */
  answersShort: number;
  /** pagesFreed / pagesAsked per answer (answers asking for pages). */
  freedFraction: Percentiles | null;
}

/**
 * The nearest-rank percentile: the smallest observed value with at least
 * p % of the values at or below it, from values sorted in ascending order.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** p50, p90, p99 and max of the values (NaN ignored); null when there is none. */
export function percentiles(values: readonly number[]): Percentiles | null {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return { n: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
}

/** The run's latency summary; null when no answer carries stage times. */
export function summarizeSignalLatency(answers: readonly LatencyAnswer[]): SignalLatencySummary | null {
  const withTimes = answers.filter((a): a is LatencyAnswer & { latency: AnswerStageTimes } => a.latency !== undefined && a.latency !== null);
  const followUps = withTimes.filter(isFollowUp);
  const timed = withTimes.filter((a) => !isFollowUp(a));
  if (timed.length === 0) return null;
  const stages = Object.fromEntries(
    LATENCY_STAGES.map((stage) => [stage, percentiles(timed.flatMap((a) => (a.latency[stage] === null ? [] : [a.latency[stage]!])))]),
  ) as Record<LatencyStage, Percentiles | null>;
  const asked = (a: LatencyAnswer): number => a.pagesAsked ?? 0;
  return {
    answers: timed.length,
    sendStamped: timed.filter((a) => a.latency.sendStamped).length,
    coalescedSignals: timed.reduce((sum, a) => sum + (a.coalesced ?? 0), 0),
    ...(followUps.length > 0 ? { followUps: followUps.length } : {}),
    stages,
    pagesAsked: timed.reduce((sum, a) => sum + asked(a), 0),
    pagesFreed: withTimes.reduce((sum, a) => sum + a.pagesFreed, 0),
    answersShort: timed.filter((a) => a.pagesFreed < asked(a)).length,
    freedFraction: percentiles(timed.filter((a) => asked(a) > 0).map((a) => a.pagesFreed / asked(a))),
  };
}
