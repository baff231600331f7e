import { AgentError } from './errors.js';
import { Prng } from './prng.js';

/**
 * Page reference strings (one page number per reference) for the standard
 * workloads. All generators are deterministic for a given seed.
 */

function requirePositive(values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isInteger(value) || value <= 0) throw new AgentError(`trace parameter ${name} must be a positive integer`, { name, value });
  }
}

/** 0, 1, ..., pages-1, 0, 1, ... (a loop bigger than memory defeats LRU). */
export function sequentialSweep(o: { pages: number; length: number }): Uint32Array {
  requirePositive(o);
  const trace = new Uint32Array(o.length);
  for (let i = 0; i < o.length; i++) trace[i] = i % o.pages;
  return trace;
}

export function uniformRandom(o: { pages: number; length: number; seed: number }): Uint32Array {
  requirePositive({ pages: o.pages, length: o.length });
  const prng = new Prng(o.seed);
  const trace = new Uint32Array(o.length);
  for (let i = 0; i < o.length; i++) trace[i] = prng.nextInt(o.pages);
  return trace;
}

/**
 * Zipf(exponent) popularity over `pages`; ranks are scattered over the page
 * numbers by a seeded permutation so hot pages are not all adjacent.
 */
export function zipf(o: { pages: number; length: number; exponent: number; seed: number }): Uint32Array {
  requirePositive({ pages: o.pages, length: o.length });
  const prng = new Prng(o.seed);
  const cdf = new Float64Array(o.pages);
  let sum = 0;
  for (let rank = 0; rank < o.pages; rank++) {
    sum += 1 / Math.pow(rank + 1, o.exponent);
    cdf[rank] = sum;
  }
  const permutation = new Uint32Array(o.pages);
  for (let i = 0; i < o.pages; i++) permutation[i] = i;
  for (let i = o.pages - 1; i > 0; i--) {
    const j = prng.nextInt(i + 1);
    const t = permutation[i]!;
    permutation[i] = permutation[j]!;
    permutation[j] = t;
  }
  const trace = new Uint32Array(o.length);
  for (let i = 0; i < o.length; i++) {
    const u = prng.next() * sum;
    let lo = 0;
    let hi = o.pages - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    trace[i] = permutation[lo]!;
  }
  return trace;
}

/**
 * Uniform references inside a working set of `workingSetPages` that moves by
 * `shiftPages` every `phaseLength` references (wrapping around `pages`).
 */
export function movingWorkingSet(o: {
  pages: number;
  workingSetPages: number;
  shiftPages: number;
  phaseLength: number;
  length: number;
  seed: number;
}): Uint32Array {
  requirePositive({ pages: o.pages, workingSetPages: o.workingSetPages, phaseLength: o.phaseLength, length: o.length });
  const prng = new Prng(o.seed);
  const trace = new Uint32Array(o.length);
  for (let i = 0; i < o.length; i++) {
    const base = Math.floor(i / o.phaseLength) * o.shiftPages;
    trace[i] = (base + prng.nextInt(o.workingSetPages)) % o.pages;
  }
  return trace;
}

/** Every `stride`-th page, then the next offset, ... covering all pages, repeated. */
export function strided(o: { pages: number; stride: number; length: number }): Uint32Array {
  requirePositive(o);
  const trace = new Uint32Array(o.length);
  let offset = 0;
  let page = 0;
  for (let i = 0; i < o.length; i++) {
    trace[i] = page;
    page += o.stride;
    if (page >= o.pages) {
      offset = (offset + 1) % Math.min(o.stride, o.pages);
      page = offset;
    }
  }
  return trace;
}

/**
 * The course test: a buffer of `bufferPages` written once, then its first
 * half incremented `rounds` times.
 */
export function courseTest(o: { bufferPages: number; rounds: number }): Uint32Array {
  requirePositive(o);
  const half = Math.floor(o.bufferPages / 2);
  const trace = new Uint32Array(o.bufferPages + half * o.rounds);
  let n = 0;
  for (let p = 0; p < o.bufferPages; p++) trace[n++] = p;
  for (let r = 0; r < o.rounds; r++) for (let p = 0; p < half; p++) trace[n++] = p;
  return trace;
}

