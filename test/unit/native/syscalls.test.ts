import { release } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  allocRegion,
  balloonConstants,
  BalloonSyscallError,
  isRegistered,
  kernelProbe,
  type MemoryRegion,
  register,
  swapOut,
  swapOutSync,
  SwapOutFlags,
  unregister,
} from '../../../src/kernel/index.js';
import { addon } from '../../../src/kernel/addon.js';

const regions: MemoryRegion[] = [];
afterEach(() => {
  for (const r of regions.splice(0)) r.free();
});

function region(size = 64 * 1024): MemoryRegion {
  const r = allocRegion(size);
  regions.push(r);
  return r;
}

/** Runs fn and returns what it threw (or the rejection). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

function expectEnosys(err: unknown, syscall: string): void {
  expect(err).toBeInstanceOf(BalloonSyscallError);
  expect(err).toMatchObject({ code: 'ENOSYS', errno: 38, syscall });
  const message = (err as Error).message;
  expect(message).toContain("boot the project's VM with npm run vm:up");
  if (addon().haveUapiHeader) expect(message).toContain(`the running kernel has no balloon patch (uname -r: ${release()})`);
  else expect(message).toContain('built without kernel-patch/include/uapi/linux/balloon.h');
}

describe('balloon syscalls on a kernel without the patch', () => {
  it('probes the running kernel as unpatched, and has the header\'s syscall numbers compiled in', () => {
    const probe = kernelProbe();
    expect(probe.release).toBe(release());
    expect(probe.patched).toBe(false);
    expect(probe.syscallsCompiled).toBe(addon().haveUapiHeader);
    if (addon().haveUapiHeader) {
      expect(balloonConstants().__NR_balloon_ctl).toBeGreaterThan(0);
      expect(balloonConstants().__NR_balloon_swapout).toBeGreaterThan(0);
    }
  });

  it('register fails with ENOSYS and says what to do', async () => {
    const err = await thrown(() => register());
    expectEnosys(err, 'balloon_ctl');
    expect(err).toMatchObject({ op: 'register' });
    expect((err as Error).message).toMatch(/^balloon_ctl\(register\) failed with ENOSYS: /);
  });

  it('unregister and isRegistered fail with ENOSYS', async () => {
    expectEnosys(await thrown(() => unregister()), 'balloon_ctl');
    expectEnosys(await thrown(() => isRegistered()), 'balloon_ctl');
  });

  it('swapOut (async, off the JS thread) rejects with ENOSYS', async () => {
    const r = region();
    const pending = swapOut(r);
    expect(pending).toBeInstanceOf(Promise);
    expectEnosys(await thrown(() => pending), 'balloon_swapout');
    expectEnosys(await thrown(() => swapOut([[r.address, 4096n], { start: r.address + 8192n, length: 4096 }])), 'balloon_swapout');
  });

  it('swapOutSync throws ENOSYS', async () => {
    const r = region();
    expectEnosys(await thrown(() => swapOutSync(new BigUint64Array([r.address, BigInt(r.size)]))), 'balloon_swapout');
  });

  it('the raw addon errors carry code, errno and syscall', async () => {
    const r = region();
    const err = await thrown(() => addon().sysSwapOut(new BigUint64Array(r.range())));
    expect(err).toMatchObject({ code: 'ENOSYS', errno: 38, syscall: 'balloon_swapout' });
  });
});

describe('balloon syscalls: bad input fails before any syscall', () => {
  it('rejects malformed ranges', async () => {
    const r = region();
    const cases: Array<[unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, RegExp]> = [
      ['nope', TypeError, /BigUint64Array/],
      [new Uint32Array(2), TypeError, /BigUint64Array/],
      [new BigUint64Array(0), RangeError, /non-zero, even/],
      [new BigUint64Array([r.address]), RangeError, /non-zero, even/],
      [new BigUint64Array([r.address + 1n, 4096n]), RangeError, /not page-aligned/],
      [new BigUint64Array([r.address, 0n]), RangeError, /non-zero multiple of the page size/],
      [new BigUint64Array([r.address, 100n]), RangeError, /non-zero multiple of the page size/],
      [[[r.address, -4096]], RangeError, /out of range/],
      [[[Number(r.address), 4096]], TypeError, /start must be a bigint/],
      [[[r.address, 1.5]], RangeError, /integer/],
      [new BigUint64Array([0xffff_ffff_ffff_f000n, 8192n]), RangeError, /overflows/],
    ];
    for (const [ranges, type, message] of cases) {
      const err = await thrown(() => swapOut(ranges as BigUint64Array));
      expect(err).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(message);
      expect(() => swapOutSync(ranges as BigUint64Array)).toThrow(type);
    }
  });

  it('rejects ranges outside any live region (checked by the addon)', async () => {
    const r = region(16 * 4096);
    const outside = [
      new BigUint64Array([r.address + BigInt(r.size), 4096n]), // just past the end
      new BigUint64Array([r.address - 4096n, 8192n]), // straddles the start
      new BigUint64Array([r.address, BigInt(r.size) + 4096n]), // too long
      new BigUint64Array([4096n, 4096n]), // nowhere near
    ];
    for (const ranges of outside) {
      const err = await thrown(() => swapOut(ranges));
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toMatch(/not inside a live memory region/);
    }
    const freed = allocRegion(4096);
    const range = new BigUint64Array(freed.range());
    freed.free();
    expect(() => swapOutSync(range)).toThrow(/not inside a live memory region/);
  });

  it('rejects more ranges or pages per call than the kernel takes', async () => {
    const c = balloonConstants();
    const maxRanges = c.BALLOON_SWAPOUT_MAX_RANGES ?? 1024;
    const maxPages = c.BALLOON_SWAPOUT_MAX_PAGES ?? 1 << 18;
    const r = region((maxRanges + 1) * 4096);
    const many = Array.from({ length: maxRanges + 1 }, (_, i) => [r.address + BigInt(i * 4096), 4096n] as const);
    if (addon().haveUapiHeader) {
      await expect(swapOut(many)).rejects.toThrow(/at most 1024 ranges per call/);
      // Not mapped with backing memory: MAP_NORESERVE and never touched.
      const big = region((maxPages + 1) * 4096);
      await expect(swapOut(big)).rejects.toThrow(/at most 262144 pages per call/);
      expect(() => addon().sysSwapOutSync(new BigUint64Array(big.range()))).toThrow(RangeError);
    } else {
      await expect(swapOut(many)).rejects.toMatchObject({ code: 'ENOSYS' });
    }
  });

  it('rejects bad flags', async () => {
    const r = region();
    if (addon().haveUapiHeader) {
      await expect(swapOut(r, { flags: 0x8 })).rejects.toThrow(/unknown flag bits 0x8/);
      await expect(swapOut(r, { flags: SwapOutFlags.THP_SPLIT | SwapOutFlags.THP_NOSPLIT })).rejects.toThrow(/exclude each other/);
      expect(() => addon().sysSwapOutSync(new BigUint64Array(r.range()), 0x8)).toThrow(RangeError);
      expect(() => addon().sysSwapOutSync(new BigUint64Array(r.range()), 6)).toThrow(RangeError);
      // Valid flags get as far as the (missing) syscall.
      await expect(swapOut(r, { flags: SwapOutFlags.ASYNC | SwapOutFlags.THP_SPLIT })).rejects.toMatchObject({ code: 'ENOSYS' });
    }
    await expect(swapOut(r, { flags: -1 })).rejects.toThrow(RangeError);
    await expect(swapOut(r, { flags: 1.5 })).rejects.toThrow(RangeError);
    await expect(swapOut(r, { flags: '1' as unknown as number })).rejects.toThrow(TypeError);
    expect(() => addon().sysSwapOutSync(new BigUint64Array(r.range()), -1)).toThrow(RangeError);
  });

  it('the raw addon validates too', () => {
    const r = region();
    const a = addon();
    expect(() => a.sysSwapOutSync('x' as unknown as BigUint64Array)).toThrow(TypeError);
    expect(() => a.sysSwapOut(new BigUint64Array([r.address + 1n, 4096n]))).toThrow(RangeError);
    expect(() => a.sysSwapOut(new BigUint64Array([4096n, 4096n]))).toThrow(/not inside a live memory region/);
    expect(() => a.sysCtl('1' as unknown as number)).toThrow(TypeError);
    expect(() => a.sysCtl(-1)).toThrow(RangeError);
    expect(() => (a.sysCtl as () => number)()).toThrow(TypeError);
  });
});
