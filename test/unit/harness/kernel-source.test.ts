import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../../src/harness/errors.js';
import { parseSourceSpec, verifyChecksum } from '../../../src/harness/kernel-source.js';
import { tempDir } from '../../support/temp-dir.js';

describe('kernel source specs', () => {
  it('knows kernel.org 5.11.5 with its published checksum', async () => {
    expect(await parseSourceSpec('kernel.org:5.11.5')).toEqual({
      kind: 'kernel.org',
      version: '5.11.5',
      sha256: '2208e4617b63a889373fb3f85ef56a73aeba83c117516bfcc92ef44b08bd3d6b',
    });
  });

  it('refuses kernel.org versions without a known checksum', async () => {
    await expect(parseSourceSpec('kernel.org:5.12.1')).rejects.toThrow(/no published checksum.*5\.12\.1/);
  });

  it('accepts debian:5.10 and nothing else from Debian', async () => {
    expect(await parseSourceSpec('debian:5.10')).toEqual({ kind: 'debian', series: '5.10' });
    await expect(parseSourceSpec('debian:6.1')).rejects.toThrow(/only debian:5\.10/);
  });

  it('lists the valid forms for garbage', async () => {
    const err = await parseSourceSpec('linus-please').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(/Unknown kernel source "linus-please"/);
    expect((err as HarnessError).hint).toMatch(/kernel\.org:5\.11\.5.*debian:5\.10.*tarball/);
  });

  it('tells a tarball from a tree and refuses paths that are neither', async () => {
    const dir = tempDir('balloon-src-');
    const tarball = path.join(dir, 'linux-5.11.5.tar.xz');
    await writeFile(tarball, 'x');
    expect(await parseSourceSpec(tarball)).toEqual({ kind: 'tarball', path: tarball });
    const tree = path.join(dir, 'linux');
    await mkdir(tree);
    await expect(parseSourceSpec(tree)).rejects.toThrow(/not a kernel tree/);
    await writeFile(path.join(tree, 'Makefile'), 'VERSION = 5\n');
    expect(await parseSourceSpec(tree)).toEqual({ kind: 'directory', path: tree });
    await expect(parseSourceSpec(path.join(dir, 'missing.tar.xz'))).rejects.toThrow(/does not exist/);
    const other = path.join(dir, 'notes.txt');
    await writeFile(other, 'x');
    await expect(parseSourceSpec(`./${path.relative(process.cwd(), other)}`)).rejects.toThrow(/neither a directory nor/);
  });

  it('refuses a file whose checksum is not the published one', async () => {
    const dir = tempDir('balloon-sum-');
    const file = path.join(dir, 'linux.tar.xz');
    await writeFile(file, 'not the kernel');
    await expect(verifyChecksum(file, '2208e4617b63a889373fb3f85ef56a73aeba83c117516bfcc92ef44b08bd3d6b', 'linux-5.11.5.tar.xz')).rejects.toThrow(
      /Checksum mismatch for linux-5\.11\.5\.tar\.xz/,
    );
    // sha256("not the kernel")
    const { createHash } = await import('node:crypto');
    await expect(verifyChecksum(file, createHash('sha256').update('not the kernel').digest('hex'), 'x')).resolves.toBeUndefined();
  });
});
