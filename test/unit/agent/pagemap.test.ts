import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/agent/errors.js';
import {
  NO_PFN,
  PageFlag,
  PagemapReader,
  decodePagemapEntries,
  decodePagemapEntry,
  encodePagemapEntry,
} from '../../../src/agent/pagemap.js';
import { RegionLayout } from '../../../src/agent/region-layout.js';
import { PerFileCountingIo, makeTempDir, writePagemap } from './helpers.js';

describe('pagemap entry layout', () => {
  it('decodes a present, exclusive, soft-dirty anonymous page with its PFN (bits 0-54)', () => {
    const entry = (1n << 63n) | (1n << 56n) | (1n << 55n) | 0x12345n;
    const decoded = decodePagemapEntry(entry);
    expect(decoded).toEqual({
      present: true,
      swapped: false,
      fileOrSharedAnon: false,
      exclusivelyMapped: true,
      softDirty: true,
      pfn: 0x12345n,
      swapType: undefined,
      swapOffset: undefined,
    });
  });

  it('keeps all 55 PFN bits and ignores bits 55-60', () => {
    const maxPfn = (1n << 55n) - 1n;
    expect(decodePagemapEntry((1n << 63n) | maxPfn).pfn).toBe(maxPfn);
    expect(decodePagemapEntry((1n << 63n) | (0x3fn << 55n) | 7n).pfn).toBe(7n);
  });

  it('decodes a swapped page: type in bits 0-4, offset in bits 5-54, no PFN', () => {
    const entry = (1n << 62n) | (0xabcdefn << 5n) | 0x1bn;
    const decoded = decodePagemapEntry(entry);
    expect(decoded.present).toBe(false);
    expect(decoded.swapped).toBe(true);
    expect(decoded.swapType).toBe(0x1b);
    expect(decoded.swapOffset).toBe(0xabcdefn);
    expect(decoded.pfn).toBeUndefined();
  });

  it('decodes a file-backed page (bit 61) and an empty entry', () => {
    expect(decodePagemapEntry((1n << 63n) | (1n << 61n) | 5n).fileOrSharedAnon).toBe(true);
    const empty = decodePagemapEntry(0n);
    expect(empty.present || empty.swapped || empty.fileOrSharedAnon).toBe(false);
  });

  it('encode is the inverse of decode', () => {
    const fields = { swapped: true, swapType: 3, swapOffset: 999n, softDirty: true };
    const decoded = decodePagemapEntry(encodePagemapEntry(fields));
    expect(decoded.swapType).toBe(3);
    expect(decoded.swapOffset).toBe(999n);
    expect(decoded.softDirty).toBe(true);
  });

  it('bulk decoder agrees with the BigInt decoder on every flag and the PFN', () => {
    const entries = [
      encodePagemapEntry({ present: true, pfn: 0x7fffffffffn, exclusivelyMapped: true }),
      encodePagemapEntry({ swapped: true, swapType: 2, swapOffset: 77n }),
      encodePagemapEntry({ present: true, fileOrSharedAnon: true, softDirty: true, pfn: 1n }),
      0n,
    ];
    const raw = new BigUint64Array(entries);
    const flags = new Uint8Array(6);
    const pfn = new Float64Array(6);
    decodePagemapEntries(new Uint32Array(raw.buffer), entries.length, flags, pfn, 2);
    expect([...flags]).toEqual([
      0,
      0,
      PageFlag.Present | PageFlag.ExclusivelyMapped,
      PageFlag.Swapped,
      PageFlag.Present | PageFlag.FileOrSharedAnon | PageFlag.SoftDirty,
      0,
    ]);
    expect(pfn[2]).toBe(0x7fffffffff);
    expect(pfn[3]).toBe(NO_PFN);
    expect(pfn[4]).toBe(1);
    expect(pfn[5]).toBe(NO_PFN);
  });
});

