import { describe, expect, it } from 'vitest';
import { allocWorkloadRegion, makeSpec, referenceCount, runWorkload, WORDS_PER_PAGE, WORKLOAD_NAMES } from '../../../src/workloads/index.js';

describe('workloads in a worker thread', { timeout: 60_000 }, () => {
  it.each(WORKLOAD_NAMES)('%s writes a SharedArrayBuffer region and its check passes', async (name) => {
    const spec = makeSpec(name, 128, 2);
    const region = await allocWorkloadRegion(128, 'sab');
    expect(region.kind).toBe('sab');
    let progress = 0;
    const r = await runWorkload(spec, region, { progressEveryMs: 0, onProgress: () => progress++ });
    expect(r.references).toBe(referenceCount(spec));
    if (name === 'course') expect(r.references).toBe(128 + 64 * 2);
    if (name === 'sweep') expect(r.references).toBe(256);
    expect(r.integrity).toMatchObject({ ok: true, badPages: 0, firstBadPage: null, pagesChecked: 128 });
    expect(r.integrity.pagesWritten).toBeGreaterThan(0);
    expect(progress).toBeGreaterThan(0);
    // The main thread sees what the worker wrote: some page is not all zero.
    expect(region.words().some((w) => w !== 0)).toBe(true);
  });

  it('reports the worker thread\'s own CPU time: the writes and the check are parts of the whole thread\'s', async () => {
    const spec = makeSpec('random', 2048, 40);
    const region = await allocWorkloadRegion(2048, 'sab');
    const u0 = process.cpuUsage();
    const r = await runWorkload(spec, region);
    const u = process.cpuUsage(u0);
    expect(r.cpu.source, '/proc/thread-self in the worker').not.toBeNull();
    const { runMs, verifyMs, threadMs } = r.cpu as { runMs: number; verifyMs: number; threadMs: number };
    expect(threadMs).toBeGreaterThanOrEqual(runMs + verifyMs);
    // A part of the process's CPU over the same time, not all of it (the stat fallback counts 10 ms ticks).
    expect(threadMs).toBeLessThanOrEqual((u.user + u.system) / 1000 + 10);
    // 81,920 references and a check of 2,048 pages each take some CPU; in 10 ms ticks that may read as none.
    if (r.cpu.source === 'schedstat') {
      expect(runMs).toBeGreaterThan(0);
      expect(verifyMs).toBeGreaterThan(0);
    }
  });

  it.each(WORKLOAD_NAMES)('%s: a page corrupted before the check makes it fail', async (name) => {
    const spec = makeSpec(name, 64, 2);
    const region = await allocWorkloadRegion(64, 'sab');
    const r = await runWorkload(spec, region, {
      beforeVerify: (reg) => {
        const w = reg.words();
        // corrupt the first page the workload wrote
        let page = 0;
        while (w[page * WORDS_PER_PAGE] === 0) page++;
        w[page * WORDS_PER_PAGE + 100] = w[page * WORDS_PER_PAGE + 100]! + 1;
      },
    });
    expect(r.integrity.ok).toBe(false);
    expect(r.integrity.badPages).toBe(1);
  });

  it('a lost page (zeroed) in the addon\'s mmap region is caught too', async () => {
    const spec = makeSpec('course', 64, 3);
    const region = await allocWorkloadRegion(64, 'addon');
    try {
      expect(region.kind).toBe('addon');
      expect(typeof region.address).toBe('bigint');
      const ok = await runWorkload(spec, region);
      expect(ok.integrity.ok).toBe(true);
    } finally {
      region.free();
    }
    const again = await allocWorkloadRegion(64, 'addon');
    try {
      const bad = await runWorkload(spec, again, { beforeVerify: (reg) => void reg.words().fill(0, 10 * WORDS_PER_PAGE, 11 * WORDS_PER_PAGE) });
      expect(bad.integrity).toMatchObject({ ok: false, badPages: 1, firstBadPage: 10 });
    } finally {
      again.free();
    }
  });

  it('refuses a region smaller than the workload', async () => {
    const region = await allocWorkloadRegion(16, 'sab');
    await expect(runWorkload(makeSpec('sweep', 32, 1), region)).rejects.toThrow(/smaller than the workload/);
  });
});
