import { describe, expect, it } from 'vitest';
import { courseTest, tracePageCount } from '../../../src/agent/index.js';
import {
  checkRegionBytes,
  checkWorkloadName,
  defaultRegionBytes,
  makeSpec,
  parseSize,
  passesForReferences,
  referenceCount,
  referenceString,
  sampleReferences,
  WORKLOAD_NAMES,
  WorkloadArgumentError,
} from '../../../src/workloads/index.js';

describe('workload definitions', () => {
  it('has the thirteen workloads, one list for the CLI and the benchmarks', () => {
    expect(WORKLOAD_NAMES).toEqual(['course', 'sweep', 'random', 'zipf', 'phases', 'strided', 'sweep-hot', 'mix', 'loop', 'hot-scan', 'noisy-phases', 'interleaved', 'drift']);
  });

  it('refuses unknown names, listing the valid ones', () => {
    expect(() => checkWorkloadName('lru')).toThrow(WorkloadArgumentError);
    expect(() => checkWorkloadName('sequential')).toThrow(
      'unknown workload "sequential"; valid workloads: course, sweep, random, zipf, phases, strided, sweep-hot, mix, loop, hot-scan, noisy-phases, interleaved, drift',
    );
  });

  it.each(WORKLOAD_NAMES)('%s: reference string in range, of the announced length, deterministic', (name) => {
    const spec = makeSpec(name, 300, 2, 7);
    const trace = referenceString(spec);
    expect(trace.length).toBe(referenceCount(spec));
    expect(tracePageCount(trace)).toBeLessThanOrEqual(300);
    expect(Array.from(referenceString(spec))).toEqual(Array.from(trace));
  });

  it('course is the agent\'s course test: the buffer once, then its first half per pass', () => {
    const t = referenceString(makeSpec('course', 16, 3));
    expect(Array.from(t)).toEqual(Array.from(courseTest({ bufferPages: 16, rounds: 3 })));
    expect(Array.from(t.subarray(0, 16))).toEqual([...Array(16).keys()]);
    expect(Array.from(t.subarray(16, 24))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(t.length).toBe(16 + 3 * 8);
  });

  it('sweep covers every page in order, pass after pass', () => {
    const t = referenceString(makeSpec('sweep', 20, 2));
    expect(Array.from(t)).toEqual([...[...Array(20).keys()], ...[...Array(20).keys()]]);
  });

  it('zipf is skewed: the hottest page is referenced far more than average', () => {
    const t = referenceString(makeSpec('zipf', 1000, 10));
    const counts = new Uint32Array(1000);
    for (const p of t) counts[p]!++;
    expect(Math.max(...counts)).toBeGreaterThan(50 * (t.length / 1000));
  });

  it('loop: the region written once, then loops over its first 60%', () => {
    const t = referenceString(makeSpec('loop', 20, 3));
    expect(t.length).toBe(60);
    expect(Array.from(t.subarray(0, 20))).toEqual([...Array(20).keys()]);
    expect(Array.from(t.subarray(20, 44))).toEqual([...[...Array(12).keys()], ...[...Array(12).keys()]]);
  });

  it('hot-scan: a hot quarter used alone, then per pass one scan of the rest with a hot reference every 2 scan pages', () => {
    const spec = makeSpec('hot-scan', 64, 2);
    const t = referenceString(spec);
    const warmup = 6 * 16;
    expect(t.length).toBe(warmup + 2 * (48 + 24));
    expect(Array.from(t.subarray(0, warmup)).every((p) => p < 16)).toBe(true);
    const firstScan = Array.from(t.subarray(warmup, warmup + 72));
    expect(firstScan.filter((p) => p >= 16)).toEqual(Array.from({ length: 48 }, (_, i) => 16 + i));
    expect(firstScan.filter((_, i) => i % 3 === 2).every((p) => p < 16)).toBe(true);
  });

  it('noisy-phases: each phase a run of 35% of the region, 10% of references elsewhere', () => {
    const pages = 1000;
    const t = referenceString(makeSpec('noisy-phases', pages, 8));
    const ws = 350;
    const phaseLength = 4 * ws;
    let outside = 0;
    for (let i = 0; i < phaseLength; i++) if (t[i]! >= ws) outside++;
    // Noise hits the whole region: about 10% x 65% of the phase's references fall outside its run.
    expect(outside / phaseLength).toBeGreaterThan(0.04);
    expect(outside / phaseLength).toBeLessThan(0.09);
    const second = Array.from(t.subarray(phaseLength, 2 * phaseLength));
    const inNextRun = second.filter((p) => p >= 450 && p < 800).length;
    expect(inNextRun / phaseLength).toBeGreaterThan(0.9);
  });

  it('interleaved: a loop, Zipf and a scan over three parts of the region, each about a third of the references', () => {
    const t = referenceString(makeSpec('interleaved', 100, 30));
    const loop = Array.from(t).filter((p) => p < 30);
    const scan = Array.from(t).filter((p) => p >= 60);
    expect(loop.slice(0, 35)).toEqual([...[...Array(30).keys()], 0, 1, 2, 3, 4]);
    expect(scan.slice(0, 42)).toEqual([...Array.from({ length: 40 }, (_, i) => 60 + i), 60, 61]);
    for (const part of [loop.length, scan.length, t.length - loop.length - scan.length]) expect(Math.abs(part / t.length - 1 / 3)).toBeLessThan(0.03);
  });

  it('drift: uniform references in a window that moves through the region once', () => {
    const pages = 200;
    const t = referenceString(makeSpec('drift', pages, 4));
    const window = 90;
    for (let i = 0; i < t.length; i++) {
      const start = Math.floor((i * pages) / t.length);
      expect((t[i]! - start + pages) % pages).toBeLessThan(window);
    }
  });

  it('passesForReferences sizes a workload to about a number of references', () => {
    for (const name of WORKLOAD_NAMES) {
      const passes = passesForReferences(name, 256, 20_000);
      const n = referenceCount(makeSpec(name, 256, passes));
      expect(Math.abs(n - 20_000), name).toBeLessThanOrEqual(referenceCount(makeSpec(name, 256, 2)) - referenceCount(makeSpec(name, 256, 1)));
    }
  });

  it('refuses too small regions and bad passes', () => {
    expect(() => makeSpec('sweep', 0)).toThrow(/at least 16 pages/);
    expect(() => makeSpec('sweep', 64, 0)).toThrow(/passes must be a positive integer/);
    expect(() => makeSpec('sweep', 64, -1)).toThrow(WorkloadArgumentError);
  });

  it('samples every n-th reference', () => {
    expect(Array.from(sampleReferences(Uint32Array.from([5, 6, 7, 8, 9]), 2))).toEqual([5, 7, 9]);
    expect(() => sampleReferences(new Uint32Array(1), 0)).toThrow(WorkloadArgumentError);
  });
});

describe('sizes', () => {
  it('parses bytes, units and pages', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('64K')).toBe(65536);
    expect(parseSize('1.5G')).toBe(1.5 * 2 ** 30);
    expect(parseSize('2GiB')).toBe(2 ** 31);
    expect(parseSize('10p')).toBe(40960);
  });

  it('refuses zero, negative and malformed sizes', () => {
    expect(() => parseSize('0')).toThrow('size must be positive, got "0"');
    expect(() => parseSize('-1M')).toThrow(/must be positive/);
    expect(() => parseSize('lots')).toThrow(/is not a size/);
  });

  const mem = { memTotalBytes: 2 * 2 ** 30, swapTotalBytes: 4 * 2 ** 30 };

  it('refuses sizes bigger than RAM + swap and rounds up to pages', () => {
    expect(checkRegionBytes(6 * 2 ** 30, mem)).toBe(6 * 2 ** 30);
    expect(checkRegionBytes(5000, mem)).toBe(8192);
    expect(() => checkRegionBytes(6 * 2 ** 30 + 1, mem)).toThrow(/bigger than RAM \+ swap \(2 GiB \+ 4 GiB\)/);
  });

  it('defaults to 1.25 x MemTotal, within 80% of RAM + swap', () => {
    expect(defaultRegionBytes(mem)).toBe(1.25 * 2 * 2 ** 30);
    expect(defaultRegionBytes({ memTotalBytes: 2 ** 30, swapTotalBytes: 0 })).toBe(Math.floor((0.8 * 2 ** 30) / 4096) * 4096);
  });
});
