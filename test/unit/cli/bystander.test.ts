import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BystanderError, startBystander } from '../../../src/cli/bystander.js';

const MiB = 1 << 20;

describe('bystander', { timeout: 30_000 }, () => {
  it('mlock: a child process holds the bytes locked until stop', async () => {
    const b = await startBystander(2 * MiB, 'mlock');
    try {
      expect(b).toMatchObject({ method: 'mlock', bytes: 2 * MiB });
      expect(b.pid).toBeGreaterThan(0);
      const status = readFileSync(`/proc/${b.pid}/status`, 'utf8');
      const locked = Number(/VmLck:\s+(\d+) kB/.exec(status)?.[1]);
      expect(locked).toBeGreaterThanOrEqual(2048);
    } finally {
      await b.stop();
    }
    expect(existsSync(`/proc/${b.pid}`)).toBe(false);
  });

  it('mlock of more than the machine has fails with a clear message', async () => {
    // More than RAM can ever be locked, even by root.
    await expect(startBystander(2 ** 50, 'mlock')).rejects.toThrow(BystanderError);
    await expect(startBystander(2 ** 50, 'mlock')).rejects.toThrow(/^the bystander could not hold 1125899906842624 bytes locked \(exit \d+\): Out of memory!$/);
  });

  it('ramfs: root holds the bytes in a ramfs file; others get a clear error', async () => {
    if (process.getuid?.() === 0) {
      const b = await startBystander(MiB, 'ramfs');
      const mounts = readFileSync('/proc/self/mounts', 'utf8');
      expect(mounts).toMatch(/ramfs \S*balloon-bystander-\S* ramfs/);
      await b.stop();
      expect(readFileSync('/proc/self/mounts', 'utf8')).not.toMatch(/balloon-bystander-/);
    } else {
      await expect(startBystander(MiB, 'ramfs')).rejects.toThrow(/cannot mount a ramfs for the bystander/);
    }
  });

  it('refuses a non-positive size', async () => {
    await expect(startBystander(0)).rejects.toThrow(RangeError);
  });
});
