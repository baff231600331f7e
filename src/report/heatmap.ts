/**
 * The access heatmap. Runs do not carry the profiler's scan data, so it is
 * computed from the workload's reference string (the same string the run
 * used): references per (time bucket, address bucket).
 */
import { makeSpec, referenceCount, referenceString, type WorkloadSpec } from '../workloads/index.js';

export interface HeatCell {
  /** Reference index range [t0, t1). */
  t0: number;
  t1: number;
  /** Page range [a0, a1). */
  a0: number;
  a1: number;
  count: number;
}

/** The size of a bucket: every bucket holds from `min` to `max` (they differ by one when the range does not divide evenly). */
export interface BucketSize {
  min: number;
  max: number;
}

export interface Heatmap {
  source: 'reference-string';
  spec: WorkloadSpec;
  references: number;
  /** Address buckets (rows) and their size in pages. */
  rows: number;
  pagesPerRow: BucketSize;
  /** Time buckets (columns) and their size in references. */
  columns: number;
  referencesPerColumn: BucketSize;
  /** Every (time, address) bucket, those without a reference too (count 0: the colour scale's zero). */
  cells: HeatCell[];
}

/**
 * Where bucket `i` of `k` over `n` items starts: item j falls in bucket
 * floor(j k / n), so bucket i holds the items from ceil(i n / k) up to, not
 * including, ceil((i + 1) n / k).
 */
export const bucketStart = (i: number, n: number, k: number): number => Math.ceil((i * n) / k);

/** The smallest and largest of the k buckets over n items (n >= k >= 1). */
export function bucketSize(n: number, k: number): BucketSize {
  const sizes = Array.from({ length: k }, (_, i) => bucketStart(i + 1, n, k) - bucketStart(i, n, k));
  return { min: Math.min(...sizes), max: Math.max(...sizes) };
}

/** Above this many references the heatmap is not computed (memory and time). */
export const HEATMAP_MAX_REFERENCES = 64 * 1024 * 1024;

export function referenceHeatmap(spec: WorkloadSpec, timeBuckets = 60, addressBuckets = 40): Heatmap | null {
  const n = referenceCount(spec);
  if (n === 0 || n > HEATMAP_MAX_REFERENCES) return null;
  const trace = referenceString(spec);
  const T = Math.min(timeBuckets, trace.length);
  const A = Math.min(addressBuckets, spec.pages);
  const counts = new Float64Array(T * A);
  for (let i = 0; i < trace.length; i++) {
    const t = Math.floor((i * T) / trace.length);
    const a = Math.min(A - 1, Math.floor((trace[i]! * A) / spec.pages));
    counts[t * A + a]! += 1;
  }
  const cells: HeatCell[] = [];
  for (let t = 0; t < T; t++) {
    for (let a = 0; a < A; a++) {
      const count = counts[t * A + a]!;
      cells.push({
        t0: bucketStart(t, trace.length, T),
        t1: bucketStart(t + 1, trace.length, T),
        a0: bucketStart(a, spec.pages, A),
        a1: bucketStart(a + 1, spec.pages, A),
        count,
      });
    }
  }
  return {
    source: 'reference-string',
    spec,
    references: trace.length,
    rows: A,
    pagesPerRow: bucketSize(spec.pages, A),
    columns: T,
    referencesPerColumn: bucketSize(trace.length, T),
    cells,
  };
}

/** The workload's spec as the runs used it: from a run, else from the simulation. */
export function specFor(workload: string, from: { pages: number; passes: number; seed: number } | null): WorkloadSpec | null {
  if (from === null) return null;
  try {
    return makeSpec(workload, from.pages, from.passes, from.seed);
  } catch {
    return null;
  }
}