/**
 * A hot set (pages [0, hotPages)) referenced uniformly with probability
 * `hotFraction`, interleaved with a sequential sweep over
 * [hotPages, hotPages + sweepPages) that wraps around.
 */
export function sweepPlusHotSet(o: {
  hotPages: number;
  sweepPages: number;
  hotFraction: number;
  length: number;
  seed: number;
}): Uint32Array {
  requirePositive({ hotPages: o.hotPages, sweepPages: o.sweepPages, length: o.length });
  const prng = new Prng(o.seed);
  const trace = new Uint32Array(o.length);
  let sweep = 0;
  for (let i = 0; i < o.length; i++) {
    if (prng.next() < o.hotFraction) trace[i] = prng.nextInt(o.hotPages);
    else {
      trace[i] = o.hotPages + sweep;
      sweep = (sweep + 1) % o.sweepPages;
    }
  }
  return trace;
}

/**
 * The region written once in order (pages 0 .. pages-1), then a loop over
 * its first `loopPages` pages until `length` references.
 */
export function writeThenLoop(o: { pages: number; loopPages: number; length: number }): Uint32Array {
  requirePositive(o);
  const trace = new Uint32Array(o.length);
  for (let i = 0; i < o.length; i++) trace[i] = i < o.pages ? i : (i - o.pages) % o.loopPages;
  return trace;
}

/**
 * Scan resistance, the textbook test: a hot set (pages [0, hotPages)) used
 * alone for `warmupReferences` uniform references, then `scans` sequential
 * scans over [hotPages, hotPages + scanPages), each scan page touched once
 * per scan, with one uniform hot reference after every `scanRun` scan pages.
 */
export function hotSetWithScans(o: { hotPages: number; scanPages: number; warmupReferences: number; scans: number; scanRun: number; seed: number }): Uint32Array {
  requirePositive({ hotPages: o.hotPages, scanPages: o.scanPages, scans: o.scans, scanRun: o.scanRun });
  const prng = new Prng(o.seed);
  const trace = new Uint32Array(hotSetWithScansLength(o));
  let n = 0;
  for (let i = 0; i < o.warmupReferences; i++) trace[n++] = prng.nextInt(o.hotPages);
  for (let s = 0; s < o.scans; s++) {
    for (let p = 0; p < o.scanPages; p++) {
      trace[n++] = o.hotPages + p;
      if ((p + 1) % o.scanRun === 0) trace[n++] = prng.nextInt(o.hotPages);
    }
  }
  return trace;
}

/** Length of hotSetWithScans' trace. */
export function hotSetWithScansLength(o: { scanPages: number; warmupReferences: number; scans: number; scanRun: number }): number {
  return o.warmupReferences + o.scans * (o.scanPages + Math.floor(o.scanPages / o.scanRun));
}

/**
 * Phases with noise: every `phaseLength` references the working set (a run
 * of `workingSetPages` pages, wrapping around `pages`) jumps to a new place
 * (`jumpPages` further on); a fraction `noise` of the references goes to
 * uniformly random pages of the whole region instead.
 */
export function noisyPhases(o: { pages: number; workingSetPages: number; jumpPages: number; phaseLength: number; noise: number; length: number; seed: number }): Uint32Array {
  requirePositive({ pages: o.pages, workingSetPages: o.workingSetPages, phaseLength: o.phaseLength, length: o.length });
  const prng = new Prng(o.seed);
  const trace = new Uint32Array(o.length);
  for (let i = 0; i < o.length; i++) {
    const base = Math.floor(i / o.phaseLength) * o.jumpPages;
    trace[i] = prng.next() < o.noise ? prng.nextInt(o.pages) : (base + prng.nextInt(o.workingSetPages)) % o.pages;
  }
  return trace;
}

