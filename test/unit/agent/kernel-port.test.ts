import { describe, expect, it } from 'vitest';
import type { KernelPort } from '../../../src/agent/kernel-port.js';
import { SWAPOUT_MAX_PAGES_PER_CALL, SWAPOUT_MAX_RANGES_PER_CALL, SwapOutFlag } from '../../../src/agent/kernel-port.js';
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
  });
});
