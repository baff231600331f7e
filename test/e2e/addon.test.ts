/**
 * The N-API addon against the patched kernel, in the VM: registration, a
 * SIGBALLOON sent by the kernel's watcher, a swap-out with the data intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshRun, vmDefaults, vmDown, vmUp, type VmState } from '../../src/harness/vm.js';

const instance = 'e2e-addon';

describe('addon in the VM', () => {
  let vm: VmState;
  let report: Record<string, any>;

  beforeAll(async () => {
    await vmDown(instance);
    vm = await vmUp({ ...vmDefaults, instance, memoryMiB: 1024, swapMiB: 1024 });
    const out = await sshRun(vm, 'cd /opt/app-balloon && node --import tsx test/guest/addon-check.ts', 300);
    report = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, any>;
  });

  afterAll(async () => {
    await vmDown(instance);
  });

  it('sees the patched kernel and registers', () => {
    expect(report.probe).toMatchObject({ patched: true, syscallsCompiled: true });
    expect(report.registered).toBe(true);
  });

  it('receives SIGBALLOON from the kernel with its payload when free memory is below the threshold', () => {
    expect(report.signal).not.toBeNull();
    expect(report.signal.fromKernel).toBe(true);
    expect(report.signal.pages).toBeGreaterThan(0);
    expect(report.signal.freePages).toBeGreaterThan(0);
    expect(report.signal.count).toBeGreaterThanOrEqual(1);
  });

  it('swaps out a region range and the data reads back intact', () => {
    expect(report.swapOut.pagesRequested).toBe(4096);
    expect(report.swapOut.freed).toBeGreaterThan(4000);
    expect(report.swapOut.vmSwapDeltaKiB).toBeGreaterThan(4000 * 4);
    // Every 32-bit word of the 32 MiB region is checked against its own stamp.
    expect(report.swapOut.wordsChecked).toBe((32 << 20) / 4);
    expect(report.swapOut.badWords).toBe(0);
    expect(report.swapOut.intact).toBe(true);
    expect(report.swapOutAfterReadBack).toBe(true);
  });

  it('maps kernel refusals to errno names', () => {
    expect(report.unaligned).toMatch(/^RangeError: .*not page-aligned/);
    // A foreign address never reaches the kernel: the wrapper only sends ranges of live regions.
    expect(report.unmapped).toMatch(/^RangeError: .*not inside a live memory region/);
    expect(report.registeredAfterUnregister).toBe(false);
    expect(report.unregisteredSwapOut).toBe('EPERM');
  });
});
