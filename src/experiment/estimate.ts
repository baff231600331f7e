/**
 * How long a run is expected to take, before it starts: from an earlier
 * bench on this machine when there is one with the same set-up, else from a
 * rough model of a run under TCG. The progress line corrects it as runs end.
 */
import type { SwapDeviceRates } from '../harness/swap-device.js';
import { makeSpec, PAGE_BYTES, referenceCount, type WorkloadName } from '../workloads/index.js';
import type { Cell, ExperimentMatrix } from './matrix.js';

/**
 * Under TCG on the build machines, a run costs about 0.15 ms per reference:
 * the last single-run bench (768 MiB guest, 576 MiB workloads, 2 passes,
 * about 295,000 references, unthrottled swap) took 31–51 s per run.
 */
export const TCG_MS_PER_REFERENCE = 0.15;
/** Per run: Node.js starting, the integrity check, the guest's reset, ssh. */
export const RUN_OVERHEAD_MS = 10_000;
/**
 * Swap traffic per reference, for the device model's share: about 0.4
 * swap-ins and 0.6 swap-outs per reference (the kernel baseline of that bench
 * made 182,000 swap-ins and 231,000 swap-outs in 295,000 references; the
 * agent policies far fewer), each swap-in one request.
 */
export const SWAP_INS_PER_REFERENCE = 0.4;
export const SWAP_OUTS_PER_REFERENCE = 0.6;

/** The model's estimate for one run, in ms. `throttle`: what the swap device is limited to (none: unlimited). */
export function modelRunMs(workload: WorkloadName, matrix: Pick<ExperimentMatrix, 'passes' | 'seed'>, sizeBytes: number, throttle: SwapDeviceRates | null): number {
  const references = referenceCount(makeSpec(workload, Math.floor(sizeBytes / PAGE_BYTES), matrix.passes ?? undefined, matrix.seed));
  let deviceMs = 0;
  if (throttle?.iops) deviceMs += (references * SWAP_INS_PER_REFERENCE * 1000) / throttle.iops;
  if (throttle?.bytesPerSecond) deviceMs += (references * (SWAP_INS_PER_REFERENCE + SWAP_OUTS_PER_REFERENCE) * PAGE_BYTES * 1000) / throttle.bytesPerSecond;
  return Math.round(references * TCG_MS_PER_REFERENCE + deviceMs + RUN_OVERHEAD_MS);
}

/** A finished run of an earlier bench: which cell, how long. */
export interface PastRun {
  workload: string;
  policy: string;
  durationMs: number;
}

/**
 * Each cell's expected duration: the median of the earlier runs of the same
 * workload and policy when every cell has some, else the model for all (a mix
 * of the two would be neither).
 */
export function expectedRunMs(
  cells: readonly Cell[],
  past: readonly PastRun[],
  model: (cell: Cell) => number,
): { expectedMs: (cell: Cell) => number; source: 'earlier-bench' | 'model' } {
  const medians = new Map<string, number>();
  const key = (workload: string, policy: string): string => `${workload}\0${policy}`;
  for (const k of new Set(past.map((r) => key(r.workload, r.policy)))) {
    const d = past.filter((r) => key(r.workload, r.policy) === k).map((r) => r.durationMs).sort((a, b) => a - b);
    const mid = d.length >> 1;
    medians.set(k, d.length % 2 === 1 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2);
  }
  if (cells.length > 0 && cells.every((c) => medians.has(key(c.workload, c.policy)))) {
    return { expectedMs: (c) => medians.get(key(c.workload, c.policy))!, source: 'earlier-bench' };
  }
  return { expectedMs: model, source: 'model' };
}
