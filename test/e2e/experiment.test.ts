/**
 * One experiment end to end over ssh, from the host: `balloon experiment`
 * against a VM of this checkout (balloon policy and the kernel baseline on one
 * workload), then `balloon report` on its results, rendered in headless
 * chromium.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunRecord } from '../../src/experiment/index.js';
import { projectRoot } from '../../src/harness/paths.js';
import { vmDefaults, vmDown, vmUp } from '../../src/harness/vm.js';
import { chromium, pngSize, requireChromium } from '../support/chromium.js';

const instance = 'e2e-experiment';
const balloon = (args: string[]) =>
  execa(process.execPath, [path.join(projectRoot, 'bin/balloon.js'), ...args], { cwd: projectRoot, reject: false, timeout: 1800_000, stdin: 'ignore' });

describe('balloon experiment and report against the VM', () => {
  const kernel = inject('kernel');
  const out = mkdtempSync(path.join(os.tmpdir(), 'balloon-experiment-'));
  let dir = '';
  let runs: RunRecord[] = [];

  beforeAll(async () => {
    requireChromium();
    await vmDown(instance);
    await vmUp({ ...vmDefaults, instance, memoryMiB: 768, swapMiB: 2048 });
    const r = await balloon([
      'experiment', '--target', `vm:${instance}`, '--workloads', 'course', '--policies', 'balloon,kernel', '--repetitions', '1',
      '--size', '448M', '--threshold', '160M', '--passes', '2', '--out', out,
    ]);
    process.stdout.write(`--- balloon experiment (exit ${r.exitCode}) ---\n${r.stderr.split('\n').slice(-15).join('\n')}\n`);
    const dirs = readdirSync(out);
    if (r.exitCode !== 0 && dirs.length === 1 && existsSync(path.join(out, dirs[0]!, 'runs.json'))) {
      // A crashed run keeps the guest kernel's log: print it, so that the failure says why.
      const records = JSON.parse(readFileSync(path.join(out, dirs[0]!, 'runs.json'), 'utf8')) as RunRecord[];
      for (const f of records.filter((x) => x.status === 'failed')) process.stdout.write(`--- ${f.policy}: ${f.error} ---\n${f.guestLogTail ?? '(no guest log)'}\n`);
    }
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    expect(dirs).toHaveLength(1);
    dir = path.join(out, dirs[0]!);
    runs = JSON.parse(readFileSync(path.join(dir, 'runs.json'), 'utf8')) as RunRecord[];
  });

  afterAll(async () => {
    await vmDown(instance);
    rmSync(out, { recursive: true, force: true });
  });

  it('ran both policies in the guest with the data intact', () => {
    expect(runs.map((r) => [r.policy, r.status])).toEqual([
      ['balloon', 'ok'],
      ['kernel', 'ok'],
    ]);
    for (const r of runs) expect(r.result?.integrity.ok, `${r.policy}: integrity`).toBe(true);
    const [b, k] = runs.map((r) => r.result!);
    expect(b!.sigballoonCount).toBeGreaterThan(0);
    expect(b!.pagesFreed).toBeGreaterThan(0);
    expect(k!.sigballoonCount).toBe(0);
    expect(k!.bystander?.bytes).toBe(160 << 20);
  });

  it('recorded the guest kernel and wrote CSV and the MIN bound', () => {
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { status: string; guest: { uname: string } };
    expect(meta.status).toBe('complete');
    expect(meta.guest.uname).toContain(kernel.release);
    const csv = readFileSync(path.join(dir, 'runs.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1]).toMatch(/course/);
    expect(existsSync(path.join(dir, 'simulate.json'))).toBe(true);
  });

  it('renders a report that headless chromium shows with its tables and charts', async () => {
    const r = await balloon(['report', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    const html = path.join(dir, 'report.html');
    const md = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| *balloon *\|/);
    expect(md).toMatch(/\| *kernel *\|/);
    const profile = mkdtempSync(path.join(os.tmpdir(), 'balloon-chromium-'));
    try {
      const dom = await chromium(profile, '--dump-dom', pathToFileURL(html).href);
      expect(dom.exitCode, dom.stderr.slice(-2000)).toBe(0);
      expect((dom.stdout.match(/<svg\b/g) ?? []).length).toBeGreaterThanOrEqual(3);
      expect(dom.stdout).toContain('class="mark-line role-mark'); // free memory over time
      const png = path.join(dir, 'report.png');
      await chromium(profile, `--screenshot=${png}`, '--window-size=1280,2000', pathToFileURL(html).href);
      expect(pngSize(readFileSync(png))).toEqual({ width: 1280, height: 2000 });
      expect(statSync(png).size).toBeGreaterThan(60_000);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
