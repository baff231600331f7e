/**
 * Figures the report derives from a run's own records, so that the table and
 * the plots come from one computation: the free-memory series measured
 * against the budget (MemFree plus what the kernel baseline's bystander holds)
 * and its threshold deficit (src/metrics/deficit.ts has the definition).
 */
import type { RunResult } from '../shared/run-result.js';
import { budgetFreeSeries, thresholdDeficitMiBs, type FreeMemorySample } from '../metrics/deficit.js';

type DeficitInputs = Pick<RunResult, 'thresholdBytes' | 'bystander'> & { freeMemory: Pick<RunResult['freeMemory'], 'series'> };

/** Memory held for the budget during the run: the bystander's, or 0 for an agent run. */
export const heldBytes = (r: Pick<RunResult, 'bystander'>): number => r.bystander?.bytes ?? 0;

/** The series the report plots: MemFree plus the held memory, sample by sample. */
export const budgetSeries = (r: DeficitInputs): FreeMemorySample[] => budgetFreeSeries(r.freeMemory.series, heldBytes(r));

/** The run's threshold deficit (MiB·s), from the series the report plots. */
export const runDeficitMiBs = (r: DeficitInputs): number => thresholdDeficitMiBs(budgetSeries(r), r.thresholdBytes);

/**
 * At most about `max` samples for a plot, without changing the deficit: every
 * sample below the threshold is kept with both its neighbours, so the only
 * samples dropped lie, with their neighbours, at or above the threshold, where
 * the deficit is 0 before and after. The rest is thinned evenly (first and last
 * kept). The deficit of the result is the deficit of the series, exactly.
 */
export function thinKeepingDeficit(series: readonly FreeMemorySample[], thresholdBytes: number, max: number): FreeMemorySample[] {
  const n = series.length;
  if (n <= max) return [...series];
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  for (let i = 0; i < n; i++) {
    if (series[i]!.freeBytes < thresholdBytes) {
      keep[i] = 1;
      if (i > 0) keep[i - 1] = 1;
      if (i + 1 < n) keep[i + 1] = 1;
    }
  }
  const step = n / max;
  for (let k = 0; k < max; k++) keep[Math.floor(k * step)] = 1;
  return series.filter((_, i) => keep[i] === 1);
}
