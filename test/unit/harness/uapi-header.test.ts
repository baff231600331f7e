import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSeries } from '../../../src/harness/kernel-tree.js';
import { fileCreatedByPatch } from '../../../src/harness/patch-files.js';
import { kernelPatchDir } from '../../../src/harness/paths.js';

const header = 'include/uapi/linux/balloon.h';

describe('the uapi header user space includes', () => {
  it('is exactly the header the patch series creates, so the two cannot drift', async () => {
    const series = await readSeries(kernelPatchDir);
    const created = series.patches.map((p) => fileCreatedByPatch(p.content, header)).filter((c) => c !== undefined);
    const copy = path.join(kernelPatchDir, header);
    const hasCopy = await access(copy).then(() => true, () => false);
    if (series.patches.length === 0) {
      // No series yet: there must be no stray copy either.
      expect(hasCopy).toBe(false);
      return;
    }
    expect(created, `one patch of the series creates ${header}`).toHaveLength(1);
    expect(await readFile(copy, 'utf8')).toBe(created[0]);
  });

  it('extracts a created file from a patch', () => {
    const patch = [
      'diff --git a/include/uapi/linux/balloon.h b/include/uapi/linux/balloon.h',
      'new file mode 100644',
      'index 000000000000..111111111111',
      '--- /dev/null',
      '+++ b/include/uapi/linux/balloon.h',
      '@@ -0,0 +1,2 @@',
      '+#define A 1',
      '+#define B 2',
      'diff --git a/other b/other',
    ].join('\n');
    expect(fileCreatedByPatch(patch, header)).toBe('#define A 1\n#define B 2\n');
    expect(fileCreatedByPatch(patch, 'include/linux/other.h')).toBeUndefined();
  });
});
