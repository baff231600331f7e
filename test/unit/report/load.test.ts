import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadResults } from '../../../src/report/load.js';
import { UsageError } from '../../../src/shared/usage.js';
import { fixtureCopy } from './fixture.js';

const dir = fixtureCopy('balloon-load-');
afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));
const simulateFile = path.join(dir, 'simulate.json');
const original = readFileSync(simulateFile, 'utf8');

async function loadWith(simulate: string): Promise<unknown> {
  writeFileSync(simulateFile, simulate);
  try {
    return await loadResults(dir);
  } finally {
    writeFileSync(simulateFile, original);
  }
}

describe('simulate.json', () => {
  it('is read when it is the MIN bound of balloon experiment', async () => {
    const data = (await loadWith(original)) as Awaited<ReturnType<typeof loadResults>>;
    expect(data.simulate?.workloads.map((w) => [w.workload, w.minSwapIns])).toEqual([['course', 3481], ['zipf', 0]]);
  });

  it.each([
    ['[]', 'it holds a list'],
    ['"text"', 'it holds string'],
    ['null', 'it holds null'],
    ['{}', 'its "workloads" is missing'],
    ['{"workloads": {}}', 'its "workloads" is an object'],
  ])('that is %s is refused with the file and what is wrong, not dropped', async (text, why) => {
    const err = await loadWith(text).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      `${simulateFile} must hold an object with "workloads": [{ "workload", "minSwapIns", "minSwapOuts", ... }], the MIN bound of balloon experiment; ${why}`,
    );
  });

  it('with a workload that has no MIN figures is refused, naming the entry', async () => {
    const broken = JSON.parse(original) as { workloads: Record<string, unknown>[] };
    delete broken.workloads[1]!['minSwapIns'];
    await expect(loadWith(JSON.stringify(broken))).rejects.toThrow(`${simulateFile}: workload 1 has no workload name, minSwapIns and minSwapOuts`);
  });

  it('that is not JSON is refused as such', async () => {
    await expect(loadWith('{"workloads": [')).rejects.toThrow(new RegExp(`^${simulateFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON`));
  });

  it('may be missing: the report has no MIN row then', async () => {
    const bare = mkdtempSync(path.join(path.dirname(dir), 'bare-'));
    writeFileSync(path.join(bare, 'runs.json'), readFileSync(path.join(dir, 'runs.json')));
    expect((await loadResults(bare)).simulate).toBeNull();
  });
});
