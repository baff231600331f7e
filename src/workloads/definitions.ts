/**
 * The workloads: names, parameters and their page reference strings. The
 * reference strings come from the agent's trace generators (src/agent/trace.ts),
 * so the simulator and the real run see the same pattern.
 */
import {
  concatTraces,
  courseTest,
  driftingWindow,
  hotSetWithScans,
  hotSetWithScansLength,
  interleavedStreams,
  movingWorkingSet,
  noisyPhases,
  sequentialSweep,
  strided,
  sweepPlusHotSet,
  uniformRandom,
  writeThenLoop,
  zipf,
} from '../agent/index.js';

/**
 * The one list of workload names: `balloon run`, `balloon simulate`,
 * `balloon experiment` and the benchmarks all use it.
 */
export const WORKLOAD_NAMES = [
  'course',
  'sweep',
  'random',
  'zipf',
  'phases',
  'strided',
  'sweep-hot',
  'mix',
  'loop',
  'hot-scan',
  'noisy-phases',
  'interleaved',
  'drift',
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export const WORKLOAD_DESCRIPTIONS: Record<WorkloadName, string> = {
  course: 'the course test: the buffer written once, then its first half incremented, pass after pass',
  sweep: 'sequential sweeps over the whole region',
  random: 'uniformly random pages',
  zipf: 'Zipf(1.0)-skewed pages (hot and cold pages scattered over the region)',
  phases: 'a working set of a quarter of the region, moving by half its size every phase',
  strided: 'every 16th page, then the next offset, covering the region',
  'sweep-hot': 'a hot eighth of the region (30% of references) plus a sweep over the rest',
  mix: 'zipf, then sweep-hot, then phases, over the same region',
  loop: 'the region written once, then loops over its first 60% (1.2 x memory at simulate\'s default size: a loop just larger than memory)',
  'hot-scan': 'a hot quarter of the region used alone, then one sequential scan of the rest per pass with a hot reference every 2 scan pages',
  'noisy-phases': 'a working set of 35% of the region that jumps to a disjoint place every phase, with 10% of references anywhere',
  interleaved: 'three streams at random: a loop over 30% of the region, Zipf(1.0) over the next 30%, a sequential scan over the rest',
  drift: 'uniform references in a window of 45% of the region that drifts steadily through it (once over all passes)',
};

/** Default passes (references ≈ passes × pages; for course, passes of the first half). */
export const DEFAULT_PASSES: Record<WorkloadName, number> = {
  course: 10,
  sweep: 3,
  random: 3,
  zipf: 3,
  phases: 3,
  strided: 3,
  'sweep-hot': 3,
  mix: 3,
  loop: 6,
  'hot-scan': 2,
  'noisy-phases': 8,
  interleaved: 6,
  drift: 4,
};

export interface WorkloadSpec {
  name: WorkloadName;
  /** Region size in pages (4 KiB). */
  pages: number;
  passes: number;
  seed: number;
}

export function isWorkloadName(name: string): name is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(name);
}

/** Error for arguments refused before anything runs. */
export class WorkloadArgumentError extends Error {
  override name = 'WorkloadArgumentError';
}

export function checkWorkloadName(name: string): WorkloadName {
  if (!isWorkloadName(name)) {
    throw new WorkloadArgumentError(`unknown workload "${name}"; valid workloads: ${WORKLOAD_NAMES.join(', ')}`);
  }
  return name;
}

/** Smallest region every workload can use (the generators need a few pages per part). */
export const MIN_WORKLOAD_PAGES = 16;

export function makeSpec(name: string, pages: number, passes?: number, seed = 1): WorkloadSpec {
  const n = checkWorkloadName(name);
  if (!Number.isSafeInteger(pages) || pages < MIN_WORKLOAD_PAGES) {
    throw new WorkloadArgumentError(`workload size must be at least ${MIN_WORKLOAD_PAGES} pages (${MIN_WORKLOAD_PAGES * 4} KiB), got ${pages} page${pages === 1 ? '' : 's'}`);
  }
  const p = passes ?? DEFAULT_PASSES[n];
  if (!Number.isSafeInteger(p) || p <= 0) throw new WorkloadArgumentError(`passes must be a positive integer, got ${p}`);
  if (!Number.isSafeInteger(seed)) throw new WorkloadArgumentError(`seed must be an integer, got ${seed}`);
  return { name: n, pages, passes: p, seed };
}

