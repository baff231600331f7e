import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  devMajorMinor,
  diffCounters,
  diffSnapshots,
  parseDiskstats,
  parseMeminfo,
  parseSwaps,
  parseVmstat,
  readBalloonCounters,
  FreeMemoryReader,
  readFreeBytes,
  readMeminfo,
  readSystemSnapshot,
  readVmstat,
  swapBackingDevices,
  type ProcPaths,
} from '../../../src/metrics/index.js';

const VMSTAT = `nr_free_pages 976518
nr_zone_inactive_anon 123618
pgpgin 1234
pswpin 17
pswpout 4242
pgfault 99999
pgmajfault 321
`;

const MEMINFO = `MemTotal:        2030000 kB
MemFree:          150000 kB
MemAvailable:     400000 kB
SwapTotal:       4194300 kB
SwapFree:        4000000 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;

const SWAPS = `Filename				Type		Size		Used		Priority
/dev/vdb                                partition	4194300		194300		-2
/swap\\040file                            file		1048572		0		-3
`;

const DISKSTATS = `   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 253       0 vda 5000 10 400000 3000 800 20 64000 900 0 2500 3900 0 0 0 0 0 0
 253      16 vdb 120 0 960 50 4242 0 33936 7000 0 6100 7050 0 0 0 0 0 0
 253      17 vdb1 1 0 8 0 0 0 0 0 0 3 3
   8       1 sda1 10 0 80 5 20 0 160 9 0 14 14
