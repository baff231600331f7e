/**
 * `mkdir -p` for paths a user gives (`--out`), which fails where Node's own
 * recursive mkdir hangs: under /proc, `mkdir(dir, { recursive: true })`
 * never returns in Node 20 (mkdir reports ENOENT for a path whose parent
 * exists, and Node goes back to making the parent, forever). Here the
 * missing directories are made one at a time, from the deepest one that
 * exists, and the first failure is thrown as it is (an ErrnoException, with
 * its code and path) for the caller to word.
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

/** A file where a directory should be is ENOTDIR (as mkdir -p says). */
function notDirectory(p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${p}'`), { code: 'ENOTDIR', path: p, syscall: 'mkdir' });
}

/** Whether a directory is at `p` (false: nothing there; a file: ENOTDIR). */
async function isDirectory(p: string): Promise<boolean> {
  try {
    if (!(await stat(p)).isDirectory()) throw notDirectory(p);
    return true;
  } catch (err) {
    if (code(err) === 'ENOENT') return false;
    throw err;
  }
}

function isDirectorySync(p: string): boolean {
  try {
    if (!statSync(p).isDirectory()) throw notDirectory(p);
    return true;
  } catch (err) {
    if (code(err) === 'ENOENT') return false;
    throw err;
  }
}

export async function makeDirectories(dir: string): Promise<void> {
  const chain: string[] = [];
  for (let current = path.resolve(dir); !(await isDirectory(current)); current = path.dirname(current)) {
    chain.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const d of chain) {
    try {
      await mkdir(d);
    } catch (err) {
      // Made meanwhile by someone else: fine if it is a directory.
      if (code(err) !== 'EEXIST' || !(await isDirectory(d))) throw err;
    }
  }
}

export function makeDirectoriesSync(dir: string): void {
  const chain: string[] = [];
  for (let current = path.resolve(dir); !isDirectorySync(current); current = path.dirname(current)) {
    chain.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const d of chain) {
    try {
      mkdirSync(d);
    } catch (err) {
      if (code(err) !== 'EEXIST' || !isDirectorySync(d)) throw err;
    }
  }
}
