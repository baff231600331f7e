import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFileIo, type FileIo } from '../../../src/agent/file-io.js';
import { encodePagemapEntry } from '../../../src/agent/pagemap.js';
import { tempDir } from '../../support/temp-dir.js';

export function makeTempDir(): string {
  return tempDir('agent-test-');
}

export type EntrySpec = Parameters<typeof encodePagemapEntry>[0];

/** Writes pagemap entries for consecutive virtual pages starting at `startAddress`. */
export function writePagemap(file: string, startAddress: bigint, entries: readonly EntrySpec[]): void {
  const buffer = new BigUint64Array(entries.length);
  entries.forEach((entry, i) => {
    buffer[i] = encodePagemapEntry(entry);
  });
  const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w');
  try {
    fs.writeSync(fd, new Uint8Array(buffer.buffer), 0, buffer.byteLength, Number(startAddress / 4096n) * 8);
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates a zeroed idle bitmap covering PFNs [0, maxPfn). */
export function writeBitmap(file: string, maxPfn: number): void {
  fs.writeFileSync(file, new Uint8Array(Math.ceil(maxPfn / 64) * 8));
}

/** Emulates the kernel noticing an access: clears the idle bit of `pfn`. */
export function touchPfn(file: string, pfn: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const byte = new Uint8Array(1);
    const position = Math.floor(pfn / 64) * 8 + ((pfn % 64) >> 3);
    fs.readSync(fd, byte, 0, 1, position);
    byte[0] = byte[0]! & ~(1 << (pfn % 8));
    fs.writeSync(fd, byte, 0, 1, position);
  } finally {
    fs.closeSync(fd);
  }
}

export function isIdleInFile(file: string, pfn: number): boolean {
  const bytes = fs.readFileSync(file);
  const position = Math.floor(pfn / 64) * 8 + ((pfn % 64) >> 3);
  return ((bytes[position]! >> (pfn % 8)) & 1) === 1;
}

/**
 * FileIo that counts calls per file (by basename) and caps transfers on
 * chosen files, like the sysfs bitmap does at 4096 bytes.
 */
export class PerFileCountingIo implements FileIo {
  readonly reads = new Map<string, number>();
  readonly writes = new Map<string, number>();
  readonly transferSizes: number[] = [];
  private readonly names = new Map<number, string>();

  constructor(private readonly caps: Record<string, number> = {}, private readonly inner: FileIo = nodeFileIo) {}

  open(file: string, flags: 'r' | 'r+'): number {
    const fd = this.inner.open(file, flags);
    this.names.set(fd, path.basename(file));
    return fd;
  }

  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const name = this.names.get(fd)!;
    this.reads.set(name, (this.reads.get(name) ?? 0) + 1);
    const n = this.inner.read(fd, buffer, offset, Math.min(length, this.caps[name] ?? length), position);
    this.transferSizes.push(n);
    return n;
  }

  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const name = this.names.get(fd)!;
    this.writes.set(name, (this.writes.get(name) ?? 0) + 1);
    const n = this.inner.write(fd, buffer, offset, Math.min(length, this.caps[name] ?? length), position);
    this.transferSizes.push(n);
    return n;
  }

  close(fd: number): void {
    this.inner.close(fd);
  }

  readsOf(name: string): number {
    return this.reads.get(name) ?? 0;
  }

  writesOf(name: string): number {
    return this.writes.get(name) ?? 0;
  }

  reset(): void {
    this.reads.clear();
    this.writes.clear();
    this.transferSizes.length = 0;
  }
}

/**
 * The page_idle bitmap as the kernel serves it (mm/page_idle.c): it ends at
 * max_pfn rounded down to whole words (a read there returns 0 bytes, a write
 * fails with ENXIO), a write sets idle the frames whose bits are 1 and leaves
 * the others as they are, and frames the kernel cannot track (THP tail pages,
 * pages off the LRU: `neverIdle`) are never set idle and always read 0.
 * Other files pass through.
 */
export class KernelBitmapIo implements FileIo {
  private readonly names = new Map<number, string>();
  private readonly endByte: number;

  constructor(
    private readonly o: { maxPfn?: number; neverIdle?: (pfn: number) => boolean },
    private readonly inner: FileIo = nodeFileIo,
  ) {
    this.endByte = o.maxPfn === undefined ? Number.POSITIVE_INFINITY : Math.floor(o.maxPfn / 64) * 8;
  }

  open(file: string, flags: 'r' | 'r+'): number {
    const fd = this.inner.open(file, flags);
    this.names.set(fd, path.basename(file));
    return fd;
  }

  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    if (this.names.get(fd) !== 'bitmap') return this.inner.read(fd, buffer, offset, length, position);
    if (position >= this.endByte) return 0;
    const n = this.inner.read(fd, buffer, offset, Math.min(length, this.endByte - position), position);
    this.clearNeverIdle(buffer.subarray(offset, offset + n), position);
    return n;
  }

  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    if (this.names.get(fd) !== 'bitmap') return this.inner.write(fd, buffer, offset, length, position);
    if (position >= this.endByte) throw Object.assign(new Error('ENXIO: no such device or address, write'), { code: 'ENXIO' });
    const bytes = buffer.slice(offset, offset + Math.min(length, this.endByte - position));
    this.clearNeverIdle(bytes, position);
    // A 0 bit changes nothing: OR into what the file holds.
    const current = new Uint8Array(bytes.length);
    const n = this.inner.read(fd, current, 0, current.length, position);
    for (let i = 0; i < n; i++) bytes[i]! |= current[i]!;
    return this.inner.write(fd, bytes, 0, bytes.length, position);
  }

  close(fd: number): void {
    this.inner.close(fd);
  }

  private clearNeverIdle(bytes: Uint8Array, position: number): void {
    const neverIdle = this.o.neverIdle;
    if (neverIdle === undefined) return;
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) if (neverIdle((position + i) * 8 + bit)) bytes[i]! &= ~(1 << bit);
    }
  }
}

/** /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst). */
export const KPF = { CompoundHead: 15, CompoundTail: 16, Thp: 22 } as const;

/** Writes /proc/kpageflags entries (8 bytes per frame) for the given frames. */
export function writeKpageflags(file: string, flagsByPfn: ReadonlyMap<number, readonly number[]>): void {
  const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w');
  try {
    for (const [pfn, bits] of flagsByPfn) {
      const entry = new BigUint64Array([bits.reduce((v, b) => v | (1n << BigInt(b)), 0n)]);
      fs.writeSync(fd, new Uint8Array(entry.buffer), 0, 8, pfn * 8);
    }
  } finally {
    fs.closeSync(fd);
  }
}