`;

describe('parsers', () => {
  it('reads /proc/vmstat counters by name', () => {
    const v = parseVmstat(VMSTAT);
    expect(v['pswpin']).toBe(17);
    expect(v['pswpout']).toBe(4242);
    expect(v['pgmajfault']).toBe(321);
    expect(v['nr_free_pages']).toBe(976518);
    expect(Object.keys(v)).toHaveLength(7);
  });

  it('reads /proc/meminfo in bytes (kB lines) and plain counts', () => {
    const m = parseMeminfo(MEMINFO);
    expect(m['MemTotal']).toBe(2030000 * 1024);
    expect(m['MemFree']).toBe(150000 * 1024);
    expect(m['MemAvailable']).toBe(400000 * 1024);
    expect(m['SwapTotal']).toBe(4194300 * 1024);
    expect(m['HugePages_Total']).toBe(0);
  });

  it('reads /proc/swaps, unescaping names', () => {
    expect(parseSwaps(SWAPS)).toEqual([
      { filename: '/dev/vdb', type: 'partition', sizeBytes: 4194300 * 1024, usedBytes: 194300 * 1024, priority: -2 },
      { filename: '/swap file', type: 'file', sizeBytes: 1048572 * 1024, usedBytes: 0, priority: -3 },
    ]);
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n')).toEqual([]);
  });

  it('reads /proc/diskstats with io_ticks (field 10)', () => {
    const d = parseDiskstats(DISKSTATS);
    expect(d.map((x) => x.name)).toEqual(['loop0', 'vda', 'vdb', 'vdb1', 'sda1']);
    const vdb = d.find((x) => x.name === 'vdb')!;
    expect(vdb).toMatchObject({ major: 253, minor: 16, readsCompleted: 120, writesCompleted: 4242, sectorsWritten: 33936, ioTicksMs: 6100, weightedIoMs: 7050 });
    expect(d.find((x) => x.name === 'sda1')!.ioTicksMs).toBe(14);
  });

  it('decodes dev_t like glibc', () => {
    expect(devMajorMinor(0xfd10n)).toEqual({ major: 253, minor: 16 });
    expect(devMajorMinor((259n << 8n) | 3n)).toEqual({ major: 259, minor: 3 });
    // minor ≥ 256 uses the high bits
    expect(devMajorMinor(((300n & ~0xffn) << 12n) | (300n & 0xffn) | (8n << 8n))).toEqual({ major: 8, minor: 300 });
  });

  it('finds the devices backing swap: partitions by name, files by major:minor', () => {
    const devs = swapBackingDevices(parseSwaps(SWAPS), parseDiskstats(DISKSTATS), () => (8n << 8n) | 1n, (f) => f);
    expect(devs).toEqual([
      { swap: '/dev/vdb', device: 'vdb' },
      { swap: '/swap file', device: 'sda1' },
    ]);
    const missing = swapBackingDevices(parseSwaps(SWAPS), [], () => {
      throw new Error('ENOENT');
    }, (f) => f);
    expect(missing).toEqual([
      { swap: '/dev/vdb', device: null },
      { swap: '/swap file', device: null },
    ]);
  });
});

describe('samplers over injected paths', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function procDir(vmstat: string, diskstats: string): ProcPaths {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'balloon-proc-'));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'vmstat'), vmstat);
    writeFileSync(path.join(dir, 'meminfo'), MEMINFO);
    writeFileSync(path.join(dir, 'diskstats'), diskstats);
    writeFileSync(path.join(dir, 'swaps'), 'Filename\tType\tSize\tUsed\tPriority\n/dev/vdb partition 4194300 0 -2\n');
    return { vmstat: path.join(dir, 'vmstat'), meminfo: path.join(dir, 'meminfo'), diskstats: path.join(dir, 'diskstats'), swaps: path.join(dir, 'swaps'), balloonSysfs: path.join(dir, 'none') };
  }

  it('snapshots and diffs vmstat and the swap device busy time', () => {
    const before = readSystemSnapshot(procDir(VMSTAT, DISKSTATS));
    const after = readSystemSnapshot(
      procDir(VMSTAT.replace('pswpin 17', 'pswpin 117').replace('pswpout 4242', 'pswpout 5242').replace('pgmajfault 321', 'pgmajfault 400'), DISKSTATS.replace(' 0 6100 7050', ' 0 6850 7800')),
    );
    expect(before.swapIoTicksMs).toEqual({ vdb: 6100 });
    const d = diffSnapshots(before, after);
    expect(d.vmstat.pswpin).toBe(100);
    expect(d.vmstat.pswpout).toBe(1000);
    expect(d.vmstat.pgmajfault).toBe(79);
    expect(d.vmstat.pgsteal_direct).toBe(0);
    expect(d.swapBusyMs).toBe(750);
    expect(d.swapDevices).toEqual([{ swap: '/dev/vdb', device: 'vdb' }]);
  });

  it('reads MemFree, the whole of meminfo in bytes, and vmstat', () => {
    const paths = procDir(VMSTAT, DISKSTATS);
    expect(readFreeBytes(paths)).toBe(150000 * 1024);
    expect(readMeminfo(paths)).toMatchObject({ MemTotal: 2030000 * 1024, MemFree: 150000 * 1024 });
    expect(readVmstat(paths)).toMatchObject({ pswpin: 17, pswpout: 4242, pgmajfault: 321 });
  });

  it('reads MemFree alone, whatever lines come before and after it, and says when it is missing', () => {
    const paths = procDir(VMSTAT, DISKSTATS);
    // The agent's fast path must agree with the full parse on the real file, where there is one.
    if (existsSync('/proc/meminfo')) {
      const real = { meminfo: '/proc/meminfo' };
      const [a, b] = [readFreeBytes(real), readMeminfo(real)['MemFree']!];
      expect(Math.abs(a - b)).toBeLessThan(64 << 20); // read a moment apart
    }
    writeFileSync(paths.meminfo, 'MemTotal:        2030000 kB\nMemFree:  7 kB\n');
    expect(readFreeBytes(paths)).toBe(7 * 1024);
    writeFileSync(paths.meminfo, 'MemFree: 12 kB\nMemTotal: 2030000 kB\n');
    expect(readFreeBytes(paths)).toBe(12 * 1024);
    writeFileSync(paths.meminfo, 'MemTotal: 2030000 kB\nSomeMemFree: 5 kB\nMemAvailable: 9 kB\n');
    expect(() => readFreeBytes(paths)).toThrow(/has no MemFree line/);
    writeFileSync(paths.meminfo, 'MemTotal: 2030000 kB\nMemFree: kB\n');
    expect(() => readFreeBytes(paths)).toThrow(/MemFree has no number/);
  });

  it('reads MemFree again and again through one open file, as the file changes', () => {
    const paths = procDir(VMSTAT, DISKSTATS);
    const reader = new FreeMemoryReader(paths.meminfo);
    expect(reader.read()).toBe(150000 * 1024);
    // Rewritten in place (same inode, as /proc regenerates it): the next read sees the new value.
    writeFileSync(paths.meminfo, MEMINFO.replace('MemFree:          150000 kB', 'MemFree:               9 kB'));
    expect(reader.read()).toBe(9 * 1024);
    // Further down than the reader's buffer: read whole.
    writeFileSync(paths.meminfo, `${'Padding:  1 kB\n'.repeat(200)}MemFree: 33 kB\n`);
    expect(reader.read()).toBe(33 * 1024);
    writeFileSync(paths.meminfo, 'MemTotal: 1 kB\n');
    expect(() => reader.read()).toThrow(/has no MemFree line/);
    reader.close();
    reader.close();
    if (existsSync('/proc/meminfo')) {
      const real = new FreeMemoryReader();
      expect(Math.abs(real.read() - readFreeBytes())).toBeLessThan(64 << 20);
      real.close();
    }
  });

  it('reads balloon sysfs counters (read-only files) and tunables (writable), and diffs them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'balloon-sysfs-'));
    dirs.push(dir);
    const write = (name: string, text: string, mode: number): void => writeFileSync(path.join(dir, name), text, { mode });
    write('threshold_bytes', '1073741824\n', 0o644);
    write('signals_sent', '12\n', 0o444);
    write('pages_freed', '3000\n', 0o444);
    write('registered', '', 0o444);
    const c = await readBalloonCounters(dir);
    expect('error' in c).toBe(false);
    if ('error' in c) return;
    expect(c.tunables).toEqual({ threshold_bytes: 1073741824 });
    expect(c.counters).toEqual({ signals_sent: 12, pages_freed: 3000 });
    expect(diffCounters(c.counters, { signals_sent: 20, pages_freed: 3500, new_one: 1 })).toEqual({ signals_sent: 8, pages_freed: 500 });
    const missing = await readBalloonCounters(path.join(dir, 'nope'));
    expect(missing).toEqual({ error: expect.stringContaining('npm run vm:up') });
  });
});