describe('PagemapReader', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a region with one pread at the right offset', () => {
    const file = path.join(dir, 'pagemap');
    const start = 0x40000000n; // virtual page 0x40000
    writePagemap(file, start, [{ present: true, pfn: 10n }, {}, { swapped: true, swapOffset: 5n }, { present: true, pfn: 11n }]);
    const io = new PerFileCountingIo();
    const reader = new PagemapReader({ path: file, io });
    const flags = new Uint8Array(4);
    const pfn = new Float64Array(4);
    reader.read(0x40000, 4, flags, pfn, 0);
    reader.close();
    expect(io.readsOf('pagemap')).toBe(1);
    expect([...pfn]).toEqual([10, NO_PFN, NO_PFN, 11]);
    expect(flags[2]).toBe(PageFlag.Swapped);
  });

  it('readPages reads the given page ranges of a layout only, split where a range crosses into the next region', () => {
    const file = path.join(dir, 'pagemap');
    // Two regions of 4 pages at virtual pages 0x10 and 0x20: layout pages 0-3 and 4-7.
    writePagemap(file, 0x10n * 4096n, Array.from({ length: 0x14 }, (_, i) => ({ present: true, pfn: BigInt(1000 + i) })));
    const layout = new RegionLayout([
      { start: 0x10n * 4096n, length: 4n * 4096n },
      { start: 0x20n * 4096n, length: 4n * 4096n },
    ]);
    const io = new PerFileCountingIo();
    const reader = new PagemapReader({ path: file, io });
    const flags = new Uint8Array(8).fill(0xff);
    const pfn = new Float64Array(8).fill(-2);
    reader.readPages(layout, [{ first: 1, count: 1 }, { first: 3, count: 3 }], flags, pfn);
    reader.close();
    // Page 1, then 3 (region 0's last) and 4-5 (region 1's first two): three preads.
    expect(io.readsOf('pagemap')).toBe(3);
    expect([...pfn]).toEqual([-2, 1001, -2, 1003, 1016, 1017, -2, -2]);
    expect(flags[0]).toBe(0xff);
  });

  it('splits a large region into chunks of maxEntriesPerRead, reusing one buffer', () => {
    const file = path.join(dir, 'pagemap');
    const entries = Array.from({ length: 1000 }, (_, i) => ({ present: true, pfn: BigInt(100 + i) }));
    writePagemap(file, 0n, entries);
    const io = new PerFileCountingIo();
    const reader = new PagemapReader({ path: file, io, maxEntriesPerRead: 256 });
    const flags = new Uint8Array(1000);
    const pfn = new Float64Array(1000);
    reader.read(0, 1000, flags, pfn, 0);
    expect(io.readsOf('pagemap')).toBe(4); // 256 + 256 + 256 + 232
    expect(pfn[999]).toBe(1099);
    expect(pfn[0]).toBe(100);
  });

  it('loops on short reads', () => {
    const file = path.join(dir, 'pagemap');
    writePagemap(file, 0n, Array.from({ length: 1024 }, (_, i) => ({ present: true, pfn: BigInt(i + 1) })));
    const io = new PerFileCountingIo({ pagemap: 4096 });
    const reader = new PagemapReader({ path: file, io });
    const flags = new Uint8Array(1024);
    const pfn = new Float64Array(1024);
    reader.read(0, 1024, flags, pfn, 0);
    expect(io.readsOf('pagemap')).toBe(2); // 8192 bytes in two 4096-byte transfers
    expect(pfn[1023]).toBe(1024);
  });

  it('reports a missing file with advice instead of returning data', () => {
    const reader = new PagemapReader({ path: path.join(dir, 'does-not-exist') });
    expect(() => reader.read(0, 1, new Uint8Array(1), new Float64Array(1), 0)).toThrowError(/pagemap not found.*run the agent as root/);
  });

  it('reports reading past the end of the file as an error with context', () => {
    const file = path.join(dir, 'pagemap');
    writePagemap(file, 0n, [{ present: true, pfn: 1n }]);
    const reader = new PagemapReader({ path: file });
    try {
      reader.read(0, 2, new Uint8Array(2), new Float64Array(2), 0);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AgentError);
      expect((error as AgentError).context).toMatchObject({ path: file, position: 8 });
    }
  });
});