/**
 * Three streams interleaved at random (each reference picks one with equal
 * probability): a loop over [0, loopPages), Zipf(1.0) over the next
 * `zipfPages` pages (ranks scattered), and a sequential scan over the next
 * `scanPages` pages that wraps around.
 */
export function interleavedStreams(o: { loopPages: number; zipfPages: number; scanPages: number; length: number; seed: number }): Uint32Array {
  requirePositive({ loopPages: o.loopPages, zipfPages: o.zipfPages, scanPages: o.scanPages, length: o.length });
  const prng = new Prng(o.seed);
  const zipfRefs = zipf({ pages: o.zipfPages, length: o.length, exponent: 1, seed: o.seed + 1 });
  const trace = new Uint32Array(o.length);
  let loop = 0;
  let scan = 0;
  for (let i = 0; i < o.length; i++) {
    const stream = prng.nextInt(3);
    if (stream === 0) {
      trace[i] = loop;
      loop = (loop + 1) % o.loopPages;
    } else if (stream === 1) {
      trace[i] = o.loopPages + zipfRefs[i]!;
    } else {
      trace[i] = o.loopPages + o.zipfPages + scan;
      scan = (scan + 1) % o.scanPages;
    }
  }
  return trace;
}

/**
 * A drifting window: uniform references inside a run of `windowPages` pages
 * whose start moves steadily through the region (wrapping around `pages`),
 * by `pages` pages over the whole trace.
 */
export function driftingWindow(o: { pages: number; windowPages: number; length: number; seed: number }): Uint32Array {
  requirePositive(o);
  const prng = new Prng(o.seed);
  const trace = new Uint32Array(o.length);
  for (let i = 0; i < o.length; i++) {
    const start = Math.floor((i * o.pages) / o.length);
    trace[i] = (start + prng.nextInt(o.windowPages)) % o.pages;
  }
  return trace;
}

/** Concatenation of traces (phases of different behaviour over one address space). */
export function concatTraces(parts: readonly Uint32Array[]): Uint32Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const trace = new Uint32Array(length);
  let offset = 0;
  for (const part of parts) {
    trace.set(part, offset);
    offset += part.length;
  }
  return trace;
}

/** Number of distinct page numbers needed to index a trace's pages (max + 1). */
export function tracePageCount(trace: Uint32Array): number {
  let max = -1;
  for (let i = 0; i < trace.length; i++) if (trace[i]! > max) max = trace[i]!;
  return max + 1;
}

/** Bytes per reference in a recorded reference string (one uint32 page number). */
export const TRACE_BYTES_PER_REFERENCE = 4;

/**
 * A reference string as the bytes of a trace file: one little-endian uint32
 * page number per reference (what `balloon run --trace` writes and
 * `balloon simulate --trace` reads).
 */
export function encodeReferenceString(trace: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(trace.length * TRACE_BYTES_PER_REFERENCE);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < trace.length; i++) view.setUint32(i * TRACE_BYTES_PER_REFERENCE, trace[i]!, true);
  return bytes;
}

/**
 * The reference string in a trace file's bytes (see encodeReferenceString).
 * Refuses an empty file and a length that is not a whole number of
 * references, naming `source` (the file) in the error.
 */
export function decodeReferenceString(bytes: Uint8Array, source = 'trace'): Uint32Array {
  if (bytes.length === 0) {
    throw new AgentError(`${source} is empty: a trace holds one little-endian uint32 page number per reference (balloon run --trace writes one)`, { source });
  }
  if (bytes.length % TRACE_BYTES_PER_REFERENCE !== 0) {
    throw new AgentError(
      `${source} is ${bytes.length} bytes, not a multiple of ${TRACE_BYTES_PER_REFERENCE}: a trace holds one little-endian uint32 page number per reference; the file is truncated or not a trace`,
      { source, bytes: bytes.length },
    );
  }
  const trace = new Uint32Array(bytes.length / TRACE_BYTES_PER_REFERENCE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < trace.length; i++) trace[i] = view.getUint32(i * TRACE_BYTES_PER_REFERENCE, true);
  return trace;
}
