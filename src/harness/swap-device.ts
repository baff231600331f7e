/**
 * The swap disk's cost model: QEMU's block throttling on the swap drive makes
 * swap I/O cost what it costs on a real device, instead of a copy through the
 * host's page cache. Profiles hold data-sheet figures (docs/swap-device.md
 * says where each comes from); under TCG they are divided by the guest's
 * slowdown, so that swap I/O and CPU keep the proportion they have natively.
 */
import { HarnessError } from './errors.js';
import { parseSizeBytes, SizeError } from './sizes.js';
import type { Accelerator } from './qemu.js';

export const SWAP_DEVICE_NAMES = ['none', 'ssd', 'hdd', 'custom'] as const;
export type SwapDeviceName = (typeof SWAP_DEVICE_NAMES)[number];

/** A device's rates; null = not limited. */
export interface SwapDeviceRates {
  /** I/O requests per second, reads and writes together. */
  iops: number | null;
  /** Bytes per second, reads and writes together. */
  bytesPerSecond: number | null;
}

export interface SwapDeviceProfile extends SwapDeviceRates {
  name: 'ssd' | 'hdd';
  /** The device the figures describe. */
  device: string;
  /** Where the figures come from, in one line (docs/swap-device.md has the reasoning). */
  source: string;
}

/**
 * Data-sheet figures of two common devices.
 * - ssd: Samsung 870 EVO (SATA): 13,000 IOPS of 4 KiB random reads at queue
 *   depth 1 (a swap-in is a synchronous fault: the faulting thread waits for
 *   one read at a time), 530 MB/s sequential writes (the lower of its two
 *   sequential figures; swapping is write-heavy).
 * - hdd: a 7200 rpm desktop disk (Seagate BarraCuda 1 TB): 4.16 ms average
 *   rotational latency plus a short seek inside a few-GiB swap area (~2 ms)
 *   is ~6.2 ms per random request, 160 requests per second; 160 MB/s between
 *   its 210 MB/s outer-track maximum and the inner tracks' about half that.
 */
export const SWAP_DEVICE_PROFILES: Readonly<Record<'ssd' | 'hdd', SwapDeviceProfile>> = {
  ssd: {
    name: 'ssd',
    device: 'SATA SSD (Samsung 870 EVO)',
    iops: 13_000,
    bytesPerSecond: 530_000_000,
    source: 'Samsung 870 EVO data sheet: 13,000 IOPS 4 KiB random read at QD1, 530 MB/s sequential write',
  },
  hdd: {
    name: 'hdd',
    device: '7200 rpm disk (Seagate BarraCuda 1 TB)',
    iops: 160,
    bytesPerSecond: 160_000_000,
    source: '7200 rpm: 4.16 ms average rotational latency + ~2 ms short seek = 160 IOPS; 210 MB/s outer to ~100 MB/s inner tracks, 160 MB/s',
  },
};

/**
 * How much slower the guest's CPU is than the host's under software
 * emulation: a memory loop runs about 7x slower under TCG (ENVIRONMENT.md,
 * "Running the VM"). Dividing a device's rates by it keeps the native ratio of
 * swap I/O time to CPU time.
 */
export const TCG_SLOWDOWN = 7;

/** What the user asks for (vm:up options). */
export interface SwapDeviceRequest {
  device: SwapDeviceName;
  /** custom only. */
  iops?: number;
  /** custom only. */
  bytesPerSecond?: number;
  /** Divisor of the rates; default TCG_SLOWDOWN under tcg, 1 under kvm. */
  slowdown?: number;
}

/** The model a VM runs with (recorded in its state and in every result that used it). */
export interface SwapDeviceModel {
  device: SwapDeviceName;
  /** The device's own rates (the profile's, or the user's for custom); both null for none. */
  native: SwapDeviceRates;
  /** What the rates were divided by (the guest's slowdown against native). */
  slowdown: number;
  /** What QEMU enforces on the swap drive: native / slowdown, rounded down, at least 1. */
  throttle: SwapDeviceRates;
  /** One line: the device and the source of its figures. */
  description: string;
}

export const isSwapDeviceName = (s: string): s is SwapDeviceName => (SWAP_DEVICE_NAMES as readonly string[]).includes(s);

/**
 * `200M`, `200M/s`, `1.5G`, `75000000`: bytes per second in the one size grammar (src/harness/sizes.ts:
 * a plain number is bytes, K/M/G/T are powers of 1024), with an optional `/s`. A data sheet's decimal
 * 530 MB/s is `530000000`.
 */
