/**
 * The report's charts as Vega-Lite specs (pure: data in, spec out). A chart
 * has no title of its own: the figure's title and its key go in the caption
 * (figures.ts), so that the SVG can go into a paper as it is.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ChartEncoding, ChartLayer } from './render.js';
import type { RunRecord } from '../experiment/cell.js';
import type { Heatmap } from './heatmap.js';
import { budgetSeries, thinKeepingDeficit } from './run-metrics.js';
import type { WorkloadSummary } from './summary.js';

const MiB = 1024 * 1024;
const WIDTH = 380;

/** Keeps at most `max` items, evenly spaced, always with the last one. */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.floor(i * step)]!);
  out.push(items[items.length - 1]!);
  return out;
}

const SWAP_KINDS = ['swap-ins', 'swap-outs'];

/**
 * Swap-ins and swap-outs per policy: the median as a bar, the range over the
 * repetitions as an error bar, every run as a dot; MIN's swap-ins as a rule.
 */
export function swapIoChart(w: WorkloadSummary): TopLevelSpec {
  const bars = w.policies.flatMap((p) =>
    [
      { kind: 'swap-ins', s: p.swapIns },
      { kind: 'swap-outs', s: p.swapOuts },
    ].flatMap(({ kind, s }) => (s === null ? [] : [{ policy: p.policy, kind, pages: s.median, min: s.min, max: s.max }])),
  );
  const runs = w.okRuns.flatMap((r) => [
    { policy: r.policy, rep: r.rep, kind: 'swap-ins', pages: r.result!.pswpin },
    { policy: r.policy, rep: r.rep, kind: 'swap-outs', pages: r.result!.pswpout },
  ]);
  const order = w.policies.map((p) => p.policy);
  const x: ChartEncoding['x'] = { field: 'policy', type: 'nominal', sort: order, title: null, axis: { labelAngle: 0 } };
  const xOffset: ChartEncoding['xOffset'] = { field: 'kind', type: 'nominal', sort: SWAP_KINDS };
  const layers: ChartLayer[] = [
    {
      data: { values: bars },
      mark: { type: 'bar', cornerRadiusTopLeft: 2, cornerRadiusTopRight: 2, opacity: 0.8 },
      encoding: {
        x,
        xOffset,
        y: { field: 'pages', type: 'quantitative', title: 'pages per run' },
        color: { field: 'kind', type: 'nominal', title: null, scale: { domain: SWAP_KINDS, range: ['#4c78a8', '#f58518'] }, legend: { orient: 'top' } },
      },
    },
    {
      data: { values: bars },
      mark: { type: 'rule', color: '#111827', strokeWidth: 1.5 },
      encoding: { x, xOffset, y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } },
    },
    {
      data: { values: runs },
      mark: { type: 'point', filled: true, color: '#111827', size: 22, opacity: 0.8 },
      encoding: { x, xOffset, y: { field: 'pages', type: 'quantitative' } },
    },
  ];
  if (w.bound !== null) {
    layers.push(
      { data: { values: [{ min: w.bound.minSwapIns }] }, mark: { type: 'rule', color: '#dc2626', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { y: { field: 'min', type: 'quantitative' } } },
    );
  }
  return { width: WIDTH, height: 220, layer: layers } satisfies TopLevelSpec;
}

/** Runtime per policy: the median as a bar, the range as an error bar, every successful run as a dot. */
export function runtimeChart(w: WorkloadSummary): TopLevelSpec {
  const order = w.policies.map((p) => p.policy);
  const medians = w.policies.flatMap((p) => (p.wallMs === null ? [] : [{ policy: p.policy, seconds: p.wallMs.median / 1000, min: p.wallMs.min / 1000, max: p.wallMs.max / 1000 }]));
  const runs = w.okRuns.map((r) => ({ policy: r.policy, rep: r.rep, seconds: r.result!.wallMs / 1000 }));
  const x: ChartEncoding['x'] = { field: 'policy', type: 'nominal', sort: order, title: null, axis: { labelAngle: 0 } };
  return {
    width: WIDTH,
    height: 220,
    layer: [
      {
        data: { values: medians },
        mark: { type: 'bar', color: '#9ecae9', cornerRadiusTopLeft: 2, cornerRadiusTopRight: 2 },
        encoding: { x, y: { field: 'seconds', type: 'quantitative', title: 'wall time (s)' } },
      },
      {
        data: { values: medians },
        mark: { type: 'rule', color: '#1f3b5a', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } },
      },
      {
        data: { values: runs },
        mark: { type: 'point', filled: true, color: '#1f3b5a', size: 36, opacity: 0.85 },
        encoding: { x, y: { field: 'seconds', type: 'quantitative' } },
      },
    ],
  } satisfies TopLevelSpec;
}

/** Every successful run of each policy, by repetition. */
export function runsByPolicy(w: WorkloadSummary): { policy: string; runs: RunRecord[] }[] {
  return w.policies
    .map((p) => ({ policy: p.policy, runs: w.okRuns.filter((r) => r.policy === p.policy).sort((a, b) => a.rep - b.rep) }))
    .filter((p) => p.runs.length > 0);
}

const REP_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#9d755d', '#72b7b2', '#eeca3b', '#e45756'];

/**
 * Free memory over time, one panel per policy with every repetition's curve
 * (the spread between them is the runs' spread), the threshold (dashed) and
 * each answer to a SIGBALLOON (a triangle at its start, at the free memory
 * the signal reported). Free memory is measured against the budget: MemFree
 * plus the memory the kernel baseline's bystander holds, the series the
 * threshold deficit is computed on (run-metrics.ts).
 */
