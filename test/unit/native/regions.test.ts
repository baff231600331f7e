import { afterEach, describe, expect, it } from 'vitest';
import {
  allocRegion,
  attachRegion,
  hugePageSize,
  listRegions,
  type MemoryRegion,
  pageSize,
  pinArrays,
  pinCode,
  codeMappings,
  RegionStateError,
} from '../../../src/kernel/index.js';
import { readFileSync } from 'node:fs';
import { addon } from '../../../src/kernel/addon.js';
import { startFixtureWorker, type FixtureWorker } from './fixtures/workers.js';

const MiB = 1 << 20;
const live: MemoryRegion[] = [];
const workers: FixtureWorker[] = [];

function track(r: MemoryRegion): MemoryRegion {
  live.push(r);
  return r;
}

afterEach(async () => {
  for (const w of workers.splice(0)) await w.close();
  for (const r of live.splice(0)) r.free();
});

describe('memory regions', { timeout: 30_000 }, () => {
  it('allocates page-aligned anonymous memory that can be written and read', () => {
    const r = track(allocRegion(MiB));
    expect(typeof r.address).toBe('bigint');
    expect(r.address % BigInt(pageSize())).toBe(0n);
    expect(r.size).toBe(MiB);
    expect(r.buffer.byteLength).toBe(MiB);
    const bytes = r.bytes();
    expect(bytes.every((b) => b === 0)).toBe(true); // fresh anonymous memory is zero-filled
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 0xff;
    expect(new Uint8Array(r.buffer)[4096 * 7]).toBe(7);
    expect(listRegions().some((x) => x.address === r.address && x.size === MiB && x.attachments === 1)).toBe(true);
  });

  it('aligns huge-page regions to 2 MiB and records the advice', () => {
    const huge = track(allocRegion(2 * hugePageSize(), { hugePages: 'huge' }));
    expect(huge.address % BigInt(hugePageSize())).toBe(0n);
    expect(huge.hugePages).toBe('huge');
    huge.bytes().fill(1);
    expect(huge.bytes()[huge.size - 1]).toBe(1);
    const small = track(allocRegion(16 * 4096, { hugePages: 'nohuge' }));
    expect(small.hugePages).toBe('nohuge');
  });

  it('shares one region with a worker thread by address', async () => {
    const r = track(allocRegion(MiB));
    r.bytes(0, 1000).fill(3); // sum 3000
    const w = startFixtureWorker('region-worker.ts');
    workers.push(w);
    const attached = await w.request<{ size: number; byteLength: number; address: bigint }>({ op: 'attach', address: r.address });
    expect(attached).toEqual({ size: MiB, byteLength: MiB, address: r.address });
    expect(await w.request({ op: 'sum', address: r.address, length: 1000 })).toEqual({ sum: 3000 });
    await w.request({ op: 'fill', address: r.address, offset: 4096, length: 10, value: 9 });
    expect(Array.from(r.bytes(4095, 12))).toEqual([0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0]);
    expect(listRegions().find((x) => x.address === r.address)?.attachments).toBe(2);
    expect(await w.request({ op: 'release', address: r.address })).toEqual({ released: true });
    expect(listRegions().find((x) => x.address === r.address)?.attachments).toBe(1);
  });

  it('cannot share the ArrayBuffer itself: postMessage copies it, even when transferred', async () => {
    const r = track(allocRegion(64 * 1024));
    const w = startFixtureWorker('region-worker.ts');
    workers.push(w);
    expect(await w.request({ op: 'inspect-copy', buffer: r.buffer, offset: 10, value: 77 })).toEqual({ byteLength: 64 * 1024 });
    expect(r.bytes()[10]).toBe(0); // the worker wrote into a copy
    await w.request({ op: 'inspect-copy', buffer: r.buffer, offset: 11, value: 78 }, [r.buffer]);
    expect(r.buffer.byteLength).toBe(64 * 1024); // not detached here: external buffers are untransferable
    expect(r.bytes()[11]).toBe(0);
  });

  it('frees once: detaches the buffer, refuses access, and a second free is a no-op', () => {
    const r = allocRegion(8 * 4096);
    const view = new Uint8Array(r.buffer);
    const stale = r.buffer;
    view[0] = 1;
    expect(r.free()).toBe(true);
    expect(stale.byteLength).toBe(0); // detached: stale views cannot reach unmapped memory
    expect(view.length).toBe(0);
    expect(view[0]).toBeUndefined();
    expect(() => r.buffer).toThrow(RegionStateError);
    expect(() => r.bytes()).toThrow(/was freed in this thread/);
    expect(r.state).toBe('freed');
    expect(r.free()).toBe(false);
    expect(addon().regionFree(r.address)).toBe(false);
    expect(() => attachRegion(r.address)).toThrow(RangeError);
    expect(listRegions().some((x) => x.address === r.address)).toBe(false);
    expect(addon().regionInfo(r.address)).toBeUndefined(); // unmapped and forgotten
  });

  it('keeps the mapping while a worker still holds it, unmaps when the worker lets go', async () => {
    const r = allocRegion(16 * 4096);
    r.bytes().fill(5);
    const w = startFixtureWorker('region-worker.ts');
    workers.push(w);
    await w.request({ op: 'attach', address: r.address });
    await w.request({ op: 'keep-view', address: r.address });
    expect(await w.request({ op: 'sum-kept-view' })).toEqual({ sum: 5 * 16 * 4096, length: 16 * 4096 });
    expect(r.free()).toBe(true);
    expect(addon().regionInfo(r.address)).toMatchObject({ freed: true, attachments: 1 });
    // The worker's raw view is still mapped (no crash) but the pages went back to the kernel.
    expect(await w.request({ op: 'sum-kept-view' })).toEqual({ sum: 0, length: 16 * 4096 });
    // Its wrapper notices the free, refuses access and lets go of the view: now it is unmapped.
    await expect(w.request({ op: 'sum', address: r.address, length: 16 })).rejects.toThrow(/was freed in this thread/);
    expect(addon().regionInfo(r.address)).toBeUndefined();
  });

  it('a free by one thread makes the other threads\' wrappers refuse access', async () => {
    const r = allocRegion(4 * 4096);
    const w = startFixtureWorker('region-worker.ts');
    workers.push(w);
    await w.request({ op: 'attach', address: r.address });
    await w.request({ op: 'free', address: r.address });
    expect(() => r.buffer).toThrow(RegionStateError);
    expect(r.state).toBe('freed');
    expect(addon().regionInfo(r.address)).toBeUndefined(); // both views gone: unmapped
    expect(r.free()).toBe(false);
  });

  it('free after another thread freed it returns false and still gives up this thread\'s view', async () => {
    const r = allocRegion(4 * 4096);
    const w = startFixtureWorker('region-worker.ts');
    workers.push(w);
    await w.request({ op: 'attach', address: r.address });
    await w.request({ op: 'free', address: r.address });
    expect(addon().regionInfo(r.address)).toMatchObject({ freed: true, attachments: 1 });
    expect(r.free()).toBe(false);
    expect(addon().regionInfo(r.address)).toBeUndefined();
  });

  it('drops a worker\'s views when the worker exits', async () => {
    const r = track(allocRegion(4 * 4096));
    const w = startFixtureWorker('region-worker.ts');
    await w.request({ op: 'attach', address: r.address });
    expect(addon().regionInfo(r.address)?.attachments).toBe(2);
    await w.close();
    expect(addon().regionInfo(r.address)?.attachments).toBe(1);
  });

  it('release gives up this thread\'s view only', () => {
    const r = allocRegion(4096);
    const again = attachRegion(r.address); // same thread: the same buffer
    expect(again.buffer).toBe(r.buffer);
    expect(r.release()).toBe(true);
    expect(() => r.buffer).toThrow(/was released in this thread/);
    expect(r.release()).toBe(false);
    expect(listRegions().some((x) => x.address === r.address && x.attachments === 0)).toBe(true);
    const third = attachRegion(r.address);
    expect(third.bytes().length).toBe(4096);
    expect(third.free()).toBe(true);
    expect(addon().regionInfo(r.address)).toBeUndefined();
  });
});

