import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BALLOON_SYSFS_DIR,
  BalloonSysfsError,
  parseSysfsValue,
  readBalloonSysfs,
  readBalloonSysfsSync,
  readBalloonSysfsValue,
} from '../../../src/kernel/index.js';
import { tempDir } from '../../support/temp-dir.js';

function fakeSysfs(): string {
  const dir = tempDir('balloon-sysfs-');
  writeFileSync(path.join(dir, 'nr_signals'), '17\n');
  writeFileSync(path.join(dir, 'nr_swapped_out'), '18446744073709551615\n');
  writeFileSync(path.join(dir, 'low_watermark_pages'), '4096\n');
  writeFileSync(path.join(dir, 'policy'), 'proportional\n');
  writeFileSync(path.join(dir, 'registered'), '101\n202\n');
  chmodSync(path.join(dir, 'registered'), 0o444);
  chmodSync(path.join(dir, 'nr_signals'), 0o444);
  chmodSync(path.join(dir, 'nr_swapped_out'), 0o444);
  chmodSync(path.join(dir, 'low_watermark_pages'), 0o644);
  chmodSync(path.join(dir, 'policy'), 0o644);
  mkdirSync(path.join(dir, 'subdir'));
  return dir;
}

describe('balloon sysfs', () => {
  it('splits read-only counters from writable tunables and parses numbers', async () => {
    const dir = fakeSysfs();
    const expected = {
      counters: { nr_signals: 17, nr_swapped_out: 18446744073709551615n, registered: [101, 202] },
      tunables: { low_watermark_pages: 4096, policy: 'proportional' },
    };
    expect(await readBalloonSysfs(dir)).toEqual(expected);
    expect(readBalloonSysfsSync(dir)).toEqual(expected);
    expect(await readBalloonSysfsValue('nr_signals', dir)).toBe(17);
  });

  it('parses sysfs values', () => {
    expect(parseSysfsValue('0\n')).toBe(0);
    expect(parseSysfsValue('-3')).toBe(-3);
    expect(parseSysfsValue('0x10')).toBe(16);
    expect(parseSysfsValue('[madvise] never')).toBe('[madvise] never');
    expect(parseSysfsValue('', 'registered')).toEqual([]);
    expect(parseSysfsValue('7\n', 'registered')).toEqual([7]);
  });

  it('explains a missing directory: the kernel has no balloon patch', async () => {
    // This host's kernel is not patched, so the real directory does not exist either.
    for (const dir of [BALLOON_SYSFS_DIR, path.join(tmpdir(), 'no-such-balloon-dir')]) {
      const err = await readBalloonSysfs(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BalloonSysfsError);
      expect(err).toMatchObject({ code: 'ENOENT' });
      expect((err as Error).message).toContain(`uname -r: ${release()}`);
      expect((err as Error).message).toContain('npm run vm:up');
      expect(() => readBalloonSysfsSync(dir)).toThrow(BalloonSysfsError);
    }
    await expect(readBalloonSysfsValue('nr_signals')).rejects.toThrow(/no balloon patch/);
  });

  it('rejects names that are not plain file names', async () => {
    const dir = fakeSysfs();
    await expect(readBalloonSysfsValue('../etc/passwd', dir)).rejects.toThrow(TypeError);
    await expect(readBalloonSysfsValue('', dir)).rejects.toThrow(TypeError);
    await expect(readBalloonSysfsValue('nope', dir)).rejects.toThrow(/no such balloon counter/);
  });
});
