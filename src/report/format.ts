/** Number formatting shared by the Markdown and HTML reports. */
import type { PolicySummary } from './summary.js';
import { formatBytes } from '../workloads/sizes.js';

export const fmtInt = (n: number | null): string => (n === null ? '–' : Math.round(n).toLocaleString('en-US'));
export const fmtSeconds = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
export const fmtRatio = (r: number | null): string => (r === null ? '–' : `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`);
export const fmtNumber = (n: number | null, digits = 1): string => (n === null ? '–' : n.toFixed(digits));
export const fmtBytes = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '–' : formatBytes(n);

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

/** The table's row for Belady's MIN: its simulated swap-ins and swap-outs, and 1.00× against itself. */
export function minRow(bound: { minSwapIns: number; minSwapOuts: number }): string[] {
  return ['MIN (simulated)', '–', fmtInt(bound.minSwapIns), fmtInt(bound.minSwapOuts), '–', '–', '–', '–', '–', '1.00×', '–'];
}

export function tableRow(p: PolicySummary): string[] {
  return [
    p.policy,
    `${p.ok}/${p.failed}`,
    fmtInt(p.swapIns),
    fmtInt(p.swapOuts),
    fmtSeconds(p.wallMs),
    fmtInt(p.signals),
    fmtInt(p.swapOutCalls),
    fmtNumber(p.deficitMiBs),
    fmtRatio(p.swapInsVsKernel),
    fmtRatio(p.swapInsVsMin),
    fmtRatio(p.wallVsKernel),
  ];
}
