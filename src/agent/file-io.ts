import * as fs from 'node:fs';
import { AgentError, PROFILER_ADVICE } from './errors.js';

/**
 * Positional file I/O the profiler needs. Injectable so that tests can count
 * calls and emulate the sysfs limit of 4096 bytes per read/write.
 */
export interface FileIo {
  open(path: string, flags: 'r' | 'r+'): number;
  /** pread(2): returns the number of bytes read (may be short; 0 at EOF). */
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** pwrite(2): returns the number of bytes written (may be short). */
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  close(fd: number): void;
}

/** The real thing: synchronous node:fs calls with explicit positions. */
export const nodeFileIo: FileIo = {
  open: (path, flags) => fs.openSync(path, flags),
  read: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  write: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  close: (fd) => fs.closeSync(fd),
};

export interface CountingFileIoOptions {
  /** Cap every read/write at this many bytes (the page_idle bitmap moves at most 4096). */
  maxBytesPerCall: number;
}

/** Wraps a FileIo, counting calls and bytes, optionally returning short counts. */
export class CountingFileIo implements FileIo {
  reads = 0;
  writes = 0;
  bytesRead = 0;
  bytesWritten = 0;
  private readonly maxBytesPerCall: number;

  constructor(
    private readonly inner: FileIo = nodeFileIo,
    options: Partial<CountingFileIoOptions> = {},
  ) {
    this.maxBytesPerCall = options.maxBytesPerCall ?? Number.POSITIVE_INFINITY;
  }

  open(path: string, flags: 'r' | 'r+'): number {
    return this.inner.open(path, flags);
  }

  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.reads++;
    const n = this.inner.read(fd, buffer, offset, Math.min(length, this.maxBytesPerCall), position);
    this.bytesRead += n;
    return n;
  }

  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    this.writes++;
    const n = this.inner.write(fd, buffer, offset, Math.min(length, this.maxBytesPerCall), position);
    this.bytesWritten += n;
    return n;
  }

  close(fd: number): void {
    this.inner.close(fd);
  }

  resetCounts(): void {
    this.reads = this.writes = this.bytesRead = this.bytesWritten = 0;
  }
}

/**
 * Opens a kernel interface file, turning the usual failures into errors that
 * say what to do instead of a bare ENOENT/EACCES.
 */
export function openKernelFile(io: FileIo, path: string, flags: 'r' | 'r+', what: string): number {
  try {
    return io.open(path, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    const reason =
      code === 'ENOENT'
        ? `${what} not found`
        : code === 'EACCES' || code === 'EPERM'
          ? `permission denied opening ${what}`
          : `cannot open ${what} (${code})`;
    throw new AgentError(`${reason} at ${path}: ${PROFILER_ADVICE}`, { path, flags, code }, { cause: error });
  }
}

/** One pread(2) or pwrite(2) that may move fewer bytes than asked. */
type Transfer = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => number;

/** Moves exactly `length` bytes at `position`, looping on short transfers; `stuck` starts the message for a call that moved nothing. */
function transferFully(transfer: Transfer, fd: number, buffer: Uint8Array, offset: number, length: number, position: number, path: string, stuck: string): void {
  let done = 0;
  while (done < length) {
    const n = transfer(fd, buffer, offset + done, length - done, position + done);
    if (n <= 0) throw new AgentError(`${stuck} ${path}`, { path, position: position + done, wanted: length - done });
    done += n;
  }
}

/** Reads exactly `length` bytes at `position`, looping on short reads. */
export function preadFully(io: FileIo, fd: number, buffer: Uint8Array, offset: number, length: number, position: number, path: string): void {
  transferFully(io.read.bind(io), fd, buffer, offset, length, position, path, 'unexpected end of file reading');
}

/** Writes exactly `length` bytes at `position`, looping on short writes. */
export function pwriteFully(io: FileIo, fd: number, buffer: Uint8Array, offset: number, length: number, position: number, path: string): void {
  transferFully(io.write.bind(io), fd, buffer, offset, length, position, path, 'write made no progress on');
}
