/** The report's charts as Vega-Lite specs (pure: data in, spec out). */
import type { TopLevelSpec } from 'vega-lite';
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

/** Swap-ins and swap-outs (median pages) per policy, with MIN's swap-ins as a rule. */
export function swapIoChart(w: WorkloadSummary): TopLevelSpec {
  const values = w.policies.flatMap((p) => [
    { policy: p.policy, kind: 'swap-ins', pages: p.swapIns },
    { policy: p.policy, kind: 'swap-outs', pages: p.swapOuts },
  ]).filter((v) => v.pages !== null);
  const order = w.policies.map((p) => p.policy);
  const layers: unknown[] = [
    {
      data: { values },
      mark: { type: 'bar', cornerRadiusTopLeft: 2, cornerRadiusTopRight: 2 },
      encoding: {
        x: { field: 'policy', type: 'nominal', sort: order, title: null, axis: { labelAngle: 0 } },
        xOffset: { field: 'kind', type: 'nominal', sort: ['swap-ins', 'swap-outs'] },
        y: { field: 'pages', type: 'quantitative', title: 'pages (median)' },
        color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['swap-ins', 'swap-outs'], range: ['#4c78a8', '#f58518'] }, legend: { orient: 'top' } },
      },
    },
  ];
  if (w.bound !== null) {
    layers.push(
      { data: { values: [{ min: w.bound.minSwapIns }] }, mark: { type: 'rule', color: '#dc2626', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { y: { field: 'min', type: 'quantitative' } } },
    );
  }
  const subtitle = w.bound === null ? 'median pages per run' : `median pages per run; dashed red: MIN swap-ins (${w.bound.minSwapIns.toLocaleString('en-US')})`;
  return { title: { text: 'Swap I/O per policy', subtitle, subtitleColor: '#6b7280' }, width: WIDTH, height: 220, layer: layers } as TopLevelSpec;
}

