/**
 * The summary `balloon report` prints to the terminal (as `damo report`
 * does): per workload, each policy's swap-ins, swap-outs, wall time and
 * threshold deficit as ratios of its medians to the kernel baseline's.
 * Plain aligned text, pure.
 */
import { fmtInt, fmtNumber, fmtSeconds, type Align } from './format.js';
import type { PolicySummary, Spread, WorkloadSummary } from './summary.js';

/** Shown for a ratio without a base: the kernel's figure is 0 or missing (or the policy's). */
export const NO_RATIO = '—';

/** `0.82x`; two decimals below 10, one above. */
export function fmtTimes(value: number | null, base: number | null): string {
  if (value === null || base === null || base === 0 || !Number.isFinite(value) || !Number.isFinite(base)) return NO_RATIO;
  const r = value / base;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}x`;
}

/** Columns padded to their widest cell: text to the left, figures to the right, two spaces between. */
export function alignColumns(rows: readonly (readonly string[])[], align: readonly Align[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (align[i] === 'right' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

const HEADER = ['policy', 'ok/failed', 'swap-ins', 'swap-outs', 'wall time', 'deficit', 'deficit (MiB·s)'] as const;
const ALIGN: readonly Align[] = ['left', 'right', 'right', 'right', 'right', 'right', 'right'];

const med = (s: Spread | null | undefined): number | null => s?.median ?? null;

function row(p: PolicySummary, kernel: PolicySummary | undefined): string[] {
  const vs = (f: (x: PolicySummary) => Spread | null): string => fmtTimes(med(f(p)), kernel === undefined ? null : med(f(kernel)));
  return [p.policy, `${p.ok}/${p.failed}`, vs((x) => x.swapIns), vs((x) => x.swapOuts), vs((x) => x.wallMs), vs((x) => x.deficitMiBs), fmtNumber(med(p.deficitMiBs))];
}

/** What the ratios are taken against, for the line above a workload's table. */
function baselineLine(w: WorkloadSummary, kernel: PolicySummary | undefined): string {
  if (kernel === undefined) return `${w.workload}: no kernel baseline (policy kernel) in these runs, so no ratios`;
  if (kernel.ok === 0) return `${w.workload}: the kernel baseline has no successful run, so no ratios`;
  const n = kernel.ok === 1 ? '1 run' : `median of ${kernel.ok} runs`;
  return (
    `${w.workload}: kernel baseline (${n}): ${fmtInt(med(kernel.swapIns))} swap-ins, ${fmtInt(med(kernel.swapOuts))} swap-outs, ` +
    `${fmtSeconds(med(kernel.wallMs))}, deficit ${fmtNumber(med(kernel.deficitMiBs))} MiB·s`
  );
}

/** One table per workload, then how to read them; ends with a newline. */
export function terminalSummary(workloads: readonly WorkloadSummary[]): string {
  const blocks = workloads.map((w) => {
    const kernel = w.policies.find((p) => p.policy === 'kernel');
    return [baselineLine(w, kernel), ...alignColumns([[...HEADER], ...w.policies.map((p) => row(p, kernel))], ALIGN).map((l) => `  ${l}`)].join('\n');
  });
  const legend =
    `Ratios of each policy's median to the kernel baseline's (below 1x is better); ${NO_RATIO}: the kernel's figure is 0 or missing.\n` +
    'Deficit: the threshold deficit, how far and how long free memory stayed below the threshold (MiB·s).';
  return `${[...blocks, legend].join('\n\n')}\n`;
}
