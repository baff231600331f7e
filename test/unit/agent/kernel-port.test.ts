import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelPort } from '../../../src/agent/kernel-port.js';
import { SWAPOUT_MAX_PAGES_PER_CALL, SWAPOUT_MAX_RANGES_PER_CALL, SwapOutFlag } from '../../../src/agent/kernel-port.js';
import { projectRoot } from '../../../src/harness/paths.js';
import { createKernelPort } from '../../../src/kernel/port.js';

describe('kernel port contract', () => {
  it('the src/kernel port is a KernelPort: typed as one (tsc checks) and with every method at run time', () => {
    const port: KernelPort = createKernelPort({ keepAlive: false });
    const methods = ['register', 'unregister', 'swapOut', 'onSignal'] as const satisfies readonly (keyof KernelPort)[];
    for (const m of methods) expect(typeof port[m], m).toBe('function');
    // Registering with a malformed region is refused by the port itself, before the kernel is asked.
    return expect(port.register([{ start: 0, length: 1 } as unknown as { start: bigint; length: bigint }])).rejects.toThrow(/region 0 must be \{ start: bigint, length: bigint \}/);
  });

  it('swap-out flags and limits mirror the uapi header', () => {
    expect(SwapOutFlag).toEqual({ None: 0, Async: 0x1, ThpSplit: 0x2, ThpNoSplit: 0x4 });
    expect(SWAPOUT_MAX_RANGES_PER_CALL).toBe(1024);
    expect(SWAPOUT_MAX_PAGES_PER_CALL).toBe(262144);
    // The same values read from the header itself, so that a change there cannot go unnoticed here.
    const header = readFileSync(path.join(projectRoot, 'kernel-patch/include/uapi/linux/balloon.h'), 'utf8');
    const define = (name: string): number => {
      const m = new RegExp(`^#define\\s+${name}\\s+(\\(1U << \\d+\\)|\\S+)`, 'm').exec(header);
      if (!m) throw new Error(`balloon.h has no #define ${name}`);
      const shift = /^\(1U << (\d+)\)$/.exec(m[1]!);
      return shift ? 2 ** Number(shift[1]) : Number(m[1]);
    };
    expect({ Async: SwapOutFlag.Async, ThpSplit: SwapOutFlag.ThpSplit, ThpNoSplit: SwapOutFlag.ThpNoSplit }).toEqual({
      Async: define('BALLOON_SWAPOUT_ASYNC'),
      ThpSplit: define('BALLOON_SWAPOUT_THP_SPLIT'),
      ThpNoSplit: define('BALLOON_SWAPOUT_THP_NOSPLIT'),
    });
    expect(SWAPOUT_MAX_RANGES_PER_CALL).toBe(define('BALLOON_SWAPOUT_MAX_RANGES'));
    expect(SWAPOUT_MAX_PAGES_PER_CALL).toBe(define('BALLOON_SWAPOUT_MAX_PAGES'));
  });
});
