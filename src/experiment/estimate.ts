/**
 * How long a run is expected to take, before it starts: from an earlier
 * bench on this machine when there is one with the same set-up, else from a
 * rough model of a run under TCG. The progress line corrects it as runs end.
 */
import type { SwapDeviceRates } from '../harness/swap-device.js';
import { makeSpec, PAGE_BYTES, referenceCount, type WorkloadName } from '../workloads/index.js';
import type { Cell, ExperimentMatrix } from './matrix.js';

/**
 * The model, fitted to the benches of 2026-12-03 under TCG with one vCPU on the
 * build machines. At the course's scale (2 GiB, 5 passes: 1,835,008 references,
 * 524,288 pages) the balloon runs' references took 15-16 s and the check of every
 * page about 30 s; the six runs of kernel and balloon took 17 min 51 s with their
 * resets. A run costs about 0.02 ms per reference (page faults included), 0.06 ms
 * per page for the check that reads every page back, 20 s for Node.js starting,
 * ssh and the guest's reset, and the swap device's time.
 */
export const TCG_MS_PER_REFERENCE = 0.02;
export const TCG_MS_PER_PAGE_CHECKED = 0.06;
/** Per run: Node.js starting, ssh, the guest's reset (swapoff reads swap back through the device). */
export const RUN_OVERHEAD_MS = 20_000;
/**
 * Swap traffic per reference, for the device model's share: about 0.4
 * swap-ins and 0.6 swap-outs per reference (the kernel baseline of the 576 MiB
 * bench made 182,000 swap-ins and 231,000 swap-outs in 295,000 references; at the
 * course's scale 0.72 and 0.89, in a third of the device's time once merged; the
 * agent policies far fewer).
 */
export const SWAP_INS_PER_REFERENCE = 0.4;
export const SWAP_OUTS_PER_REFERENCE = 0.6;
/** Swap-ins per read request: the kernel reads swap ahead in clusters of 2^page-cluster = 8 pages. */
export const SWAP_INS_PER_REQUEST = 8;

/**
 * The model's estimate for one run, in ms. `throttle`: what the swap device is limited to
 * (none: unlimited). QEMU holds each request until both its IOPS and its bandwidth budget allow
 * it, so the device's share is the larger of the two, not their sum.
 */
export function modelRunMs(workload: WorkloadName, matrix: Pick<ExperimentMatrix, 'passes' | 'seed'>, sizeBytes: number, throttle: SwapDeviceRates | null): number {
  const pages = Math.floor(sizeBytes / PAGE_BYTES);
  const references = referenceCount(makeSpec(workload, pages, matrix.passes ?? undefined, matrix.seed));
  const byRequests = throttle?.iops ? (references * SWAP_INS_PER_REFERENCE * 1000) / SWAP_INS_PER_REQUEST / throttle.iops : 0;
  const byBytes = throttle?.bytesPerSecond ? (references * (SWAP_INS_PER_REFERENCE + SWAP_OUTS_PER_REFERENCE) * PAGE_BYTES * 1000) / throttle.bytesPerSecond : 0;
  return Math.round(references * TCG_MS_PER_REFERENCE + pages * TCG_MS_PER_PAGE_CHECKED + Math.max(byRequests, byBytes) + RUN_OVERHEAD_MS);
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
