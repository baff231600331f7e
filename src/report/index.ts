/**
 * `balloon report <results-dir>`: report.html and report.md from a results
 * directory, every chart also as its own SVG file in figures/ next to them.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeDirectories } from '../shared/make-directories.js';
import { FIGURES_DIR, workloadFigures } from './figures.js';
import { referenceHeatmap, scanHeatmap, specFor, type Heatmap } from './heatmap.js';
import { renderHtml, type WorkloadCharts } from './html.js';
import { loadResults } from './load.js';
import { renderMarkdown, type FigureLink } from './markdown.js';
import { buildModel, type ReportModel } from './model.js';
import { renderSvgFile, toInline } from './render.js';
import { terminalSummary } from './terminal.js';

export interface ReportOptions {
  /** Where report.html, report.md and figures/ go (default: the results directory). */
  out?: string;
  now?: Date;
}

export interface ReportFiles {
  html: string;
  markdown: string;
  /** Every chart as a standalone SVG file (figures/<workload>-<chart>.svg), in the report's order. */
  figures: string[];
  /** The short summary for the terminal (terminal.ts), not a file. */
  summary: string;
}

/**
 * The workload's heatmap: measured, from the profiler's scans of a run that
 * recorded them (the balloon policy's first, else any agent policy's);
 * else from the reference string as its runs (or its MIN simulation) ran
 * it; null when unknown or too long.
 */
function heatmapFor(w: ReportModel['workloads'][number]): Heatmap | null {
  const scanned = w.okRuns
    .map((r) => r.result!)
    .filter((r) => (r.accessMap?.scans.length ?? 0) > 0)
    .sort((a, b) => Number(b.policy === 'balloon') - Number(a.policy === 'balloon'));
  if (scanned.length > 0) return scanHeatmap(scanned[0]!.accessMap!, scanned[0]!.policy);
  const first = w.okRuns[0]?.result;
  const scale = first ? { pages: first.pages, passes: first.passes, seed: first.seed } : w.bound ? { pages: w.bound.pages, passes: w.bound.passes, seed: w.bound.seed } : null;
  const spec = specFor(w.workload, scale);
  return spec === null ? null : referenceHeatmap(spec);
}

/** Renders a workload's figures, writes each to figures/, and returns them for the page and report.md. */
async function writeFigures(w: ReportModel['workloads'][number], out: string): Promise<WorkloadCharts & { files: string[] }> {
  const { figures, notes } = workloadFigures(w, heatmapFor(w));
  const rendered: WorkloadCharts['figures'] = [];
  const files: string[] = [];
  for (const f of figures) {
    const svg = await renderSvgFile(f.spec);
    const file = path.join(out, FIGURES_DIR, `${f.name}.svg`);
    await writeFile(file, svg);
    files.push(file);
    rendered.push({ title: f.title, caption: f.caption, wide: f.wide, svg: toInline(svg), file: `${FIGURES_DIR}/${f.name}.svg` });
  }
  return { figures: rendered, notes, files };
}

export async function writeReport(dir: string, options: ReportOptions = {}): Promise<ReportFiles> {
  const data = await loadResults(dir);
  const model = buildModel(data, options.now);
  const out = options.out ?? dir;
  await makeDirectories(path.join(out, FIGURES_DIR));
  const charts = new Map<string, WorkloadCharts>();
  const links = new Map<string, FigureLink[]>();
  const figures: string[] = [];
  for (const w of model.workloads) {
    const c = await writeFigures(w, out);
    charts.set(w.workload, c);
    links.set(w.workload, c.figures.map(({ file, title, caption }) => ({ file, title, caption })));
    figures.push(...c.files);
  }
  const files = { html: path.join(out, 'report.html'), markdown: path.join(out, 'report.md') };
  await writeFile(files.html, renderHtml(model, charts));
  await writeFile(files.markdown, renderMarkdown(model, links));
  return { ...files, figures, summary: terminalSummary(model.workloads) };
}
