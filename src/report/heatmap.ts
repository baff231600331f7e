/**
 * The access heatmap: measured, from the profiler's scans that a run
 * recorded (RunResult.accessMap: pages found accessed per time bucket and
 * page bucket); for runs without them (the kernel baseline alone, or results
 * recorded before), computed from the workload's reference string (the same
 * string the run used): references per time bucket and page bucket.
 */
import type { AccessMap } from '../agent/index.js';
import { makeSpec, referenceCount, referenceString, type WorkloadSpec } from '../workloads/index.js';

export interface HeatCell {
  /** Time range [t0, t1): reference indices (reference string), or seconds since the run started (profiler scans). */
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

export type Heatmap = ReferenceHeatmap | ScanHeatmap;

/** Computed on the host from the workload's reference string. */
export interface ReferenceHeatmap {
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

/** Measured: the profiler's scans in one run. */
export interface ScanHeatmap {
  source: 'profiler-scans';
  /** The run the scans come from. */
  policy: string;
  pages: number;
  /** Scans drawn, and the time they span (s since the run started, to the last scan). */
  scans: number;
  seconds: number;
  rows: number;
  pagesPerRow: BucketSize;
  columns: number;
  /** Each column's stretch of time (s). */
  secondsPerColumn: number;
  /** Every (time, page) bucket: count = pages found accessed there, summed over the column's scans. */
  cells: HeatCell[];
}

/**
 * The heatmap of a run's profiler scans: columns are equal stretches of
 * time from the run's start to its last scan (at most timeBuckets, and no
 * more than there are scans), rows the access map's page buckets. Null
 * without a scan.
 */
export function scanHeatmap(map: AccessMap, policy: string, timeBuckets = 60): ScanHeatmap | null {
  const scans = map.scans;
  if (scans.length === 0 || map.rows < 1) return null;
  const T = Math.min(timeBuckets, scans.length);
  const A = map.rows;
  // Columns cover [0, end): the last scan falls in the last column.
  const endMs = Math.max(...scans.map((s) => s.tMs)) + 1;
  const counts = new Float64Array(T * A);
  for (const scan of scans) {
    const t = Math.min(T - 1, Math.floor((scan.tMs * T) / endMs));
    for (let a = 0; a < A; a++) counts[t * A + a]! += scan.accessed[a] ?? 0;
  }
  const cells: HeatCell[] = [];
  for (let t = 0; t < T; t++) {
    for (let a = 0; a < A; a++) {
      cells.push({
        t0: (t * endMs) / T / 1000,
        t1: ((t + 1) * endMs) / T / 1000,
        a0: bucketStart(a, map.pages, A),
        a1: bucketStart(a + 1, map.pages, A),
        count: counts[t * A + a]!,
      });
    }
  }
  return {
    source: 'profiler-scans',
    policy,
    pages: map.pages,
    scans: scans.length,
    seconds: endMs / 1000,
    rows: A,
    pagesPerRow: bucketSize(map.pages, A),
    columns: T,
    secondsPerColumn: endMs / T / 1000,
    cells,
  };
}

/** Above this many references the heatmap is not computed (memory and time). */
export const HEATMAP_MAX_REFERENCES = 64 * 1024 * 1024;

export function referenceHeatmap(spec: WorkloadSpec, timeBuckets = 60, addressBuckets = 40): ReferenceHeatmap | null {
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
