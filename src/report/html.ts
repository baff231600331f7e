/** report.html: one self-contained page (inline CSS and SVG, no script, no external URL). */
import { TABLE_HEADER, fmtInt, minRow, tableRow } from './format.js';
import type { ReportModel } from './model.js';

export interface WorkloadCharts {
  swapIo: string;
  runtime: string;
  freeMemory: string | null;
  heatmap: string | null;
  /** The answers' latency timeline (latency-chart.ts); null or absent without timed answers. */
  latency?: string | null;
  /** Said instead of a missing chart. */
  notes: string[];
}

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CSS = `
:root { --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f6f7f9; --card: #fff; --accent: #4c78a8; --bad: #b91c1c; --good: #15803d; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 32px 24px 48px; }
header.page { margin-bottom: 24px; }
h1 { font-size: 26px; margin: 0 0 6px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 20px 0 8px; color: var(--muted); font-weight: 600; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #e0ecf8; color: #1e40af; }
.badge.interrupted, .badge.running { background: #fef3c7; color: #92400e; }
.badge.complete { background: #dcfce7; color: var(--good); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; margin: 0 0 24px; box-shadow: 0 1px 2px rgba(0,0,0,0.03); }
.desc { color: var(--muted); margin: 0 0 12px; }
dl.setup { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.setup dt { color: var(--muted); }
dl.setup dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-word; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; border-bottom: 2px solid var(--line); white-space: normal; vertical-align: bottom; }
th:first-child, td:first-child { text-align: left; }
tbody tr:hover { background: #f9fafb; }
tr.min td { color: var(--bad); font-style: italic; }
tr.baseline td:first-child { font-weight: 600; }
td.failed { color: var(--bad); font-weight: 600; }
.charts { display: grid; align-items: start; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 16px; margin-top: 16px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; overflow-x: auto; }
figure.wide { grid-column: 1 / -1; }
figcaption { color: var(--muted); font-size: 12px; padding: 4px 6px 0; }
.note { color: var(--muted); font-style: italic; }
.tunables { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 12px; }
.tunables code { background: #f3f4f6; border: 1px solid var(--line); border-radius: 6px; padding: 1px 6px; font-size: 12px; }
details { border-top: 1px solid var(--line); padding: 8px 0; }
summary { cursor: pointer; }
pre { background: #0f172a; color: #e2e8f0; padding: 12px; border-radius: 6px; overflow-x: auto; font-size: 12px; }
.errors { border-color: #fca5a5; background: #fef2f2; }
.errors h2, .errors strong { color: var(--bad); }
footer { color: var(--muted); font-size: 12px; text-align: center; }
`;

function table(model: ReportModel['workloads'][number]): string {
  const head = `<tr>${TABLE_HEADER.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr>`;
  const rows = model.policies.map((p) => {
    const cells = tableRow(p).map((c, i) => `<td${i === 1 && p.failed > 0 ? ' class="failed"' : ''}>${esc(c)}</td>`).join('');
    return `<tr${p.policy === 'kernel' ? ' class="baseline"' : ''}>${cells}</tr>`;
  });
  if (model.bound !== null) {
    const b = model.bound;
    const cells = minRow(b);
    rows.push(`<tr class="min" title="Belady's MIN on the reference string, ${b.memoryPages} pages of memory">${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  }
  return `<div class="table-wrap"><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export function renderHtml(model: ReportModel, charts: ReadonlyMap<string, WorkloadCharts>): string {
  const statusWord = model.status.split(':')[0] ?? '';
  const setup = model.setup.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const tunables = model.tunables.length === 0 ? '' : `<div class="tunables">${model.tunables.map(([k, v]) => `<code>${esc(k)} = ${esc(v)}</code>`).join('')}</div>`;
  const sections = model.workloads.map((w) => {
    const c = charts.get(w.workload);
    const figures: string[] = [];
    if (c) {
      figures.push(`<figure>${c.swapIo}<figcaption>pswpin / pswpout deltas of the guest during the run.</figcaption></figure>`);
      figures.push(`<figure>${c.runtime}<figcaption>Wall time of the workload.</figcaption></figure>`);
      if (c.freeMemory !== null) figures.push(`<figure class="wide">${c.freeMemory}<figcaption>MemFree sampled in the guest, plus the memory the kernel baseline's bystander holds for the budget: the series the threshold deficit is computed on.</figcaption></figure>`);
      if (c.latency) figures.push(`<figure class="wide">${c.latency}<figcaption>Each answer to a SIGBALLOON, in ms after the send (the addon's handler stamp): the bar ends when the last swap-out call returned (when the answer ended if none did); ticks where the JavaScript listener ran, the victims were chosen and the first call started.</figcaption></figure>`);
      if (c.heatmap !== null) figures.push(`<figure class="wide">${c.heatmap}<figcaption>Reference-string heatmap: computed on the host from the workload's reference string (runs carry no profiler scan data).</figcaption></figure>`);
      for (const n of c.notes) figures.push(`<p class="note">${esc(n)}</p>`);
    }
    return `<section class="card" id="w-${esc(w.workload)}">
<h2>${esc(w.workload)}</h2>${w.description ? `<p class="desc">${esc(w.description)}.</p>` : ''}
${table(w)}
<div class="charts">${figures.join('\n')}</div>
</section>`;
  });
  const errors = model.errors.length === 0 ? '' : `<section class="card errors"><h2>Errors</h2><ul>${model.errors.map((e) => `<li><strong>ERROR</strong> ${esc(e)}</li>`).join('')}</ul></section>`;
  const failed = model.failures.length === 0 ? '' : `<section class="card"><h2>Failed runs</h2>${model.failures.map((f) => `<details><summary>run ${f.index + 1}: ${esc(f.workload)}/${esc(f.policy)} rep ${f.rep}: <strong>${esc(f.failure ?? '')}</strong> ${esc(f.error ?? '')}</summary>${f.stderrTail ? `<pre>${esc(f.stderrTail)}</pre>` : '<p class="note">no stderr</p>'}</details>`).join('')}</section>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(model.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="page">
<h1>${esc(model.title)}</h1>
<span class="badge ${esc(statusWord)}">${esc(model.status)}</span>
</header>
${errors}
<section class="card">
<h2>Set-up</h2>
<dl class="setup">${setup}</dl>${tunables}
<p class="desc" style="margin-top:12px">Medians over the successful runs, with their range (min–max) where the repetitions differ. Swap-ins and swap-outs are pages (pswpin, pswpout deltas); “vs kernel” divides by the kernel baseline’s median, “vs MIN” by the swap-ins of Belady’s MIN on the same reference string with the memory the runs had; where the base is 0 the figure itself is shown, not a ratio. The threshold deficit counts the kernel baseline’s locked bystander as free, so that every policy is measured against the same budget.</p>
</section>
${sections.join('\n')}
${failed}
<footer>Generated by <code>balloon report</code> at ${esc(model.generatedAt)}.</footer>
</main>
</body>
</html>
`;
}