describe('pinning the agent\'s arrays', () => {
  /** The process's locked memory (kB), /proc/self/status VmLck. */
  const lockedKiB = (): number => Number(/^VmLck:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

  it('locks the whole pages under each array (once per buffer), leaves small and shared ones alone, and unlocks them', () => {
    const big = new Float64Array(1 << 16); // 512 KiB
    const sameBuffer = new Uint8Array(big.buffer, 4096, 4096);
    const small = new Uint8Array(16);
    const shared = new Uint32Array(new SharedArrayBuffer(1 << 20));
    const before = lockedKiB();
    const pinned = pinArrays([big, sameBuffer, small, shared]);
    // The buffer rounded out to whole pages: 512 KiB, or one page more when it does not start on a page.
    expect(pinned.bytes === big.byteLength || pinned.bytes === big.byteLength + pageSize()).toBe(true);
    expect(lockedKiB() - before).toBe(pinned.bytes / 1024);
    big.fill(1); // still usable
    pinned.unpin();
    expect(lockedKiB()).toBe(before);
    pinned.unpin();
    expect(lockedKiB()).toBe(before);
  });

  it('pins nothing for no arrays', () => {
    expect(pinArrays([]).bytes).toBe(0);
  });

  it('the addon rejects what is not an ArrayBuffer', () => {
    expect(() => addon().lockArrayBuffer(new Uint8Array(8) as unknown as ArrayBuffer)).toThrow(TypeError);
    expect(() => addon().unlockArrayBuffer(new SharedArrayBuffer(8) as unknown as ArrayBuffer)).toThrow(TypeError);
  });
});

describe('pinning the agent\'s code', () => {
  const lockedKiB = (): number => Number(/^VmLck:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

  it('takes the readable private file mappings of /proc/self/maps, and nothing else', () => {
    const maps = [
      '55d0c8e00000-55d0c9000000 r--p 00000000 08:01 1234                       /usr/bin/node',
      '55d0c9000000-55d0cb000000 r-xp 00200000 08:01 1234                       /usr/bin/node',
      '55d0cb000000-55d0cb100000 rw-p 02200000 08:01 1234                       /usr/bin/node',
      '7f00aa000000-7f00aa100000 rw-p 00000000 00:00 0 ',
      '7f00ab000000-7f00ab010000 r-xp 00000000 08:01 99                         /opt/app balloon/build/Release/balloon.node',
      '7f00ac000000-7f00ac001000 rw-s 00000000 00:05 7                          /dev/zero (deleted)',
      '7f00ad000000-7f00ad001000 r--s 00000000 00:05 8                          /memfd:x',
      '7f00ae000000-7f00ae001000 ---p 00000000 08:01 100                        /usr/lib/libc.so.6',
      '7f00af000000-7f00af001000 r--p 00000000 08:01 101                        /usr/lib/gone.so (deleted)',
      '7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]',
      '',
    ].join('\n');
    expect(codeMappings(maps)).toEqual([
      { start: 0x55d0c8e00000n, end: 0x55d0c9000000n, perms: 'r--p', path: '/usr/bin/node' },
      { start: 0x55d0c9000000n, end: 0x55d0cb000000n, perms: 'r-xp', path: '/usr/bin/node' },
      { start: 0x55d0cb000000n, end: 0x55d0cb100000n, perms: 'rw-p', path: '/usr/bin/node' },
      { start: 0x7f00ab000000n, end: 0x7f00ab010000n, perms: 'r-xp', path: '/opt/app balloon/build/Release/balloon.node' },
    ]);
  });

  it('locks this process\'s code on fault (VmLck counts the ranges) and unlocks it, or says what it needs', () => {
    const before = lockedKiB();
    const own = codeMappings(readFileSync('/proc/self/maps', 'utf8'));
    expect(own.some((m) => m.perms.includes('x') && /\/balloon(_testing)?\.node$/.test(m.path))).toBe(true);
    if (process.getuid?.() !== 0) {
      // Without CAP_IPC_LOCK the default RLIMIT_MEMLOCK is far below Node.js's code.
      expect(() => pinCode()).toThrow(/mlock2 failed with E(PERM|NOMEM|AGAIN).*CAP_IPC_LOCK/);
      expect(lockedKiB()).toBe(before);
      return;
    }
    const pinned = pinCode();
    expect(pinned.bytes).toBeGreaterThan(1 << 20);
    expect(lockedKiB() - before).toBe(pinned.bytes / 1024);
    pinned.unpin();
    expect(lockedKiB()).toBe(before);
  });

  it('the addon refuses a range that is not page-aligned', () => {
    expect(() => addon().lockRangeOnFault(4097n, 4096)).toThrow(RangeError);
    expect(() => addon().unlockRange(4096n, 0)).toThrow(RangeError);
  });
});

describe('memory regions: bad input', () => {
  it('rejects wrong types, zero, negative and misaligned sizes before mapping anything', () => {
    const before = listRegions().length;
    expect(() => allocRegion('4096' as unknown as number)).toThrow(TypeError);
    expect(() => allocRegion(0)).toThrow(/greater than 0/);
    expect(() => allocRegion(-4096)).toThrow(RangeError);
    expect(() => allocRegion(1000)).toThrow(/multiple of 4096/);
    expect(() => allocRegion(4096.5)).toThrow(RangeError);
    expect(() => allocRegion(Number.NaN)).toThrow(RangeError);
    expect(() => allocRegion(3 * 4096, { hugePages: 'huge' })).toThrow(/2 MiB/);
    expect(() => allocRegion(4096, { hugePages: 'giant' as 'huge' })).toThrow(TypeError);
    expect(() => attachRegion(4096 as unknown as bigint)).toThrow(TypeError);
    expect(() => attachRegion(0x1000n)).toThrow(RangeError);
    expect(listRegions().length).toBe(before);
  });

  it('the addon itself rejects bad arguments with TypeError/RangeError (no crash)', () => {
    const a = addon();
    expect(() => a.regionAlloc('x' as unknown as number)).toThrow(TypeError);
    expect(() => a.regionAlloc(-1)).toThrow(RangeError);
    expect(() => a.regionAlloc(0)).toThrow(RangeError);
    expect(() => a.regionAlloc(4097)).toThrow(RangeError);
    expect(() => a.regionAlloc(4096, 7 as 0)).toThrow(RangeError);
    expect(() => a.regionAttach(12 as unknown as bigint)).toThrow(TypeError);
    expect(() => a.regionAttach(-1n)).toThrow(RangeError);
    expect(() => a.regionFree('x' as unknown as bigint)).toThrow(TypeError);
    expect(a.regionFree(0x1000n)).toBe(false);
    expect(a.regionRelease(0x1000n)).toBe(false);
  });

  it('checks offsets and lengths of views', () => {
    const r = track(allocRegion(4096));
    expect(() => r.bytes(-1)).toThrow(RangeError);
    expect(() => r.bytes(0, 4097)).toThrow(RangeError);
    expect(() => r.range(1, 4095)).toThrow(/page size/);
    expect(r.range()).toEqual([r.address, 4096n]);
  });
});
