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

export interface Workload {
  name: string;
  description: string;
  trace: Uint32Array;
  memoryPages: number;
}

/**
 * The standard workloads at a given memory size (pages); each trace is about
 * `length` references.
 */
export function standardWorkloads(o: { memoryPages: number; length: number; seed: number }): Workload[] {
  const m = o.memoryPages;
  const length = o.length;
  const seed = o.seed;
  return [
    { name: 'sequential', description: `loop over ${2 * m} pages`, trace: sequentialSweep({ pages: 2 * m, length }), memoryPages: m },
    { name: 'uniform', description: `uniform over ${2 * m} pages`, trace: uniformRandom({ pages: 2 * m, length, seed }), memoryPages: m },
    { name: 'zipf', description: `zipf(1.0) over ${4 * m} pages`, trace: zipf({ pages: 4 * m, length, exponent: 1, seed }), memoryPages: m },
    {
      name: 'moving-ws',
      description: `working set ${Math.floor(0.8 * m)} pages moving by ${Math.floor(m / 4)} every ${m * 8} refs`,
      trace: movingWorkingSet({ pages: 8 * m, workingSetPages: Math.floor(0.8 * m), shiftPages: Math.floor(m / 4), phaseLength: m * 8, length, seed }),
      memoryPages: m,
    },
    { name: 'strided', description: `stride 16 over ${2 * m} pages`, trace: strided({ pages: 2 * m, stride: 16, length }), memoryPages: m },
    {
      name: 'course-test',
      description: `buffer of ${Math.floor(1.5 * m)} pages written once, first half incremented`,
      trace: courseTest({ bufferPages: Math.floor(1.5 * m), rounds: Math.max(1, Math.floor(length / Math.floor(0.75 * m))) }),
      memoryPages: m,
    },
    {
      name: 'sweep+hot',
      description: `hot set ${Math.floor(m / 2)} pages (30% of refs) + sweep over ${4 * m} pages`,
      trace: sweepPlusHotSet({ hotPages: Math.floor(m / 2), sweepPages: 4 * m, hotFraction: 0.3, length, seed }),
      memoryPages: m,
    },
    {
      name: 'mix',
      description: 'zipf, then sweep+hot, then moving working set',
      trace: concatTraces([
        zipf({ pages: 4 * m, length: Math.floor(length / 3), exponent: 1, seed: seed + 1 }),
        sweepPlusHotSet({ hotPages: Math.floor(m / 2), sweepPages: 3 * m, hotFraction: 0.3, length: Math.floor(length / 3), seed: seed + 2 }),
        movingWorkingSet({ pages: 4 * m, workingSetPages: Math.floor(0.8 * m), shiftPages: Math.floor(m / 4), phaseLength: m * 8, length: length - 2 * Math.floor(length / 3), seed: seed + 3 }),
      ]),
      memoryPages: m,
    },
  ];
}