export function parseRate(text: string, what = 'rate'): number {
  const size = text.replace(/\/s\s*$/i, '');
  try {
    return parseSizeBytes(size, what);
  } catch (err) {
    if (err instanceof SizeError) throw new RangeError(`${what} "${text}" is not a rate; use bytes per second with an optional unit K, M, G (powers of 1024), e.g. 200M or 530000000`);
    throw err;
  }
}

const positive = (n: number | undefined): boolean => n !== undefined && Number.isFinite(n) && n > 0;

/** Checks a request and works out the throttle; every bad combination is one clear error. */
export function resolveSwapDevice(request: SwapDeviceRequest, accel: Accelerator): SwapDeviceModel {
  const { device } = request;
  if (!isSwapDeviceName(device)) {
    throw new HarnessError(`--swap-device "${String(device)}" is not a swap device.`, `Choose one of ${SWAP_DEVICE_NAMES.join(', ')}.`);
  }
  const hasRates = request.iops !== undefined || request.bytesPerSecond !== undefined;
  if (device !== 'custom' && hasRates) {
    throw new HarnessError(`--swap-iops and --swap-bps set a custom device, but --swap-device is ${device}.`, 'Add --swap-device custom, or drop them.');
  }
  if (request.iops !== undefined && !(Number.isInteger(request.iops) && request.iops > 0)) {
    throw new HarnessError(`--swap-iops must be a positive integer, got ${request.iops}.`, 'Give the device\'s requests per second.');
  }
  if (request.bytesPerSecond !== undefined && !positive(request.bytesPerSecond)) {
    throw new HarnessError(`--swap-bps must be positive, got ${request.bytesPerSecond}.`, 'Give the device\'s bytes per second, e.g. 200M (MiB/s) or 530000000.');
  }
  if (device === 'custom' && !hasRates) {
    throw new HarnessError('--swap-device custom needs --swap-iops, --swap-bps or both.', 'For example: --swap-device custom --swap-iops 5000 --swap-bps 200M.');
  }
  if (request.slowdown !== undefined && !(Number.isFinite(request.slowdown) && request.slowdown >= 1)) {
    throw new HarnessError(`--swap-slowdown must be a number of at least 1, got ${request.slowdown}.`, 'It divides the device\'s rates; 1 applies them as they are.');
  }
  const slowdown = request.slowdown ?? (accel === 'tcg' ? TCG_SLOWDOWN : 1);
  let native: SwapDeviceRates;
  let what: string;
  if (device === 'none') {
    native = { iops: null, bytesPerSecond: null };
    what = 'none: no throttling (a file in the host\'s page cache)';
  } else if (device === 'custom') {
    native = { iops: request.iops ?? null, bytesPerSecond: request.bytesPerSecond ?? null };
    what = 'custom';
  } else {
    const p = SWAP_DEVICE_PROFILES[device];
    native = { iops: p.iops, bytesPerSecond: p.bytesPerSecond };
    what = `${device}: ${p.device}`;
  }
  const scale = (n: number | null): number | null => (n === null ? null : Math.max(1, Math.floor(n / slowdown)));
  const throttle = { iops: scale(native.iops), bytesPerSecond: scale(native.bytesPerSecond) };
  const model: SwapDeviceModel = { device, native, slowdown, throttle, description: '' };
  model.description = device === 'none' ? what : `${what}; ${formatRates(native)}${slowdown === 1 ? '' : ` ÷ ${slowdown} (${accel} slowdown) = ${formatRates(throttle)}`}`;
  return model;
}

/** `13,000 IOPS, 530 MB/s` (decimal megabytes, as data sheets). */
export function formatRates(r: SwapDeviceRates): string {
  const parts: string[] = [];
  if (r.iops !== null) parts.push(`${r.iops.toLocaleString('en-US')} IOPS`);
  if (r.bytesPerSecond !== null) parts.push(`${(r.bytesPerSecond / 1e6).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB/s`);
  return parts.length === 0 ? 'unlimited' : parts.join(', ');
}

/** The -drive suboptions that enforce the rates (QEMU 7.2 takes throttling.* on -drive). */
export function throttleDriveOptions(r: SwapDeviceRates): string[] {
  const out: string[] = [];
  if (r.iops !== null) out.push(`throttling.iops-total=${r.iops}`);
  if (r.bytesPerSecond !== null) out.push(`throttling.bps-total=${r.bytesPerSecond}`);
  return out;
}