/** Parameters of hot-scan: the hot set is a quarter of the region, warmed by 6 references per hot page. */
function hotScanShape(spec: WorkloadSpec): { hotPages: number; scanPages: number; warmupReferences: number; scans: number; scanRun: number } {
  const hotPages = Math.max(1, Math.floor(spec.pages / 4));
  return { hotPages, scanPages: spec.pages - hotPages, warmupReferences: 6 * hotPages, scans: spec.passes, scanRun: 2 };
}

/** References the workload makes (without generating them). */
export function referenceCount(spec: WorkloadSpec): number {
  if (spec.name === 'course') return spec.pages + Math.floor(spec.pages / 2) * spec.passes;
  if (spec.name === 'hot-scan') return hotSetWithScansLength(hotScanShape(spec));
  return spec.pages * spec.passes;
}

/** Passes that make the workload about `references` references long (at least 1). */
export function passesForReferences(name: WorkloadName, pages: number, references: number): number {
  const spec = makeSpec(name, pages, 1);
  const once = referenceCount(spec);
  const perPass = referenceCount({ ...spec, passes: 2 }) - once;
  return Math.max(1, Math.round((references - (once - perPass)) / perPass));
}

/** Largest reference string generated in one piece (4 bytes per reference). */
export const MAX_REFERENCES = 2 ** 30;

/** The workload's page reference string: page numbers in [0, pages). */
export function referenceString(spec: WorkloadSpec): Uint32Array {
  const { pages, passes, seed } = spec;
  const length = referenceCount(spec);
  if (length > MAX_REFERENCES) {
    throw new WorkloadArgumentError(`${spec.name} with ${pages} pages and ${passes} passes makes ${length} references, more than ${MAX_REFERENCES}; use a smaller size or fewer passes`);
  }
  const ws = Math.max(1, Math.floor(pages / 4));
  const phases = (len: number, s: number): Uint32Array =>
    movingWorkingSet({ pages, workingSetPages: ws, shiftPages: Math.max(1, Math.floor(ws / 2)), phaseLength: ws * 4, length: len, seed: s });
  const hot = Math.max(1, Math.floor(pages / 8));
  const sweepHot = (len: number, s: number): Uint32Array =>
    sweepPlusHotSet({ hotPages: hot, sweepPages: pages - hot, hotFraction: 0.3, length: len, seed: s });
  switch (spec.name) {
    case 'course':
      return courseTest({ bufferPages: pages, rounds: passes });
    case 'sweep':
      return sequentialSweep({ pages, length });
    case 'random':
      return uniformRandom({ pages, length, seed });
    case 'zipf':
      return zipf({ pages, length, exponent: 1, seed });
    case 'phases':
      return phases(length, seed);
    case 'strided':
      return strided({ pages, stride: 16, length });
    case 'sweep-hot':
      return sweepHot(length, seed);
    case 'loop':
      return writeThenLoop({ pages, loopPages: Math.max(1, Math.floor(0.6 * pages)), length });
    case 'hot-scan':
      return hotSetWithScans({ ...hotScanShape(spec), seed });
    case 'noisy-phases': {
      const workingSetPages = Math.max(1, Math.floor(0.35 * pages));
      return noisyPhases({ pages, workingSetPages, jumpPages: Math.floor(0.45 * pages), phaseLength: 4 * workingSetPages, noise: 0.1, length, seed });
    }
    case 'interleaved': {
      const part = Math.max(1, Math.floor(0.3 * pages));
      return interleavedStreams({ loopPages: part, zipfPages: part, scanPages: pages - 2 * part, length, seed });
    }
    case 'drift':
      return driftingWindow({ pages, windowPages: Math.max(1, Math.floor(0.45 * pages)), length, seed });
    case 'mix': {
      const third = Math.floor(length / 3);
      return concatTraces([
        zipf({ pages, length: third, exponent: 1, seed: seed + 1 }),
        sweepHot(third, seed + 2),
        phases(length - 2 * third, seed + 3),
      ]);
    }
  }
}

/** Every `every`-th reference (every = 1: the string itself). */
export function sampleReferences(trace: Uint32Array, every: number): Uint32Array {
  if (!Number.isSafeInteger(every) || every < 1) throw new WorkloadArgumentError(`sample interval must be a positive integer, got ${every}`);
  if (every === 1) return trace;
  const out = new Uint32Array(Math.ceil(trace.length / every));
  for (let i = 0, j = 0; i < trace.length; i += every, j++) out[j] = trace[i]!;
  return out;
}
