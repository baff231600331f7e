/** `balloon report <results-dir>`: report.html and report.md from a results directory. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freeMemoryChart, heatmapChart, runtimeChart, swapIoChart } from './charts.js';
import { referenceHeatmap, specFor } from './heatmap.js';
import { renderHtml, type WorkloadCharts } from './html.js';
import { latencyTimelineChart } from './latency-chart.js';
import { loadResults } from './load.js';
import { renderMarkdown } from './markdown.js';
import { buildModel, type ReportModel } from './model.js';
import { renderSvg } from './render.js';

export interface ReportOptions {
  /** Where report.html and report.md go (default: the results directory). */
  out?: string;
  now?: Date;
}

export interface ReportFiles {
  html: string;
  markdown: string;
}

async function chartsFor(w: ReportModel['workloads'][number]): Promise<WorkloadCharts> {
  const notes: string[] = [];
  const free = freeMemoryChart(w);
  if (free === null) notes.push('No successful run with a free-memory series: no free-memory plot.');
  const first = w.okRuns[0]?.result;
  const scale = first ? { pages: first.pages, passes: first.passes, seed: first.seed } : w.bound ? { pages: w.bound.pages, passes: w.bound.passes, seed: w.bound.seed } : null;
  const spec = specFor(w.workload, scale);
  const heat = spec === null ? null : referenceHeatmap(spec);
  if (heat === null) notes.push('No access heatmap: the workload\'s scale is unknown or its reference string too long.');
  const latency = latencyTimelineChart(w);
  if (latency === null && w.okRuns.some((r) => r.result!.answers.length > 0)) notes.push('No latency timeline: the answers were recorded without stage times.');
  return {
    swapIo: await renderSvg(swapIoChart(w)),
    runtime: await renderSvg(runtimeChart(w)),
    freeMemory: free === null ? null : await renderSvg(free),
    heatmap: heat === null ? null : await renderSvg(heatmapChart(heat)),
    latency: latency === null ? null : await renderSvg(latency),
    notes,
  };
}

export async function writeReport(dir: string, options: ReportOptions = {}): Promise<ReportFiles> {
  const data = await loadResults(dir);
  const model = buildModel(data, options.now);
  const charts = new Map<string, WorkloadCharts>();
  for (const w of model.workloads) charts.set(w.workload, await chartsFor(w));
  const out = options.out ?? dir;
  const files = { html: path.join(out, 'report.html'), markdown: path.join(out, 'report.md') };
  await writeFile(files.html, renderHtml(model, charts));
  await writeFile(files.markdown, renderMarkdown(model));
  return files;
}
