import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CountingFileIo, nodeFileIo, type FileIo } from '../../../src/agent/file-io.js';
import { PageIdleBitmap } from '../../../src/agent/page-idle.js';
import { PageState } from '../../../src/agent/page-state.js';
import { ProfiledMemory } from '../../../src/agent/profiled-memory.js';
import { Profiler } from '../../../src/agent/profiler.js';
import { RegionLayout } from '../../../src/agent/region-layout.js';
import {
  KernelBitmapIo,
  KPF,
  PerFileCountingIo,
  isIdleInFile,
  makeTempDir,
  touchPfn,
  writeBitmap,
  writeKpageflags,
  writePagemap,
  type EntrySpec,
} from './helpers.js';

const REGION = 0x10000000n;

describe('Profiler on synthetic pagemap and page_idle files', () => {
  let dir: string;
  let pagemapPath: string;
  let idleBitmapPath: string;
  beforeEach(() => {
    dir = makeTempDir();
    pagemapPath = path.join(dir, 'pagemap');
    idleBitmapPath = path.join(dir, 'bitmap');
    writeBitmap(idleBitmapPath, 1 << 16);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const present = (pfn: number): EntrySpec => ({ present: true, exclusivelyMapped: true, pfn: BigInt(pfn) });
  const swapped = (offset: number): EntrySpec => ({ swapped: true, swapType: 1, swapOffset: BigInt(offset) });

  it('first scan reports present pages accessed and marks exactly their PFNs idle', () => {
    writePagemap(pagemapPath, REGION, [present(1000), present(1001), {}, swapped(9), present(2000)]);
    const profiler = new Profiler([{ start: REGION, length: 5n * 4096n }], { pagemapPath, idleBitmapPath });
    const result = profiler.scan();
    expect([...result.state]).toEqual([PageState.Present, PageState.Present, PageState.Absent, PageState.Swapped, PageState.Present]);
    expect([...result.accessed]).toEqual([1, 1, 0, 0, 1]);
    expect(result.present).toBe(3);
    expect(result.swapped).toBe(1);
    expect(isIdleInFile(idleBitmapPath, 1000)).toBe(true);
    expect(isIdleInFile(idleBitmapPath, 1001)).toBe(true);
    expect(isIdleInFile(idleBitmapPath, 2000)).toBe(true);
    expect(isIdleInFile(idleBitmapPath, 1002)).toBe(false);
    expect(isIdleInFile(idleBitmapPath, 9)).toBe(false); // swap offset is not a PFN
    profiler.close();
  });

  it('can report nothing accessed on the first scan when asked', () => {
    writePagemap(pagemapPath, REGION, [present(1000)]);
    const profiler = new Profiler([{ start: REGION, length: 4096n }], { pagemapPath, idleBitmapPath, assumeAccessedOnFirstScan: false });
    expect(profiler.scan().accessed[0]).toBe(0);
  });

  it('second scan: only pages whose idle bit was cleared count as accessed', () => {
    writePagemap(pagemapPath, REGION, [present(1000), present(1001), present(1002), {}, present(5000)]);
    const profiler = new Profiler([{ start: REGION, length: 5n * 4096n }], { pagemapPath, idleBitmapPath });
    profiler.scan();
    touchPfn(idleBitmapPath, 1001);
    touchPfn(idleBitmapPath, 5000);
    expect([...profiler.scan().accessed]).toEqual([0, 1, 0, 0, 1]);
    // Re-marked: nothing touched since.
    expect([...profiler.scan().accessed]).toEqual([0, 0, 0, 0, 0]);
  });

  it('counts a changed PFN as accessed (migration or swap-in) even if the new frame reads idle', () => {
    writePagemap(pagemapPath, REGION, [present(1000), swapped(3), present(1002)]);
    const profiler = new Profiler([{ start: REGION, length: 3n * 4096n }], { pagemapPath, idleBitmapPath });
    profiler.scan();
    // Make every frame read idle, then migrate page 0 and swap page 1 in.
    fs.writeFileSync(idleBitmapPath, new Uint8Array(fs.statSync(idleBitmapPath).size).fill(0xff));
    writePagemap(pagemapPath, REGION, [present(3333), present(4444), present(1002)]);
    const result = profiler.scan();
    expect([...result.accessed]).toEqual([1, 1, 0]);
    expect(result.pfnChanged).toBe(2);
    expect(result.state[1]).toBe(PageState.Present);
  });

  it('a page swapped out since the last scan is Swapped and not accessed', () => {
    writePagemap(pagemapPath, REGION, [present(1000), present(1001)]);
    const profiler = new Profiler([{ start: REGION, length: 2n * 4096n }], { pagemapPath, idleBitmapPath });
    profiler.scan();
    writePagemap(pagemapPath, REGION, [swapped(77), present(1001)]);
    touchPfn(idleBitmapPath, 1000); // stale frame touched by someone else: must not matter
    const result = profiler.scan();
    expect([...result.state]).toEqual([PageState.Swapped, PageState.Present]);
    expect([...result.accessed]).toEqual([0, 0]);
  });

  describe('transparent huge pages', () => {
    const thpBase = 0x4000; // 2 MiB-aligned frame number
    const thpAddress = 0x40000000n; // 2 MiB-aligned virtual address
    let kpageflagsPath: string;
    beforeEach(() => {
      kpageflagsPath = path.join(dir, 'kpageflags');
      writePagemap(pagemapPath, thpAddress, Array.from({ length: 512 }, (_, i) => present(thpBase + i)));
    });
    const isTail = (pfn: number): boolean => pfn > thpBase && pfn < thpBase + 512;

    it("the head frame's idle bit stands for the whole huge page (tail frames never read idle)", () => {
      writeKpageflags(kpageflagsPath, new Map(Array.from({ length: 512 }, (_, i) => [thpBase + i, i === 0 ? [KPF.CompoundHead, KPF.Thp] : [KPF.CompoundTail, KPF.Thp]])));
      const io = new PerFileCountingIo({}, new KernelBitmapIo({ neverIdle: isTail }));
      const profiler = new Profiler([{ start: thpAddress, length: 2n << 20n }], { pagemapPath, idleBitmapPath, kpageflagsPath, io });
      expect(profiler.scan().thpPages).toBe(512);
      // Only the head frame's word is written: the kernel ignores tail frames.
      expect(io.writesOf('bitmap')).toBe(1);
      expect(io.transferSizes).toContain(8);
      expect(isIdleInFile(idleBitmapPath, thpBase)).toBe(true);
      io.reset();
      // Untouched since: the whole huge page is idle, though its tail frames read "not idle".
      let result = profiler.scan();
      expect(result.accessed.every((a) => a === 0)).toBe(true);
      expect([io.readsOf('bitmap'), io.writesOf('bitmap'), io.readsOf('kpageflags')]).toEqual([1, 1, 0]);
      // An access through the PMD clears the head's bit: every page of the huge page was accessed.
      touchPfn(idleBitmapPath, thpBase);
      result = profiler.scan();
      expect(result.accessed.every((a) => a === 1)).toBe(true);
      profiler.close();
    });

    it('512 aligned consecutive frames that are not a THP are tracked page by page', () => {
      writeKpageflags(kpageflagsPath, new Map([[thpBase, []]]));
      const io = new PerFileCountingIo();
      const profiler = new Profiler([{ start: thpAddress, length: 2n << 20n }], { pagemapPath, idleBitmapPath, kpageflagsPath, io });
      expect(profiler.scan().thpPages).toBe(0);
      expect(profiler.lastBitmapRuns).toBe(1);
      expect(io.transferSizes).toContain(64); // 8 words
      touchPfn(idleBitmapPath, thpBase + 5);
      const result = profiler.scan();
      expect(result.accessed.reduce((a, b) => a + b, 0)).toBe(1);
      expect(result.accessed[5]).toBe(1);
      expect(io.readsOf('kpageflags'), 'one look-up per head frame').toBe(1);
      profiler.close();
    });
  });

  it('frames past the end of the bitmap (max_pfn) read as accessed, without reading or writing past it', () => {
    // The kernel's bitmap covers 4 words (max_pfn 300: the partial fifth word is not served).
    writeBitmap(idleBitmapPath, 256);
    writePagemap(pagemapPath, REGION, [present(100), present(200), present(299), present(1000)]);
    const io = new KernelBitmapIo({ maxPfn: 300 });
    const profiler = new Profiler([{ start: REGION, length: 4n * 4096n }], { pagemapPath, idleBitmapPath, io });
    profiler.scan();
    expect(isIdleInFile(idleBitmapPath, 100) && isIdleInFile(idleBitmapPath, 200)).toBe(true);
    expect(fs.statSync(idleBitmapPath).size).toBe(32);
    touchPfn(idleBitmapPath, 200);
    expect([...profiler.scan().accessed]).toEqual([0, 1, 1, 1]);
    expect([...profiler.scan().accessed]).toEqual([0, 0, 1, 1]);
  });

  it('batches: one pagemap read per region and one bitmap read/write per contiguous run of words, whatever the PFN order', () => {
    // Region A: 640 pages with PFNs 10000..10639 in shuffled order; region B: 64 pages at PFN 50000.
    const pfnsA = Array.from({ length: 640 }, (_, i) => 10000 + ((i * 7) % 640));
    writePagemap(pagemapPath, REGION, pfnsA.map(present));
    const regionB = 0x20000000n;
    writePagemap(pagemapPath, regionB, Array.from({ length: 64 }, (_, i) => present(50000 + i)));
    const io = new PerFileCountingIo();
    const profiler = new Profiler(
      [
        { start: REGION, length: 640n * 4096n },
        { start: regionB, length: 64n * 4096n },
      ],
      { pagemapPath, idleBitmapPath, io },
    );
    profiler.scan();
    expect(io.readsOf('pagemap')).toBe(2);
    expect(io.readsOf('bitmap')).toBe(0); // nothing to read back on the first scan
    // 10000..10639 spans words 156..166 (11 words) and 50000..50063 spans words 781..782: 2 runs.
    expect(profiler.lastBitmapRuns).toBe(2);
    expect(io.writesOf('bitmap')).toBe(2);
    io.reset();
    touchPfn(idleBitmapPath, 10000 + ((5 * 7) % 640));
    const result = profiler.scan();
    expect(io.readsOf('pagemap')).toBe(2);
    expect(io.readsOf('bitmap')).toBe(2);
    expect(io.writesOf('bitmap')).toBe(2);
    expect(result.accessed.reduce((a, b) => a + b, 0)).toBe(1);
    expect(result.accessed[5]).toBe(1);
  });

  it('loops on the 4096-byte short reads and writes of the sysfs bitmap', () => {
    // 64,000 consecutive PFNs = 1000 words = 8000 bytes per pass: two transfers each way.
    const pages = 64_000;
    writePagemap(pagemapPath, REGION, Array.from({ length: pages }, (_, i) => present(64 + i)));
    writeBitmap(idleBitmapPath, 70_000);
    const io = new PerFileCountingIo({ bitmap: 4096 });
    const profiler = new Profiler([{ start: REGION, length: BigInt(pages) * 4096n }], { pagemapPath, idleBitmapPath, io });
    profiler.scan();
    expect(io.writesOf('bitmap')).toBe(2);
    expect(isIdleInFile(idleBitmapPath, 64 + pages - 1)).toBe(true); // written by the second transfer
    io.reset();
    touchPfn(idleBitmapPath, 64 + 63_000); // in the second 4096-byte half
    const result = profiler.scan();
    expect(io.readsOf('bitmap')).toBe(2);
    expect(io.writesOf('bitmap')).toBe(2);
    expect(Math.max(...io.transferSizes.slice(1))).toBeLessThanOrEqual(4096);
    expect(result.accessed[63_000]).toBe(1);
    expect(result.accessed.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('a missing page_idle bitmap is an error that names CONFIG_IDLE_PAGE_TRACKING', () => {
    writePagemap(pagemapPath, REGION, [present(1000)]);
    const profiler = new Profiler([{ start: REGION, length: 4096n }], { pagemapPath, idleBitmapPath: path.join(dir, 'missing') });
    expect(() => profiler.scan()).toThrowError(/page_idle bitmap not found .*CONFIG_IDLE_PAGE_TRACKING/);
  });

  it('permission denied is an error that says to run as root', () => {
    const denied: FileIo = {
      ...nodeFileIo,
      open: () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    };
    const profiler = new Profiler([{ start: REGION, length: 4096n }], { pagemapPath, idleBitmapPath, io: denied });
    expect(() => profiler.scan()).toThrowError(/permission denied opening pagemap .*root/);
  });

  it('refuses pagemap data with PFNs hidden (unprivileged reader) instead of returning wrong data', () => {
    writePagemap(pagemapPath, REGION, [present(0), present(0)]);
    const profiler = new Profiler([{ start: REGION, length: 2n * 4096n }], { pagemapPath, idleBitmapPath });
    expect(() => profiler.scan()).toThrowError(/without PFNs.*CAP_SYS_ADMIN/);
  });

  it('rejects regions that are not page-aligned', () => {
    expect(() => new Profiler([{ start: REGION + 1n, length: 4096n }], { pagemapPath, idleBitmapPath })).toThrowError(/page-aligned/);
  });
});

describe('PageIdleBitmap', () => {
  it('groups sorted PFNs into runs of contiguous words', () => {
    const bitmap = new PageIdleBitmap({ path: '/nonexistent' });
    bitmap.plan(new Float64Array([0, 63, 64, 200, 640, 641, 704]), 7);
    // words: 0,1 | 3 | 10,11  -> 3 runs
    expect(bitmap.runCount).toBe(3);
  });

  it('leaves frames at or past a known max_pfn out of the plan (the partial last word is not served)', () => {
    const bitmap = new PageIdleBitmap({ path: '/nonexistent', maxPfn: 700 });
    expect(bitmap.trackedFrames).toBe(640);
    bitmap.plan(new Float64Array([0, 63, 64, 200, 640, 641, 704]), 7);
    expect([bitmap.runCount, bitmap.untrackedCount]).toEqual([2, 3]);
    expect(bitmap.isIdle(641)).toBe(false);
    expect(() => new PageIdleBitmap({ maxPfn: -1 })).toThrowError(/maxPfn/);
  });
});

/** A temporary pagemap with `entries` at REGION and an empty page_idle bitmap (deleted after the file's tests). */
function syntheticFiles(entries: EntrySpec[]): { pagemapPath: string; idleBitmapPath: string } {
  const dir = makeTempDir();
  const pagemapPath = path.join(dir, 'pagemap');
  const idleBitmapPath = path.join(dir, 'bitmap');
  writeBitmap(idleBitmapPath, 4096);
  writePagemap(pagemapPath, REGION, entries);
  return { pagemapPath, idleBitmapPath };
}

describe('ProfiledMemory (profiler + history as the controller sees them)', () => {
  it('folds scans into the access history and records released pages', () => {
    const { pagemapPath, idleBitmapPath } = syntheticFiles([
      { present: true, pfn: 100n },
      { present: true, pfn: 101n },
      { swapped: true, swapOffset: 1n },
    ]);
    const memory = ProfiledMemory.inThread([{ start: REGION, length: 3n * 4096n }], { pagemapPath, idleBitmapPath });
    expect(memory.scan()).toMatchObject({ scan: 1, present: 2, swapped: 1, accessed: 2 });
    touchPfn(idleBitmapPath, 101);
    expect(memory.scan()).toMatchObject({ scan: 2, accessed: 1, newlyAccessed: 0 });
    const state = memory.policyState();
    expect([...state.age]).toEqual([0x40, 0xc0, 0]);
    memory.markReleased([{ first: 0, count: 1 }]);
    expect(state.state[0]).toBe(PageState.Swapped);
    memory.close();
  });

  it('keeps pages released while their swap-out call is in flight, whatever pagemap says meanwhile', () => {
    const { pagemapPath, idleBitmapPath } = syntheticFiles([
      { present: true, pfn: 100n },
      { present: true, pfn: 101n },
      { present: true, pfn: 102n },
    ]);
    const memory = ProfiledMemory.inThread([{ start: REGION, length: 3n * 4096n }], { pagemapPath, idleBitmapPath });
    const state = memory.policyState().state;
    memory.scan();
    memory.markReleased([{ first: 0, count: 2 }]);
    expect(memory.pagesInFlight).toBe(2);
    // The kernel has not reached the pages yet: pagemap still shows all three present.
    expect(memory.scan()).toMatchObject({ present: 1, swapped: 2 });
    expect([...state]).toEqual([PageState.Swapped, PageState.Swapped, PageState.Present]);
    // The call returns: page 0 was freed, page 1 was skipped (busy) and is still present.
    writePagemap(pagemapPath, REGION, [{ swapped: true, swapOffset: 7n }]);
    memory.releaseEnded([{ first: 0, count: 2 }]);
    expect(memory.pagesInFlight).toBe(0);
    memory.scan();
    expect([...state]).toEqual([PageState.Swapped, PageState.Present, PageState.Present]);
    memory.close();
  });
});

describe('ProfiledMemory.refreshResidency (pagemap alone, between scans)', () => {
  it('takes pages faulted back in as just used and pages the kernel swapped as gone, leaving pages in a call alone', () => {
    const { pagemapPath, idleBitmapPath } = syntheticFiles([
      { present: true, pfn: 100n },
      { present: true, pfn: 101n },
      { swapped: true, swapOffset: 3n },
      { present: true, pfn: 103n },
    ]);
    const io = new PerFileCountingIo();
    const memory = ProfiledMemory.inThread([{ start: REGION, length: 4n * 4096n }], { pagemapPath, idleBitmapPath, io });
    memory.scan();
    memory.scan();
    const state = memory.policyState();
    expect([...state.state]).toEqual([PageState.Present, PageState.Present, PageState.Swapped, PageState.Present]);
    expect(state.idleScans[1]).toBe(1);
    memory.markReleased([{ first: 3, count: 1 }]); // in a call; pagemap still shows it present
    // Since the last scan the kernel swapped page 0 and page 1 itself, and page 2 faulted back in.
    writePagemap(pagemapPath, REGION, [
      { swapped: true, swapOffset: 8n },
      { swapped: true, swapOffset: 9n },
      { present: true, pfn: 200n },
    ]);
    const version = state.version;
    const bitmapCalls = (io.reads.get('bitmap') ?? 0) + (io.writes.get('bitmap') ?? 0);
    expect(memory.refreshResidency('all')).toEqual({ loaded: 1, gone: 2 });
    expect([...state.state]).toEqual([PageState.Swapped, PageState.Swapped, PageState.Present, PageState.Swapped]);
    // Page 2 counts as used in the interval after the last scan, as a fault would tell the simulator.
    expect(state.lastAccess[2]).toBe(state.scanCount + 1);
    expect(state.idleScans[2]).toBe(0);
    expect(state.version).not.toBe(version);
    // Only pagemap was read: no page_idle bitmap traffic.
    expect((io.reads.get('bitmap') ?? 0) + (io.writes.get('bitmap') ?? 0)).toBe(bitmapCalls);
    // Nothing changed since: nothing to do, the version stays.
    const after = state.version;
    expect(memory.refreshResidency('all')).toEqual({ loaded: 0, gone: 0 });
    expect(state.version).toBe(after);
    memory.close();
  });

  /** Three pages, as the first scan will see them: present, in swap, never touched. */
  const presentSwappedAbsent = (): { memory: ProfiledMemory; pagemapPath: string } => {
    const { pagemapPath, idleBitmapPath } = syntheticFiles([{ present: true, pfn: 100n }, { swapped: true, swapOffset: 3n }, {}]);
    return { memory: ProfiledMemory.inThread([{ start: REGION, length: 3n * 4096n }], { pagemapPath, idleBitmapPath, io: new PerFileCountingIo() }), pagemapPath };
  };

  it('with scope arrivals takes in pages never seen and drops pages gone, but leaves pages back from swap to the next scan', () => {
    const { memory, pagemapPath } = presentSwappedAbsent();
    memory.scan();
    const state = memory.policyState();
    expect([...state.state]).toEqual([PageState.Present, PageState.Swapped, PageState.Absent]);
    // Since: page 0 swapped by the kernel, page 1 faulted back, page 2 written for the first time.
    writePagemap(pagemapPath, REGION, [{ swapped: true, swapOffset: 8n }, { present: true, pfn: 201n }, { present: true, pfn: 202n }]);
    expect(memory.refreshResidency('arrivals')).toEqual({ loaded: 1, gone: 1 });
    expect([...state.state]).toEqual([PageState.Swapped, PageState.Swapped, PageState.Present]);
    expect(state.lastAccess[2]).toBe(state.scanCount + 1);
    // The scope 'all' takes page 1 in too.
    expect(memory.refreshResidency('all')).toEqual({ loaded: 1, gone: 0 });
    expect(state.state[1]).toBe(PageState.Present);
    memory.close();
  });

  it('pages unseen: reads pagemap for the pages never seen present only, and not at all once there are none', () => {
    // Five pages: 0 and 2 present, 1 in swap, 3 and 4 never touched.
    const { pagemapPath, idleBitmapPath } = syntheticFiles([{ present: true, pfn: 100n }, { swapped: true, swapOffset: 3n }, { present: true, pfn: 102n }, {}, {}]);
    const io = new PerFileCountingIo();
    const memory = ProfiledMemory.inThread([{ start: REGION, length: 5n * 4096n }], { pagemapPath, idleBitmapPath, io });
    memory.scan();
    const state = memory.policyState();
    // Since: page 0 swapped by the kernel, page 1 faulted back, page 4 written for the first time.
    writePagemap(pagemapPath, REGION, [{ swapped: true, swapOffset: 8n }, { present: true, pfn: 201n }, { present: true, pfn: 102n }, {}, { present: true, pfn: 204n }]);
    const before = { reads: io.reads.get('pagemap')!, sizes: io.transferSizes.length };
    expect(memory.refreshResidency('arrivals', 'unseen')).toEqual({ loaded: 1, gone: 0 });
    // One pread, of the entries of pages 3 and 4 only; page 0's departure waits for a read of every page.
    expect(io.reads.get('pagemap')! - before.reads).toBe(1);
    expect(io.transferSizes.slice(before.sizes)).toEqual([2 * 8]);
    expect([...state.state]).toEqual([PageState.Present, PageState.Swapped, PageState.Present, PageState.Absent, PageState.Present]);
    expect(memory.refreshResidency('arrivals', 'all')).toEqual({ loaded: 0, gone: 1 });
    // Page 3 is still unseen; written now, it is the only page read.
    writePagemap(pagemapPath, REGION, [{ swapped: true, swapOffset: 8n }, { present: true, pfn: 201n }, { present: true, pfn: 102n }, { present: true, pfn: 203n }, { present: true, pfn: 204n }]);
    expect(memory.refreshResidency('arrivals', 'unseen')).toEqual({ loaded: 1, gone: 0 });
    const reads = io.reads.get('pagemap')!;
    expect(memory.refreshResidency('arrivals', 'unseen')).toEqual({ loaded: 0, gone: 0 });
    expect(io.reads.get('pagemap')).toBe(reads);
    memory.close();
  });

  it('with scope returns also takes in pages back from swap, as recent as the last scan saw used, not newer', () => {
    const { memory, pagemapPath } = presentSwappedAbsent();
    memory.scan();
    memory.scan();
    const state = memory.policyState();
    expect(state.scanCount).toBe(2);
    // Since: page 1 faulted back, page 2 written for the first time.
    writePagemap(pagemapPath, REGION, [{ present: true, pfn: 100n }, { present: true, pfn: 201n }, { present: true, pfn: 202n }]);
    expect(memory.refreshResidency('returns')).toEqual({ loaded: 2, gone: 0 });
    expect([...state.state]).toEqual([PageState.Present, PageState.Present, PageState.Present]);
    expect(state.lastAccess[1]).toBe(state.scanCount);
    expect(state.lastAccess[2]).toBe(state.scanCount + 1);
    memory.close();
  });

  it('does nothing without a residency source', () => {
    const source = { layout: new RegionLayout([{ start: REGION, length: 4096n }]), arrays: () => [], scan: () => ({ accessed: new Uint8Array(1), state: new Uint8Array(1) }), close: () => {} };
    expect(new ProfiledMemory(source).refreshResidency('all')).toEqual({ loaded: 0, gone: 0 });
  });
});

describe('ProfiledMemory folding a scan read before a release (scans on a worker thread)', () => {
  it('keeps a page released after the scan started released, even once its call has returned', () => {
    const { pagemapPath, idleBitmapPath } = syntheticFiles([
      { present: true, pfn: 100n },
      { present: true, pfn: 101n },
      { present: true, pfn: 102n },
    ]);
    const profiler = new Profiler([{ start: REGION, length: 3n * 4096n }], { pagemapPath, idleBitmapPath });
    const memory = new ProfiledMemory(profiler);
    memory.scan();
    // A scan starts (the worker reads pagemap: all three present)…
    const since = memory.releaseCount;
    const read = profiler.scan();
    const snapshot = { accessed: read.accessed.slice(), state: read.state.slice() };
    // …an answer releases page 1 and its call returns before the scan is folded.
    memory.markReleased([{ first: 1, count: 1 }]);
    memory.releaseEnded([{ first: 1, count: 1 }]);
    expect(memory.pagesInFlight).toBe(0);
    expect(memory.fold(snapshot, since)).toMatchObject({ present: 2, swapped: 1 });
    expect([...memory.policyState().state]).toEqual([PageState.Present, PageState.Swapped, PageState.Present]);
    // A scan started after the release is believed: the kernel skipped the page (busy), so it is present.
    memory.scan();
    expect(memory.policyState().state[1]).toBe(PageState.Present);
    memory.close();
  });
});

describe('CountingFileIo', () => {
  it('counts calls and bytes and caps each transfer', () => {
    const dir = makeTempDir();
    try {
      const file = path.join(dir, 'f');
      fs.writeFileSync(file, new Uint8Array(10_000));
      const io = new CountingFileIo(undefined, { maxBytesPerCall: 4096 });
      const fd = io.open(file, 'r');
      expect(io.read(fd, new Uint8Array(10_000), 0, 10_000, 0)).toBe(4096);
      io.close(fd);
      expect([io.reads, io.bytesRead, io.writes]).toEqual([1, 4096, 0]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
