import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localKernelInputs } from '../../../src/harness/kernel-build.js';
import { applySeries, kernelVersionOf, preparePristineTree, readSeries, resetTree } from '../../../src/harness/kernel-tree.js';
import { tempDir } from '../../support/temp-dir.js';

const patch = (file: string, from: string, to: string): string => `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Test <test@localhost>
Date: Mon, 23 Nov 2026 00:00:00 +0000
Subject: [PATCH] change ${file}

---
 ${file} | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/${file} b/${file}
--- a/${file}
+++ b/${file}
@@ -1 +1 @@
-${from}
+${to}
--
2.39.5
`;

async function fixture() {
  const dir = tempDir('balloon-tree-');
  const source = path.join(dir, 'source');
  await mkdir(source);
  await writeFile(path.join(source, 'Makefile'), 'VERSION = 5\nPATCHLEVEL = 11\nSUBLEVEL = 5\nEXTRAVERSION =\nNAME = Dare mighty things\n');
  await writeFile(path.join(source, 'hello.c'), 'old\n');
  const patches = path.join(dir, 'patches');
  await mkdir(patches);
  await writeFile(path.join(patches, 'balloon.config'), 'CONFIG_SWAP=y\n');
  const tree = path.join(dir, 'tree');
  await preparePristineTree({ id: 'test', description: 'test tree', directory: source }, tree);
  return { dir, source, patches, tree };
}

describe('kernel tree and patch series', () => {
  it('applies a series in order and resets to the pristine source', async () => {
    const { patches, tree } = await fixture();
    await writeFile(path.join(patches, '0001-a.patch'), patch('hello.c', 'old', 'new'));
    await writeFile(path.join(patches, 'series'), '# the series\n0001-a.patch\n\n');
    const series = await readSeries(patches);
    expect(series.patches.map((p) => p.name)).toEqual(['0001-a.patch']);
    await applySeries(tree, series, 'test tree');
    expect(await readFile(path.join(tree, 'hello.c'), 'utf8')).toBe('new\n');
    await writeFile(path.join(tree, 'added-by-build.o'), 'x');
    await resetTree(tree);
    expect(await readFile(path.join(tree, 'hello.c'), 'utf8')).toBe('old\n');
    await expect(access(path.join(tree, 'added-by-build.o'))).rejects.toThrow();
    expect(await kernelVersionOf(tree)).toBe('5.11.5');
  });

  it('refuses a patch that does not apply, naming it, and leaves the tree usable', async () => {
    const { patches, tree } = await fixture();
    await writeFile(path.join(patches, '0001-good.patch'), patch('hello.c', 'old', 'new'));
    await writeFile(path.join(patches, '0002-bad.patch'), patch('hello.c', 'something else', 'newer'));
    await writeFile(path.join(patches, 'series'), '0001-good.patch\n0002-bad.patch\n');
    const err = await applySeries(tree, await readSeries(patches), 'test tree').catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toMatch(/patch 0002-bad\.patch does not apply cleanly to test tree/);
    await resetTree(tree);
    expect(await readFile(path.join(tree, 'hello.c'), 'utf8')).toBe('old\n');
  });

  it('allows an empty series but not a series naming a missing patch', async () => {
    const { patches } = await fixture();
    expect((await readSeries(patches)).patches).toEqual([]);
    await writeFile(path.join(patches, 'series'), '0009-missing.patch\n');
    await expect(readSeries(patches)).rejects.toThrow(/lists 0009-missing\.patch, which does not exist/);
  });

  it('changes the local input hash when a patch or the config fragment changes', async () => {
    const { patches } = await fixture();
    await writeFile(path.join(patches, '0001-a.patch'), patch('hello.c', 'old', 'new'));
    await writeFile(path.join(patches, 'series'), '0001-a.patch\n');
    const before = await localKernelInputs(patches);
    expect(await localKernelInputs(patches)).toBe(before);
    await writeFile(path.join(patches, '0001-a.patch'), patch('hello.c', 'old', 'newer'));
    const afterPatch = await localKernelInputs(patches);
    expect(afterPatch).not.toBe(before);
    await writeFile(path.join(patches, 'balloon.config'), 'CONFIG_SWAP=y\nCONFIG_KSM=y\n');
    expect(await localKernelInputs(patches)).not.toBe(afterPatch);
  });
});
