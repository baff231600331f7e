import { describe, expect, it } from 'vitest';
import { courseTest, tracePageCount } from '../../../src/agent/index.js';
import {
  checkRegionBytes,
  checkWorkloadName,
  defaultRegionBytes,
  makeSpec,
  parseSize,
  referenceCount,
  referenceString,
  sampleReferences,
  WORKLOAD_NAMES,
  WorkloadArgumentError,
} from '../../../src/workloads/index.js';

describe('workload definitions', () => {
  it('has the eight workloads', () => {
    expect(WORKLOAD_NAMES).toEqual(['course', 'sweep', 'random', 'zipf', 'phases', 'strided', 'sweep-hot', 'mix']);
  });

  it('refuses unknown names, listing the valid ones', () => {
    expect(() => checkWorkloadName('lru')).toThrow(WorkloadArgumentError);
    expect(() => checkWorkloadName('lru')).toThrow('unknown workload "lru"; valid workloads: course, sweep, random, zipf, phases, strided, sweep-hot, mix');
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
