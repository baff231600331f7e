/**
 * QEMU itself accepting the swap device model's throttle and applying it to
 * the swap drive, and only it: started paused with no guest code run, asked
 * over QMP, told to quit (needs qemu-system-x86_64, hence this tier).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { QEMU_TEST_OPTIONS, qemuDrives } from '../../support/qemu-drives.js';
import { resolveSwapDevice } from '../../../src/harness/swap-device.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-swap-device-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('QEMU and the swap disk\'s throttle', () => {

  it('is accepted by QEMU, which applies the figures to the drive (paused, no guest code runs)', async () => {
    const which = await execa('sh', ['-c', 'command -v qemu-system-x86_64'], { reject: false });
    expect(which.exitCode, 'qemu-system-x86_64 is missing: apt-get install qemu-system-x86').toBe(0);
    const disk = path.join(tmp, 'swap.img');
    await execa('qemu-img', ['create', '-q', '-f', 'raw', disk, '16M']);
    const throttle = resolveSwapDevice({ device: 'hdd' }, 'tcg').throttle;
    const swapDrive = qemuDrives({ ...QEMU_TEST_OPTIONS, swapDisk: disk, swapThrottle: throttle })[1]!;
    const qmp = ['qmp_capabilities', 'query-block', 'quit'].map((c) => JSON.stringify({ execute: c })).join('\n');
    const r = await execa(
      'qemu-system-x86_64',
      ['-machine', 'pc', '-accel', 'tcg,thread=single', '-S', '-nodefaults', '-display', 'none', '-drive', swapDrive, '-qmp', 'stdio'],
      { input: `${qmp}\n`, reject: false, timeout: 30_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const blocks = r.stdout.split('\n').flatMap((l) => {
      const j = JSON.parse(l) as { return?: unknown };
      return Array.isArray(j.return) ? (j.return as { inserted?: { file: string; iops: number; bps: number } }[]) : [];
    });
    expect(blocks.map((b) => b.inserted && { file: b.inserted.file, iops: b.inserted.iops, bps: b.inserted.bps })).toEqual([
      { file: disk, iops: throttle.iops, bps: throttle.bytesPerSecond },
    ]);
  });
});
