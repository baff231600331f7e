/**
 * The report's figures: each chart with its file name, its title and its
 * caption (the key to its marks), which the HTML and the Markdown print
 * around it; the graphic itself carries no title (pure).
 */
import type { TopLevelSpec } from 'vega-lite';
import { freeMemoryChart, heatmapChart, runtimeChart, swapIoChart } from './charts.js';
import { latencyTimelineChart } from './latency-chart.js';
import type { BucketSize, Heatmap } from './heatmap.js';
import type { WorkloadSummary } from './summary.js';

export interface Figure {
  /** File name without extension, unique in the report: `<workload>-<chart>`. */
  name: string;
  title: string;
  caption: string;
  /** Spans the page's width in the HTML. */
  wide: boolean;
  spec: TopLevelSpec;
}

/** Where the figures go, relative to report.html and report.md. */
export const FIGURES_DIR = 'figures';

/** A name safe as a file name on every system: letters, digits, `-` and `_`. */
export const fileSafe = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '_');

const n = (x: number): string => x.toLocaleString('en-US');

/** `64 pages`, or `102–103 pages` when the buckets differ by one. */
export function bucketText(b: BucketSize, unit: string): string {
  return `${b.min === b.max ? n(b.min) : `${n(b.min)}–${n(b.max)}`} ${unit}${b.max === 1 ? '' : 's'}`;
}

const SPREAD_KEY = 'Bar: median; line: min–max over the repetitions; dot: one run.';

export function swapIoFigure(w: WorkloadSummary): Figure {
  const min = w.bound === null ? '' : ` Dashed red: the swap-ins of Belady's MIN (${n(w.bound.minSwapIns)}).`;
  return {
    name: `${fileSafe(w.workload)}-swap-io`,
    title: `Swap I/O per policy (${w.workload})`,
    caption: `Pages swapped in and out (pswpin / pswpout deltas of the guest during the run). ${SPREAD_KEY}${min}`,
    wide: false,
    spec: swapIoChart(w),
  };
}

export function runtimeFigure(w: WorkloadSummary): Figure {
  return { name: `${fileSafe(w.workload)}-runtime`, title: `Runtime per policy (${w.workload})`, caption: `Wall time of the workload. ${SPREAD_KEY}`, wide: false, spec: runtimeChart(w) };
}

export function freeMemoryFigure(w: WorkloadSummary): Figure | null {
  const spec = freeMemoryChart(w);
  if (spec === null) return null;
  return {
    name: `${fileSafe(w.workload)}-free-memory`,
    title: `Free memory over time, every repetition (${w.workload})`,
    caption:
      'One panel per policy, one line per repetition. MemFree sampled in the guest, plus the memory the kernel baseline\'s bystander holds for the budget: ' +
      'the series the threshold deficit is computed on. Dashed: the threshold; ▼: an answer to SIGBALLOON, at the free memory the signal reported.',
    wide: true,
    spec,
  };
}

export function heatmapFigure(workload: string, h: Heatmap): Figure {
  const caption =
    h.source === 'profiler-scans'
      ? `Measured: the profiler's scans in the ${h.policy} run (its first successful repetition), ${n(h.scans)} scans over ${h.seconds.toFixed(1)} s, ${n(h.pages)} pages. ` +
        `Each row is a bucket of ${bucketText(h.pagesPerRow, 'page')} (${h.rows} rows), each column ${h.secondsPerColumn.toFixed(2)} s (${h.columns} columns); ` +
        'the colour is the number of the row\'s pages that the column\'s scans found accessed since the scan before (square-root scale); a bucket without one has the scale\'s zero colour.'
      : `Reference-string heatmap: computed on the host from the workload's reference string (no run of the workload carries profiler scans): ` +
        `${h.spec.name}, ${n(h.spec.pages)} pages, ${n(h.references)} references. ` +
        `Each row is a bucket of ${bucketText(h.pagesPerRow, 'page')} (${h.rows} rows), each column a bucket of ${bucketText(h.referencesPerColumn, 'reference')} (${h.columns} columns); ` +
        'the colour is the number of references to the row\'s pages in the column\'s stretch of time (square-root scale); a bucket without a reference has the scale\'s zero colour.';
  return { name: `${fileSafe(workload)}-heatmap`, title: `Access heatmap (${workload})`, caption, wide: true, spec: heatmapChart(h) };
}

export function latencyFigure(w: WorkloadSummary): Figure | null {
  const spec = latencyTimelineChart(w);
  if (spec === null) return null;
  return {
    name: `${fileSafe(w.workload)}-latency`,
    title: `Answers to SIGBALLOON, per run (${w.workload})`,
    caption:
      'Each answer to a SIGBALLOON, in ms after the send (the addon\'s handler stamp), on a scale linear below 1 ms and logarithmic above: ' +
      'the bar ends when the last swap-out call returned (when the answer ended if none did); ticks where the JavaScript listener ran, ' +
      'the victims were chosen and the first call started. One panel per run, with its percentiles.',
    wide: true,
    spec,
  };
}

/** A workload's figures in the report's order, and what is said instead of a missing one. */
export function workloadFigures(w: WorkloadSummary, heat: Heatmap | null): { figures: Figure[]; notes: string[] } {
  const figures = [swapIoFigure(w), runtimeFigure(w)];
  const notes: string[] = [];
  const free = freeMemoryFigure(w);
  if (free === null) notes.push('No successful run with a free-memory series: no free-memory plot.');
  else figures.push(free);
  const latency = latencyFigure(w);
  if (latency !== null) figures.push(latency);
  else if (w.okRuns.some((r) => r.result!.answers.length > 0)) notes.push('No latency timeline: the answers were recorded without stage times.');
  if (heat === null) notes.push('No access heatmap: the workload\'s scale is unknown or its reference string too long.');
  else figures.push(heatmapFigure(w.workload, heat));
  return { figures, notes };
}
