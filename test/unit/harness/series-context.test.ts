import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSeries } from '../../../src/harness/kernel-tree.js';
import { kernelPatchDir } from '../../../src/harness/paths.js';
import { checkHunksAgainstFile, compareWithContext, parsePatch, type SeriesContext } from '../../../src/harness/series-context.js';

const context = async (): Promise<SeriesContext> =>
  JSON.parse(await readFile(path.join(kernelPatchDir, 'context-5.11.5.json'), 'utf8')) as SeriesContext;

const sample = `From 1 Mon Sep 17 00:00:00 2001
Subject: [PATCH] x

---
diff --git a/a.c b/a.c
index 1111111..2222222 100644
--- a/a.c
+++ b/a.c
@@ -2,3 +2,4 @@ int f(void)
 one
 two
+added
 three
diff --git a/new.h b/new.h
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/new.h
@@ -0,0 +1 @@
+#define NEW 1
-- 
2.39.5
`;

describe('the series against the Linux 5.11.5 context it was written for', () => {
  it('matches kernel-patch/context-5.11.5.json hunk by hunk', async () => {
    const series = await readSeries(kernelPatchDir);
    expect(series.patches.length).toBeGreaterThan(0);
    expect(compareWithContext(await context(), series.patches)).toEqual([]);
  });

  it('records every file the series modifies with a full blob id of 5.11.5', async () => {
    const recorded = await context();
    expect(recorded.base).toBe('Linux 5.11.5');
    const files = recorded.patches.flatMap((p) => p.files);
    expect(files.map((f) => f.path)).toContain('mm/vmscan.c');
    for (const f of files) expect(f.blob).toMatch(/^[0-9a-f]{40}$/);
  });

  it('catches a patch regenerated on another tree (its index line names another blob)', async () => {
    const series = await readSeries(kernelPatchDir);
    const patched = series.patches.map((p, i) => (i === 0 ? { ...p, content: p.content.replace(/^index [0-9a-f]+\.\./m, 'index abcdef012..') } : p));
    const problems = compareWithContext(await context(), patched);
    expect(problems.join('\n')).toMatch(/made on another tree/);
  });

  it('catches a hunk whose context was edited by hand', async () => {
    const series = await readSeries(kernelPatchDir);
    const vmscan = series.patches.findIndex((p) => p.content.includes('diff --git a/mm/vmscan.c'));
    expect(vmscan).toBeGreaterThanOrEqual(0);
    const patched = series.patches.map((p, i) => {
      if (i !== vmscan) return p;
      const at = p.content.indexOf('\n \t/* Can mapped pages be reclaimed? */');
      expect(at).toBeGreaterThan(0);
      return { ...p, content: `${p.content.slice(0, at)}\n \t/* Can mapped pages be dropped? */${p.content.slice(at + '\n \t/* Can mapped pages be reclaimed? */'.length)}` };
    });
    expect(compareWithContext(await context(), patched).join('\n')).toMatch(/mm\/vmscan\.c hunk \d+ .* no longer matches/);
  });

  it('catches a patch that was never recorded, and a recorded one that is gone', async () => {
    const series = await readSeries(kernelPatchDir);
    const problems = compareWithContext(await context(), [...series.patches.slice(1), { name: '0099-new.patch', content: sample }]);
    expect(problems).toContain('0099-new.patch: not recorded (run scripts/kernel-context.ts --record on a pristine tree)');
    expect(problems.some((p) => p.startsWith(`${series.patches[0]!.name}: recorded, but not in the series`))).toBe(true);
  });
});

describe('parsePatch and checkHunksAgainstFile', () => {
  it('splits a patch into files and hunk preimages', () => {
    const files = parsePatch(sample);
    expect(files.map((f) => [f.path, f.created, f.preimageBlob])).toEqual([
      ['a.c', false, '1111111'],
      ['new.h', true, '0000000'],
    ]);
    expect(files[0]!.hunks).toEqual([{ oldStart: 2, oldLines: 3, preimage: ['one', 'two', 'three'] }]);
  });

  it('finds a hunk whose lines are not at their place in the file', () => {
    const [file] = parsePatch(sample);
    expect(checkHunksAgainstFile(file!, 'int f(void)\none\ntwo\nthree\n')).toEqual([]);
    expect(checkHunksAgainstFile(file!, 'int f(void)\none\ntwo\nfour\n')).toEqual(['a.c hunk 1 (@@ -2,3) does not match the tree']);
    expect(checkHunksAgainstFile(file!, 'extra\nint f(void)\none\ntwo\nthree\n')).toHaveLength(1);
  });

  it('refuses a truncated hunk', () => {
    expect(() => parsePatch(sample.replace(' three\n', ''))).toThrow(/truncated hunk in a.c/);
  });
});
