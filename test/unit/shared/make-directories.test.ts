import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirectories, makeDirectoriesSync } from '../../../src/shared/make-directories.js';

describe('makeDirectories (mkdir -p that fails instead of hanging)', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-mkdirs-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it.each([
    ['async', makeDirectories],
    ['sync', makeDirectoriesSync],
  ] as const)('%s: makes the missing parents, accepts what exists, refuses a file with ENOTDIR, fails under /proc with ENOENT', async (_name, make) => {
    const deep = path.join(tmp, 'a', 'b', 'c');
    await make(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    await make(deep);
    await make(tmp);
    const file = path.join(tmp, 'file');
    writeFileSync(file, '');
    await expect(async () => make(path.join(file, 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(async () => make(file)).rejects.toMatchObject({ code: 'ENOTDIR' });
    // Node's own mkdir(…, { recursive: true }) never returns here.
    await expect(async () => make('/proc/balloon-no-such/deeper')).rejects.toMatchObject({ code: 'ENOENT', path: '/proc/balloon-no-such' });
  });
});
