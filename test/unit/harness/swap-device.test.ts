/**
 * The swap device model: profiles, the options of vm:up and the QEMU command
 * line (QEMU itself applying the throttle is in the integration tier:
 * test/integration/harness/swap-device-qemu.test.ts).
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../../src/harness/errors.js';
import { QEMU_TEST_OPTIONS, qemuDrives } from '../../support/qemu-drives.js';
import { parseRate, resolveSwapDevice, SWAP_DEVICE_PROFILES, TCG_SLOWDOWN, throttleDriveOptions } from '../../../src/harness/swap-device.js';
import { addVmOptions, toVmOptions, type VmCliOptions } from '../../../src/harness/vm-cli-options.js';

describe('swap device profiles', () => {
  it('divides the data-sheet figures by the TCG slowdown, rounding down', () => {
    const ssd = resolveSwapDevice({ device: 'ssd' }, 'tcg');
    expect(ssd.native).toEqual({ iops: 13_000, bytesPerSecond: 530_000_000 });
    expect(ssd.slowdown).toBe(TCG_SLOWDOWN);
    expect(ssd.throttle).toEqual({ iops: Math.floor(13_000 / TCG_SLOWDOWN), bytesPerSecond: Math.floor(530_000_000 / TCG_SLOWDOWN) });
    expect(ssd.description).toBe('ssd: SATA SSD (Samsung 870 EVO); 13,000 IOPS, 530 MB/s ÷ 7 (tcg slowdown) = 1,857 IOPS, 75.7 MB/s');
    const hdd = resolveSwapDevice({ device: 'hdd' }, 'kvm');
    expect(hdd).toMatchObject({ slowdown: 1, throttle: { iops: SWAP_DEVICE_PROFILES.hdd.iops, bytesPerSecond: SWAP_DEVICE_PROFILES.hdd.bytesPerSecond } });
  });

  it('leaves none unthrottled and takes a custom device and slowdown as given', () => {
    expect(resolveSwapDevice({ device: 'none' }, 'tcg').throttle).toEqual({ iops: null, bytesPerSecond: null });
    const custom = resolveSwapDevice({ device: 'custom', iops: 500, slowdown: 2 }, 'tcg');
    expect(custom).toMatchObject({ native: { iops: 500, bytesPerSecond: null }, slowdown: 2, throttle: { iops: 250, bytesPerSecond: null } });
    expect(resolveSwapDevice({ device: 'custom', iops: 3, slowdown: 7 }, 'tcg').throttle.iops).toBe(1);
  });

  it('refuses every bad combination with one line saying what to do', () => {
    const fails = (f: () => unknown): HarnessError => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(HarnessError);
        return err as HarnessError;
      }
      throw new Error('did not throw');
    };
    expect(fails(() => resolveSwapDevice({ device: 'custom' }, 'tcg')).message).toBe('--swap-device custom needs --swap-iops, --swap-bps or both.');
    expect(fails(() => resolveSwapDevice({ device: 'ssd', iops: 10 }, 'tcg')).hint).toBe('Add --swap-device custom, or drop them.');
    expect(fails(() => resolveSwapDevice({ device: 'custom', iops: 1.5 }, 'tcg')).message).toMatch(/--swap-iops must be a positive integer/);
    expect(fails(() => resolveSwapDevice({ device: 'hdd', slowdown: 0.5 }, 'tcg')).message).toMatch(/--swap-slowdown must be a number of at least 1/);
    expect(fails(() => resolveSwapDevice({ device: 'floppy' as 'none' }, 'tcg')).hint).toBe('Choose one of none, ssd, hdd, custom.');
  });

  it('reads rates in the size grammar (powers of 1024)', () => {
    // The one size grammar (src/cli/README.md, "Sizes"): powers of 1024, a plain number is bytes.
    expect([parseRate('530M'), parseRate('530M/s'), parseRate('530MiB/s'), parseRate('1.5G'), parseRate('530000000'), parseRate('64k')]).toEqual([530 * 2 ** 20, 530 * 2 ** 20, 530 * 2 ** 20, 1.5 * 2 ** 30, 530e6, 64 * 1024]);
    expect(() => parseRate('fast', '--swap-bps')).toThrow('--swap-bps "fast" is not a rate; use bytes per second with an optional unit K, M, G (powers of 1024), e.g. 200M or 530000000');
    expect(() => parseRate('0')).toThrow(/is not a rate/);
  });
});

describe('vm:up options', () => {
  const parse = (...args: string[]): VmCliOptions => {
    const cmd = addVmOptions(new Command('up').exitOverride().configureOutput({ writeErr: () => undefined }));
    return cmd.parse(args, { from: 'user' }).opts<VmCliOptions>();
  };

  it('defaults to no throttling and threads a custom device into the VM options', () => {
    expect(toVmOptions('vm', parse()).swapDevice).toEqual({ device: 'none' });
    const o = toVmOptions('vm', parse('--swap-device', 'custom', '--swap-iops', '500', '--swap-bps', '20M', '--swap-slowdown', '1'));
    expect(o.swapDevice).toEqual({ device: 'custom', iops: 500, bytesPerSecond: 20 * 2 ** 20, slowdown: 1 });
  });

  it('gives a TCG guest one vCPU and a KVM guest two unless --cpus says otherwise', () => {
    expect(toVmOptions('vm', parse()).cpus).toBe(1);
    expect(toVmOptions('vm', parse('--accel', 'kvm')).cpus).toBe(2);
    expect(toVmOptions('vm', parse('--cpus', '3')).cpus).toBe(3);
    expect(toVmOptions('vm', parse('--accel', 'kvm', '--cpus', '1')).cpus).toBe(1);
  });

  it('refuses an unknown device and rates without custom before anything boots', () => {
    expect(() => parse('--swap-device', 'floppy')).toThrow(/must be one of none, ssd, hdd, custom/);
    expect(() => toVmOptions('vm', parse('--swap-device', 'hdd', '--swap-bps', '1G'))).toThrow(/--swap-iops and --swap-bps set a custom device, but --swap-device is hdd/);
  });
});

describe('QEMU command line of the swap disk', () => {

  it('throttles the swap drive, and only it', () => {
    const ssd = resolveSwapDevice({ device: 'ssd' }, 'tcg');
    expect(qemuDrives({ ...QEMU_TEST_OPTIONS, swapThrottle: ssd.throttle })).toEqual([
      'file=/s/root.qcow2,if=virtio,format=qcow2,cache=unsafe',
      'file=/s/swap.img,if=virtio,format=raw,cache=unsafe,throttling.iops-total=1857,throttling.bps-total=75714285',
    ]);
    expect(qemuDrives({ ...QEMU_TEST_OPTIONS, swapThrottle: { iops: null, bytesPerSecond: 1000 } })[1]).toBe('file=/s/swap.img,if=virtio,format=raw,cache=unsafe,throttling.bps-total=1000');
    expect(qemuDrives(QEMU_TEST_OPTIONS)[1]).toBe('file=/s/swap.img,if=virtio,format=raw,cache=unsafe');
    expect(throttleDriveOptions({ iops: null, bytesPerSecond: null })).toEqual([]);
  });
});
