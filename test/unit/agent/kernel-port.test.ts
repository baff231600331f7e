import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelPort } from '../../../src/agent/kernel-port.js';
import { SWAPOUT_MAX_PAGES_PER_CALL, SWAPOUT_MAX_RANGES_PER_CALL, SwapOutFlag } from '../../../src/agent/kernel-port.js';
import { projectRoot } from '../../../src/harness/paths.js';
import type { createKernelPort } from '../../../src/kernel/port.js';

// Compile-time contract: the addon-backed port built in src/kernel must fit the
// agent's KernelPort. If the shapes drift apart, `tsc --noEmit` fails here.
type AddonPort = ReturnType<typeof createKernelPort>;
const addonPortFits: AddonPort extends KernelPort ? true : false = true;

describe('kernel port contract', () => {
  it('the src/kernel port has the KernelPort shape', () => {
    expect(addonPortFits).toBe(true);
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