export function freeMemoryChart(w: WorkloadSummary, maxPoints = 600): TopLevelSpec | null {
  const policies = runsByPolicy(w)
    .map((p) => ({ ...p, runs: p.runs.filter((r) => r.result!.freeMemory.series.length > 0) }))
    .filter((p) => p.runs.length > 0);
  if (policies.length === 0) return null;
  const all = policies.flatMap((p) => p.runs);
  const plotted = new Map(all.map((r) => [r, budgetSeries(r.result!)]));
  const xMax = Math.max(...all.map((r) => Math.max(r.result!.wallMs, ...plotted.get(r)!.map((s) => s.tMs)))) / 1000;
  const yMax = Math.max(...all.map((r) => Math.max(r.result!.thresholdBytes, ...plotted.get(r)!.map((s) => s.freeBytes)))) / MiB;
  const x = { type: 'quantitative', scale: { domain: [0, xMax], nice: false } } satisfies ChartEncoding['x'];
  const y = { type: 'quantitative', scale: { domain: [0, yMax * 1.05], nice: false } } satisfies ChartEncoding['y'];
  const reps = [...new Set(all.map((r) => r.rep))].sort((a, b) => a - b).map((n) => `rep ${n}`);
  const repColor: ChartEncoding['color'] = { field: 'rep', type: 'nominal', title: null, scale: { domain: reps, range: REP_COLORS }, legend: { orient: 'top' } };
  const panels = policies.map(({ policy, runs }, i) => {
    const first = runs[0]!.result!;
    // Thinned for the plot without changing the deficit the table shows (run-metrics.ts).
    const series = runs.flatMap((r) =>
      thinKeepingDeficit(plotted.get(r)!, r.result!.thresholdBytes, maxPoints).map((s) => ({ rep: `rep ${r.rep}`, t: s.tMs / 1000, free: s.freeBytes / MiB })),
    );
    const answers = runs.flatMap((r) => thin(r.result!.answers, 1500).map((a) => ({ rep: `rep ${r.rep}`, t: a.startMs / 1000, free: a.freeBytesAtSignal / MiB, freed: a.pagesFreed })));
    const last = i === policies.length - 1;
    const layers: ChartLayer[] = [
      {
        data: { values: series },
        mark: { type: 'line', strokeWidth: 1.2, opacity: 0.85 },
        encoding: {
          x: { ...x, field: 't', title: last ? 'time since start (s)' : null, axis: last ? {} : { labels: false, ticks: false } },
          y: { ...y, field: 'free', title: first.bystander ? 'MemFree + held (MiB)' : 'MemFree (MiB)' },
          color: repColor,
          detail: { field: 'rep', type: 'nominal' },
        },
      },
      {
        data: { values: [{ threshold: first.thresholdBytes / MiB }] },
        mark: { type: 'rule', color: '#6b7280', strokeDash: [4, 3] },
        encoding: { y: { ...y, field: 'threshold' } },
      },
    ];
    if (answers.length > 0) {
      layers.push({
        data: { values: answers },
        mark: { type: 'point', aria: false, shape: 'triangle-down', filled: true, color: '#dc2626', size: 40, opacity: 0.7 },
        encoding: { x: { ...x, field: 't' }, y: { ...y, field: 'free' } },
      });
    }
    const sum = (f: (r: RunRecord) => number): string => runs.map(f).join('/');
    const held = first.bystander ? `; the bystander's ${(first.bystander.bytes / MiB).toFixed(0)} MiB held for the budget counted as free` : '';
    const subtitle = `${runs.length} run${runs.length > 1 ? 's' : ''} (${runs.map((r) => `rep ${r.rep}`).join(', ')}): ${sum((r) => r.result!.sigballoonCount)} signals, ${sum((r) => r.result!.swapOutCalls)} swap-out calls${held}`;
    return { title: { text: policy, subtitle, subtitleColor: '#6b7280', fontSize: 12 }, width: 880, height: 90, layer: layers };
  });
  return {
    vconcat: panels,
    spacing: 14,
  } satisfies TopLevelSpec;
}

/** The heatmap's colours: 0 references is the scheme's first colour. */
const HEAT_SCALE = { scheme: 'viridis', type: 'sqrt', zero: true } as const;

/**
 * References (reference string) or pages found accessed (profiler scans)
 * per (time bucket, page bucket); every bucket is drawn, empty ones in the
 * colour scale's zero colour.
 */
export function heatmapChart(h: Heatmap): TopLevelSpec {
  const measured = h.source === 'profiler-scans';
  return {
    width: 820,
    height: 200,
    data: { values: h.cells },
    mark: { type: 'rect', aria: false },
    encoding: {
      x: { field: 't0', type: 'quantitative', title: measured ? 'time since the run started (s)' : 'reference index (time →)', scale: { nice: false, zero: true }, axis: { grid: false } },
      x2: { field: 't1' },
      y: { field: 'a0', type: 'quantitative', title: 'page number', scale: { nice: false, zero: true, reverse: true }, axis: { grid: false } },
      y2: { field: 'a1' },
      color: { field: 'count', type: 'quantitative', title: measured ? 'pages accessed' : 'references', scale: HEAT_SCALE },
    },
  } satisfies TopLevelSpec;
}
