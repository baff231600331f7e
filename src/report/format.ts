/** Number formatting shared by the Markdown and HTML reports. */
import type { Comparison, PolicySummary, Spread } from './summary.js';
import { formatBytes } from '../workloads/sizes.js';

export const fmtInt = (n: number | null): string => (n === null ? '–' : Math.round(n).toLocaleString('en-US'));
export const fmtSeconds = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
export const fmtRatio = (r: number | null): string => (r === null ? '–' : `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`);
export const fmtNumber = (n: number | null, digits = 1): string => (n === null ? '–' : n.toFixed(digits));
export const fmtBytes = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '–' : formatBytes(n);

/** `median (min–max)` over the repetitions; the median alone when they agree or there is one. */
export function fmtSpread(s: Spread | null, fmt: (n: number | null) => string): string {
  if (s === null) return '–';
  const [median, min, max] = [fmt(s.median), fmt(s.min), fmt(s.max)];
  return min === max ? median : `${median} (${min}–${max})`;
}

/** The per-workload table: header and one row of text cells per policy. */
export const TABLE_HEADER = [
  'policy',
  'runs ok/failed',
  'swap-ins',
  'swap-outs',
  'runtime',
  'signals',
  'swap-out calls',
  'threshold deficit (MiB·s)',
  'swap-ins vs kernel',
  'swap-ins vs MIN',
  'runtime vs kernel',
] as const;

/** How a column's cells line up: text to the left, figures to the right. */
export type Align = 'left' | 'right';

/** The per-workload table's alignment: the policy's name, then figures. */
export const TABLE_ALIGN: readonly Align[] = TABLE_HEADER.map((_, i) => (i === 0 ? 'left' : 'right'));

/**
 * A comparison's cell: a ratio; against a base of 0, the figure itself and
 * no ratio (`fmtValue` formats it); a run below MIN, an error.
 */
export function fmtComparison(c: Comparison | null, base: string, fmtValue: (n: number) => string = fmtInt): string {
  if (c === null) return '–';
  switch (c.kind) {
    case 'ratio':
      return fmtRatio(c.ratio);
    case 'zero-base':
      return `${fmtValue(c.value)} (${base} 0)`;
    case 'below-bound':
      return `ERROR: ${fmtInt(c.value)} < MIN ${fmtInt(c.bound)}`;
  }
}

/** The table's row for Belady's MIN: its simulated swap-ins and swap-outs; no ratio against itself. */
export function minRow(bound: { minSwapIns: number; minSwapOuts: number }): string[] {
  return ['MIN (simulated)', '–', fmtInt(bound.minSwapIns), fmtInt(bound.minSwapOuts), '–', '–', '–', '–', '–', '–', '–'];
}

export function tableRow(p: PolicySummary): string[] {
  const med = (x: Spread | null): number | null => x?.median ?? null;
  return [
    p.policy,
    `${p.ok}/${p.failed}`,
    fmtSpread(p.swapIns, fmtInt),
    fmtSpread(p.swapOuts, fmtInt),
    fmtSpread(p.wallMs, fmtSeconds),
    fmtInt(med(p.signals)),
    fmtInt(med(p.swapOutCalls)),
    fmtSpread(p.deficitMiBs, (n) => fmtNumber(n)),
    fmtComparison(p.swapInsVsKernel, 'kernel'),
    fmtComparison(p.swapInsVsMin, 'MIN'),
    fmtComparison(p.wallVsKernel, 'kernel', (ms) => fmtSeconds(ms)),
  ];
}