/** Runtime per policy: the median as a bar, every successful run as a dot. */
export function runtimeChart(w: WorkloadSummary): TopLevelSpec {
  const order = w.policies.map((p) => p.policy);
  const medians = w.policies.filter((p) => p.wallMs !== null).map((p) => ({ policy: p.policy, seconds: p.wallMs! / 1000 }));
  const runs = w.okRuns.map((r) => ({ policy: r.policy, rep: r.rep, seconds: r.result!.wallMs / 1000 }));
  return {
    title: { text: 'Runtime per policy', subtitle: 'bar: median; dot: one run', subtitleColor: '#6b7280' },
    width: WIDTH,
    height: 220,
    layer: [
      {
        data: { values: medians },
        mark: { type: 'bar', color: '#9ecae9', cornerRadiusTopLeft: 2, cornerRadiusTopRight: 2 },
        encoding: {
          x: { field: 'policy', type: 'nominal', sort: order, title: null, axis: { labelAngle: 0 } },
          y: { field: 'seconds', type: 'quantitative', title: 'wall time (s)' },
        },
      },
      {
        data: { values: runs },
        mark: { type: 'point', filled: true, color: '#1f3b5a', size: 36, opacity: 0.85 },
        encoding: { x: { field: 'policy', type: 'nominal', sort: order }, y: { field: 'seconds', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

/** One run per policy (the first successful one). */
export function representativeRuns(w: WorkloadSummary): RunRecord[] {
  return w.policies.map((p) => w.okRuns.filter((r) => r.policy === p.policy).sort((a, b) => a.rep - b.rep)[0]).filter((r): r is RunRecord => r !== undefined);
}

/**
 * Free memory over time, one panel per policy, with the threshold (dashed)
 * and each answer to a SIGBALLOON (a triangle at its start, at the free
 * memory the signal reported). Free memory is measured against the budget:
 * MemFree plus the memory the kernel baseline's bystander holds, the series
 * the threshold deficit is computed on (run-metrics.ts).
 */
export function freeMemoryChart(w: WorkloadSummary, maxPoints = 600): TopLevelSpec | null {
  const runs = representativeRuns(w).filter((r) => r.result!.freeMemory.series.length > 0);
  if (runs.length === 0) return null;
  const plotted = new Map(runs.map((r) => [r, budgetSeries(r.result!)]));
  const xMax = Math.max(...runs.map((r) => Math.max(r.result!.wallMs, ...plotted.get(r)!.map((s) => s.tMs)))) / 1000;
  const yMax = Math.max(...runs.map((r) => Math.max(r.result!.thresholdBytes, ...plotted.get(r)!.map((s) => s.freeBytes)))) / MiB;
  const x = { type: 'quantitative', scale: { domain: [0, xMax], nice: false } } as const;
  const y = { type: 'quantitative', scale: { domain: [0, yMax * 1.05], nice: false } } as const;
  const panels = runs.map((r, i) => {
    const res = r.result!;
    // Thinned for the plot without changing the deficit the table shows (run-metrics.ts).
    const series = thinKeepingDeficit(plotted.get(r)!, res.thresholdBytes, maxPoints).map((s) => ({ t: s.tMs / 1000, free: s.freeBytes / MiB }));
    const answers = thin(res.answers, 1500).map((a) => ({ t: a.startMs / 1000, free: a.freeBytesAtSignal / MiB, freed: a.pagesFreed }));
    const last = i === runs.length - 1;
    const layers: unknown[] = [
      {
        data: { values: series },
        mark: { type: 'area', line: { color: '#4c78a8', strokeWidth: 1.5 }, color: '#4c78a8', opacity: 0.15 },
        encoding: {
          x: { ...x, field: 't', title: last ? 'time since start (s)' : null, axis: last ? {} : { labels: false, ticks: false } },
          y: { ...y, field: 'free', title: res.bystander ? 'MemFree + held (MiB)' : 'MemFree (MiB)' },
        },
      },
      {
        data: { values: [{ threshold: res.thresholdBytes / MiB }] },
        mark: { type: 'rule', color: '#6b7280', strokeDash: [4, 3] },
        encoding: { y: { ...y, field: 'threshold' } },
      },
    ];
    if (answers.length > 0) {
      layers.push({
        data: { values: answers },
        mark: { type: 'point', aria: false, shape: 'triangle-down', filled: true, color: '#dc2626', size: 50, opacity: 0.85 },
        encoding: { x: { ...x, field: 't' }, y: { ...y, field: 'free' } },
      });
    }
    const held = res.bystander ? `; the bystander's ${(res.bystander.bytes / MiB).toFixed(0)} MiB held for the budget counted as free` : '';
    const subtitle = `${res.sigballoonCount} signals, ${res.answers.length} answers, ${res.swapOutCalls} swap-out calls (rep ${r.rep})${held}`;
    return { title: { text: r.policy, subtitle, subtitleColor: '#6b7280', fontSize: 12 }, width: 880, height: 90, layer: layers };
  });
  return {
    title: 'Free memory over time (dashed: threshold; ▼: SIGBALLOON answers)',
    vconcat: panels,
    spacing: 14,
  } as TopLevelSpec;
}

/** References per (time bucket, page bucket). */
export function heatmapChart(h: Heatmap): TopLevelSpec {
  return {
    title: { text: `Access heatmap (reference-string heatmap: ${h.spec.name}, ${h.spec.pages.toLocaleString('en-US')} pages, ${h.references.toLocaleString('en-US')} references)` },
    width: 820,
    height: 200,
    data: { values: h.cells },
    mark: { type: 'rect', aria: false },
    encoding: {
      x: { field: 't0', type: 'quantitative', title: 'reference index (time →)', scale: { nice: false, zero: true } },
      x2: { field: 't1' },
      y: { field: 'a0', type: 'quantitative', title: 'page number', scale: { nice: false, zero: true, reverse: true } },
      y2: { field: 'a1' },
      color: { field: 'count', type: 'quantitative', title: 'references', scale: { scheme: 'viridis', type: 'sqrt', zero: true } },
    },
  } as TopLevelSpec;
}
