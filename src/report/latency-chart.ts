/**
 * Where each answer to a SIGBALLOON spent its time: per run, one horizontal
 * bar per answer from the signal's send to the last swap-out call's return
 * (to the answer's end when no call returned), with ticks where the
 * listener ran, the victims were chosen and the first call started
 * (RunAnswer.latency, src/agent/controller.ts). Pure: data in, Vega-Lite spec out.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ChartEncoding, ChartLayer, ChartPanel } from './render.js';
import type { RunRecord } from '../experiment/cell.js';
import { isFollowUp, summarizeSignalLatency, type Percentiles } from '../metrics/signal-latency.js';
import type { RunAnswer } from '../shared/run-result.js';
import { runsByPolicy, thin } from './charts.js';
import type { WorkloadSummary } from './summary.js';

export const OUTCOMES = ['freed what was asked', 'freed less', 'no call'] as const;
export type Outcome = (typeof OUTCOMES)[number];
const OUTCOME_COLORS = ['#4c78a8', '#f58518', '#9ca3af'];
export const MARKS = ['listener ran', 'victims chosen', 'first call'] as const;
const MARK_COLORS = ['#111827', '#54a24b', '#e45756'];
const LEGEND = { orient: 'top', labelLimit: 0, titleLimit: 0 } as const;

/** One answer's bar and its marks, in ms after the send. */
export interface LatencyBar {
  /** Label on the y axis: the signal's number, else the answer's rank in the run. */
  label: string;
  /** The bar's end: the last call's return, else the answer's end. */
  endMs: number;
  outcome: Outcome;
  marks: { mark: (typeof MARKS)[number]; ms: number }[];
}

type TimedAnswer = RunAnswer & { latency: NonNullable<RunAnswer['latency']> };

/** Answers that carry stage times (results recorded before them have none). */
export function timedAnswers(answers: readonly RunAnswer[]): TimedAnswer[] {
  return answers.filter((a): a is TimedAnswer => a.latency !== undefined && a.latency !== null);
}

/** A run's bars, at most maxBars of them (evenly spaced, the last kept). */
export function latencyBars(answers: readonly RunAnswer[], maxBars: number): LatencyBar[] {
  const timed = timedAnswers(answers);
  return thin(
    timed.map((a, i) => ({ a, i })),
    maxBars,
  ).map(({ a, i }) => {
    const l = a.latency;
    const outcome: Outcome = a.swapOutCalls === 0 ? 'no call' : a.pagesFreed >= (a.pagesAsked ?? a.pagesWanted) ? 'freed what was asked' : 'freed less';
    const marks: LatencyBar['marks'] = [{ mark: 'listener ran', ms: l.listenerMs }];
    if (l.chosenMs !== null) marks.push({ mark: 'victims chosen', ms: l.chosenMs });
    if (l.firstCallMs !== null) marks.push({ mark: 'first call', ms: l.firstCallMs });
    const signal = a.signalSeq !== undefined && a.signalSeq !== null ? `#${a.signalSeq}` : `${i + 1}.`;
    // A follow-up answers the same signal again (controller.ts): a bar of its own, timed from its own start.
    const label = isFollowUp(a) ? `${signal} follow-up ${a.followUp}` : signal;
    return { label, endMs: l.lastReturnMs ?? l.endMs, outcome, marks };
  });
}

const fmtMs = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
const pct = (p: Percentiles | null): string => (p === null ? 'none' : `p50 ${fmtMs(p.p50)}, p90 ${fmtMs(p.p90)}, p99 ${fmtMs(p.p99)}, max ${fmtMs(p.max)} ms`);

/** The subtitle of a run's panel: what is shown, and the run's percentiles. */
export function latencySubtitle(run: RunRecord, shown: number): string {
  const r = run.result!;
  const s = r.signalLatency ?? summarizeSignalLatency(r.answers);
  if (s === null) return 'no timed answer';
  const unstamped = s.answers - s.sendStamped;
  return (
    `${s.answers} answers${s.followUps ? ` and ${s.followUps} follow-ups` : ''}${shown < s.answers + (s.followUps ?? 0) ? ` (${shown} shown)` : ''}; last call returned ${pct(s.stages.lastReturnMs)}; ` +
    `pages freed ${s.pagesFreed.toLocaleString('en-US')} of ${s.pagesAsked.toLocaleString('en-US')} asked` +
    (unstamped > 0 ? `; ${unstamped} timed from the listener (no handler stamp)` : '')
  );
}

/** One panel per run with timed answers; null when no run has any. */
export function latencyTimelineChart(w: WorkloadSummary, maxBarsPerRun = 60): TopLevelSpec | null {
  const runs = runsByPolicy(w)
    .flatMap((p) => p.runs)
    .map((run) => ({ run, bars: latencyBars(run.result!.answers, maxBarsPerRun) }))
    .filter((r) => r.bars.length > 0);
  if (runs.length === 0) return null;
  const xMax = Math.max(1, ...runs.flatMap((r) => r.bars.flatMap((b) => [b.endMs, ...b.marks.map((m) => m.ms)])));
  // Symlog: linear below 1 ms, logarithmic above, so that sub-millisecond stages and 100 ms calls both show.
  const ticks = [0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000].filter((t) => t <= xMax);
  const x = { type: 'quantitative', scale: { type: 'symlog', constant: 1, domain: [0, xMax], nice: false }, axis: { values: ticks, format: ',~r' } } satisfies ChartEncoding['x'];
  const panels = runs.map(({ run, bars }, i) => {
    const order = bars.map((b) => b.label);
    const y: ChartEncoding['y'] = { field: 'label', type: 'ordinal', sort: order, title: null, axis: bars.length <= 40 ? { labelFontSize: 9 } : { labels: false, ticks: false } };
    const last = i === runs.length - 1;
    const layers: ChartLayer[] = [
      {
        data: { values: bars.map((b) => ({ label: b.label, from: 0, to: b.endMs, outcome: b.outcome })) },
        mark: { type: 'bar', height: 6, opacity: 0.8 },
        encoding: {
          x: { ...x, field: 'from', title: last ? 'ms after the send' : null },
          x2: { field: 'to' },
          y,
          color: { field: 'outcome', type: 'nominal', title: 'bar: send → last call returned', scale: { domain: [...OUTCOMES], range: OUTCOME_COLORS }, legend: LEGEND },
        },
      },
      {
        data: { values: bars.flatMap((b) => b.marks.map((m) => ({ label: b.label, ...m }))) },
        mark: { type: 'tick', thickness: 2, size: 9 },
        encoding: {
          x: { ...x, field: 'ms' },
          y,
          color: { field: 'mark', type: 'nominal', title: 'ticks', scale: { domain: [...MARKS], range: MARK_COLORS }, legend: LEGEND },
        },
      },
    ];
    const panel: ChartPanel = {
      title: { text: `${run.policy} rep ${run.rep}`, subtitle: latencySubtitle(run, bars.length), subtitleColor: '#6b7280', fontSize: 12 },
      width: 820,
      height: Math.max(40, bars.length * 9),
      layer: layers,
      resolve: { scale: { color: 'independent' } },
    };
    return panel;
  });
  // No title of its own: the report prints it around the figure (figures.ts).
  return {
    vconcat: panels,
    spacing: 14,
  } satisfies TopLevelSpec;
}
