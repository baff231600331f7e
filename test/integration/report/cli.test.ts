/**
 * `balloon report` as a user runs it (node bin/balloon.js): the summary on
 * the terminal, the files, and the one-line errors for results it cannot use.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureCopy, root } from '../../unit/report/fixture.js';

const copies: string[] = [];
const copy = (): string => {
  const dir = fixtureCopy('balloon-report-cli-');
  copies.push(path.dirname(dir));
  return dir;
};
afterAll(() => {
  for (const c of copies) rmSync(c, { recursive: true, force: true });
});

const balloon = (...args: string[]) => execa('node', ['bin/balloon.js', ...args], { cwd: root, reject: false });

describe('balloon report', { timeout: 120_000 }, () => {
  it('prints a summary per workload with ratios to the kernel baseline, then the two reports\' paths', async () => {
    const dir = copy();
    const r = await balloon('report', dir);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'course: kernel baseline (median of 2 runs): 9,051 swap-ins, 11,062 swap-outs, 12.9 s, deficit 0.0 MiB·s',
      '  policy      ok/failed  swap-ins  swap-outs  wall time  deficit  deficit (MiB·s)',
      '  kernel            2/0     1.00x      1.00x      1.00x        —              0.0',
      '  fifo              2/0     0.82x      0.82x      0.94x        —              2.5',
      '  lru-approx        1/1     0.62x      0.62x      0.84x        —              1.5',
      '  balloon           2/0     0.53x      0.53x      0.78x        —              2.3',
    ]);
    expect(lines).toContain('zipf: kernel baseline (median of 2 runs): 5,994 swap-ins, 7,326 swap-outs, 10.8 s, deficit 0.0 MiB·s');
    expect(lines.slice(-2)).toEqual([path.join(dir, 'report.html'), path.join(dir, 'report.md')]);
    expect(readdirSync(path.join(dir, 'figures'))).toHaveLength(8);
  });

  it.each([
    ['a list', '[]\n', 'it holds a list'],
    ['an object without workloads', '{"version": 2}\n', 'its "workloads" is missing'],
  ])('refuses a simulate.json that is %s in one line, and writes nothing', async (_what, text, why) => {
    const dir = copy();
    const file = path.join(dir, 'simulate.json');
    writeFileSync(file, text);
    const r = await balloon('report', dir);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      `balloon: error: ${file} must hold an object with "workloads": [{ "workload", "minSwapIns", "minSwapOuts", ... }], the MIN bound of balloon experiment; ${why} (see balloon report --help)`,
    ]);
    expect(existsSync(path.join(dir, 'report.html'))).toBe(false);
    expect(existsSync(path.join(dir, 'report.md'))).toBe(false);
  });

  it('refuses an empty runs.json in one line instead of reporting "Status: unknown"', async () => {
    const dir = path.join(path.dirname(copy()), 'empty');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'runs.json'), '[]\n');
    const r = await balloon('report', dir);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      `balloon: error: ${path.join(dir, 'runs.json')} holds no runs (the experiment stopped before its first run ended): nothing to report (see balloon report --help)`,
    ]);
    expect(readdirSync(dir)).toEqual(['runs.json']);
  });
});
