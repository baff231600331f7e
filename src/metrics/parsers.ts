/**
 * Pure parsers for the /proc files the experiments read. Each takes the
 * file's text and returns plain data; none touches the file system.
 */

/** /proc/vmstat: "name value" per line → { name: value }. */
export function parseVmstat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+(-?\d+)\s*$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** /proc/meminfo: "Name:   123 kB" per line → { Name: bytes } (values without a unit are kept as is). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]) * (m[3] === 'kB' ? 1024 : 1);
  }
  return out;
}

export interface SwapEntry {
  filename: string;
  /** "partition" or "file". */
  type: string;
  sizeBytes: number;
  usedBytes: number;
  priority: number;
}

/** /proc/swaps (header line, then one line per swap area; sizes in KiB). */
export function parseSwaps(text: string): SwapEntry[] {
  const out: SwapEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const [filename, type, size, used, priority] = f as [string, string, string, string, string];
    // Names with spaces are escaped by the kernel as \040.
    out.push({
      filename: filename.replace(/\\040/g, ' '),
      type,
      sizeBytes: Number(size) * 1024,
      usedBytes: Number(used) * 1024,
      priority: Number(priority),
    });
  }
  return out;
}

export interface DiskStats {
  major: number;
  minor: number;
  name: string;
  readsCompleted: number;
  sectorsRead: number;
  writesCompleted: number;
  sectorsWritten: number;
  /** Milliseconds the device had I/O in flight (field 10 of Documentation/admin-guide/iostats.rst). */
  ioTicksMs: number;
  /** Weighted milliseconds spent doing I/O (field 11). */
  weightedIoMs: number;
}

/** /proc/diskstats: one device per line, "major minor name" then at least 11 counters. */
export function parseDiskstats(text: string): DiskStats[] {
  const out: DiskStats[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = (i: number): number => Number(f[i]);
    out.push({
      major: n(0),
      minor: n(1),
      name: f[2]!,
      readsCompleted: n(3),
      sectorsRead: n(5),
      writesCompleted: n(7),
      sectorsWritten: n(9),
      ioTicksMs: n(12),
      weightedIoMs: n(13),
    });
  }
  return out;
}

/** Linux dev_t → major/minor (glibc's gnu_dev_major/minor). */
export function devMajorMinor(dev: bigint): { major: number; minor: number } {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}
