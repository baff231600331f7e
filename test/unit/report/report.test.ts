import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeMemoryChart, heatmapChart, runtimeChart, swapIoChart, thin } from '../../../src/report/charts.js';
import { referenceHeatmap } from '../../../src/report/heatmap.js';
import { writeReport } from '../../../src/report/index.js';
import { loadResults, upgradeSimulate } from '../../../src/report/load.js';
import { buildModel } from '../../../src/report/model.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { runDeficitMiBs } from '../../../src/report/run-metrics.js';
import { thresholdDeficitMiBs } from '../../../src/metrics/deficit.js';
import { renderSvg } from '../../../src/report/render.js';
import { compare, median, policyOrder, spread, summarize } from '../../../src/report/summary.js';
import { terminalSummary } from '../../../src/report/terminal.js';
import { makeSpec } from '../../../src/workloads/index.js';
import { fixtureCopy, FIXTURE_DIR, root } from './fixture.js';

const dir = fixtureCopy('balloon-report-');
afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

describe('summary', () => {
  it('computes medians and ratios', () => {
    expect([median([]), median([3, 1, 2]), median([4, 1, 3, 2])]).toEqual([null, 2, 2.5]);
    expect([spread([]), spread([5, 1, 3, Number.NaN])]).toEqual([null, { median: 3, min: 1, max: 5, n: 3 }]);
    expect([compare(2, 4), compare(0, 0), compare(7, 0), compare(null, 1)]).toEqual([
      { kind: 'ratio', ratio: 0.5 },
      { kind: 'zero-base', value: 0 },
      { kind: 'zero-base', value: 7 },
      null,
    ]);
    expect(policyOrder(['balloon', 'zzz', 'kernel', 'fifo'])).toEqual(['kernel', 'fifo', 'balloon', 'zzz']);
  });

  it('summarizes the fixture per workload and policy', async () => {
    const data = await loadResults(FIXTURE_DIR);
    const [course, zipf] = summarize(data);
    expect(course!.workload).toBe('course');
    expect(course!.policies.map((p) => [p.policy, p.ok, p.failed])).toEqual([['kernel', 2, 0], ['fifo', 2, 0], ['lru-approx', 1, 1], ['balloon', 2, 0]]);
    const kernel = course!.policies[0]!;
    const runs = data.runs.filter((r) => r.workload === 'course' && r.policy === 'kernel').map((r) => r.result!.pswpin);
    expect(kernel.swapIns).toEqual({ median: (runs[0]! + runs[1]!) / 2, min: Math.min(...runs), max: Math.max(...runs), n: 2 });
    expect(kernel.swapInsVsKernel).toEqual({ kind: 'ratio', ratio: 1 });
    expect(kernel.startFreeBytes).toMatchObject({ n: 2 });
    const balloon = course!.policies[3]!;
    expect(balloon.swapInsVsMin).toEqual({ kind: 'ratio', ratio: balloon.swapIns!.median / course!.bound!.minSwapIns });
    expect(balloon.swapOutsVsKernel).toEqual({ kind: 'ratio', ratio: balloon.swapOuts!.median / kernel.swapOuts!.median });
    expect(course!.policies[2]!.swapIns).toEqual({ median: 5602, min: 5602, max: 5602, n: 1 });
    expect(zipf!.policies.find((p) => p.policy === 'fifo')).toMatchObject({ ok: 1, failed: 1 });
    // zipf's MIN makes no swap-in: no ratio, the count itself.
    expect(zipf!.bound!.minSwapIns).toBe(0);
    expect(zipf!.policies.find((p) => p.policy === 'balloon')!.swapInsVsMin).toEqual({ kind: 'zero-base', value: (3463 + 3220) / 2 });
  });

  it('simulates MIN with the largest peak resident set of the runs, so that it bounds every run', async () => {
    const data = await loadResults(FIXTURE_DIR);
    for (const w of summarize(data)) {
      const peaks = w.okRuns.map((r) => r.result!.peakResidentBytes);
      expect(w.bound).toMatchObject({ memorySource: 'peak-resident', memoryPages: Math.max(...peaks) / 4096 });
      for (const r of w.okRuns) expect(r.result!.pswpin, `${w.workload}/${r.policy} rep ${r.rep}`).toBeGreaterThanOrEqual(w.bound!.minSwapIns);
      expect(w.errors).toEqual([]);
    }
  });

  it('flags a run that beats MIN as an error, not a ratio', async () => {
    const data = await loadResults(FIXTURE_DIR);
    const run = data.runs.find((r) => r.workload === 'course' && r.policy === 'balloon' && r.rep === 2)!;
    run.result!.pswpin = 3000; // MIN: 3,481
    const course = summarize(data)[0]!;
    expect(course.policies.find((p) => p.policy === 'balloon')!.swapInsVsMin).toEqual({ kind: 'below-bound', value: 3000, bound: 3481 });
    expect(course.errors).toHaveLength(1);
    expect(course.errors[0]).toMatch(/^balloon rep 2 made 3,000 swap-ins, fewer than MIN's 3,481 \(simulated with 1,700 pages of memory, the runs' largest peak resident set\)/);
    const md = renderMarkdown(buildModel(data));
    expect(md).toContain('## Errors');
    expect(md).toMatch(/^\| balloon \| 2\/0 \|.*\| ERROR: 3,000 < MIN 3,481 \|/m);
  });

  it('reads a version 1 simulate.json as a planned, unchecked budget', () => {
    const v1 = { memoryPages: 1536, note: 'old', workloads: [{ workload: 'course', minSwapIns: 5 } as never] };
    expect(upgradeSimulate(v1).workloads[0]).toMatchObject({ workload: 'course', memoryPages: 1536, memorySource: 'planned' });
  });

  it('measures every policy against the same budget: the kernel baseline\'s bystander counts as held', async () => {
    const data = await loadResults(FIXTURE_DIR);
    const kernelRun = data.runs.find((r) => r.policy === 'kernel' && r.result !== null)!.result!;
    // MemFree alone dips far below the threshold; with the locked bystander it never does.
    expect(thresholdDeficitMiBs(kernelRun.freeMemory.series, kernelRun.thresholdBytes)).toBeGreaterThan(50);
    expect(runDeficitMiBs(kernelRun)).toBe(0);
    const [course] = summarize(data);
    expect(course!.policies[0]!.deficitMiBs).toEqual({ median: 0, min: 0, max: 0, n: 2 });
    expect(course!.policies[3]!.deficitMiBs!.min).toBeGreaterThan(0);
  });

  it('gives deficits that agree with the plotted free-memory series', async () => {
    const data = await loadResults(FIXTURE_DIR);
    let checked = 0;
    for (const w of summarize(data)) {
      const spec = freeMemoryChart(w) as unknown as { vconcat: { title: { text: string }; layer: { data: { values: Record<string, number | string>[] } }[] }[] };
      expect(spec.vconcat.map((p) => p.title.text)).toEqual(w.policies.filter((p) => p.ok > 0).map((p) => p.policy));
      for (const panel of spec.vconcat) {
        const policy = w.policies.find((p) => p.policy === panel.title.text)!;
        const threshold = Number(panel.layer[1]!.data.values[0]!['threshold']) * 2 ** 20;
        const runs = w.okRuns.filter((r) => r.policy === policy.policy);
        // Every repetition is plotted, and the deficit recomputed from its plotted points is the run's deficit.
        const deficits = runs.map((r) => {
          const plotted = panel.layer[0]!.data.values.filter((v) => v['rep'] === `rep ${r.rep}`).map((v) => ({ tMs: Number(v['t']) * 1000, freeBytes: Number(v['free']) * 2 ** 20 }));
          expect(plotted.length, `${w.workload}/${policy.policy} rep ${r.rep}`).toBeGreaterThan(1);
          const fromPlot = thresholdDeficitMiBs(plotted, threshold);
          expect(fromPlot, `${w.workload}/${policy.policy} rep ${r.rep}`).toBeCloseTo(runDeficitMiBs(r.result!), 6);
          expect(r.result!.thresholdDeficitMiBs).toBeCloseTo(fromPlot, 2);
          checked++;
          return fromPlot;
        });
        // ... and the table's figures are those deficits' median, min and max.
        expect(policy.deficitMiBs!.median).toBeCloseTo(median(deficits)!, 6);
        expect(policy.deficitMiBs!.min).toBeCloseTo(Math.min(...deficits), 6);
        expect(policy.deficitMiBs!.max).toBeCloseTo(Math.max(...deficits), 6);
      }
    }
    expect(checked).toBe(14);
  });

  it('refuses a directory without runs.json', async () => {
    await expect(loadResults(root)).rejects.toThrow(/is not a results directory of balloon experiment \(no runs\.json\)/);
  });
});

describe('charts', () => {
  it('bins the reference string into a heatmap', () => {
    const spec = makeSpec('sweep', 256, 2);
    const h = referenceHeatmap(spec, 8, 4)!;
    expect(h.source).toBe('reference-string');
    expect(h.cells.reduce((a, c) => a + c.count, 0)).toBe(512);
    expect(h.cells.every((c) => c.t1 > c.t0 && c.a1 > c.a0)).toBe(true);
  });

  it('thins long series but keeps the last point', () => {
    const t = thin([...Array(1000).keys()], 10);
    expect(t).toHaveLength(11);
    expect(t.at(-1)).toBe(999);
  });

  it('shows the spread of the repetitions on the bar charts: min–max bars and one dot per run', async () => {
    const data = await loadResults(FIXTURE_DIR);
    const [course] = summarize(data);
    const spec = swapIoChart(course!) as unknown as { layer: { mark: { type: string }; data: { values: Record<string, unknown>[] } }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['bar', 'rule', 'point', 'rule']);
    const ranges = spec.layer[1]!.data.values.filter((v) => v['policy'] === 'kernel' && v['kind'] === 'swap-ins');
    expect(ranges).toEqual([{ policy: 'kernel', kind: 'swap-ins', pages: (9175 + 8926) / 2, min: 8926, max: 9175 }]);
    expect(spec.layer[2]!.data.values.filter((v) => v['kind'] === 'swap-outs')).toHaveLength(course!.okRuns.length);
    const runtime = runtimeChart(course!) as unknown as { layer: { mark: { type: string } }[] };
    expect(runtime.layer.map((l) => l.mark.type)).toEqual(['bar', 'rule', 'point']);
  });

  it('renders a Vega-Lite spec to inline SVG without namespace URLs', async () => {
    const data = await loadResults(FIXTURE_DIR);
    const svg = await renderSvg(swapIoChart(summarize(data)[0]!));
    expect(svg.startsWith('<svg role="img"')).toBe(true);
    expect(svg).not.toMatch(/https?:/);
    // The title goes in the caption (figures.ts), not in the graphic.
    expect(svg).not.toContain('Swap I/O per policy');
    expect(svg).toContain('pages per run');
    const heat = await renderSvg(heatmapChart(referenceHeatmap(makeSpec('zipf', 64, 1), 4, 4)!));
    expect(heat).not.toMatch(/heatmap/i);
    expect(heat).toContain('reference index (time →)');
  });
});

describe('balloon report on the fixture', { timeout: 60_000 }, () => {
  let html = '';
  let md = '';
  beforeAll(async () => {
    const files = await writeReport(dir, { now: new Date('2025-01-16T00:00:00Z') });
    const figures = ['course', 'zipf'].flatMap((w) => ['swap-io', 'runtime', 'free-memory', 'heatmap'].map((c) => path.join(dir, 'figures', `${w}-${c}.svg`)));
    expect(files).toEqual({ html: path.join(dir, 'report.html'), markdown: path.join(dir, 'report.md'), figures, summary: terminalSummary(summarize(await loadResults(dir))) });
    html = readFileSync(files.html, 'utf8');
    md = readFileSync(files.markdown, 'utf8');
  }, 60_000);

  it('has a table per workload with every policy and the MIN row', () => {
    expect(html.match(/<table>/g)).toHaveLength(2);
    for (const w of ['course', 'zipf']) expect(html).toContain(`<h2>${w}</h2>`);
    for (const h of ['runs ok/failed', 'swap-ins', 'swap-outs', 'runtime', 'signals', 'swap-out calls', 'threshold deficit (MiB·s)', 'swap-ins vs kernel', 'swap-ins vs MIN']) {
      expect(html).toContain(`<th scope="col">${h}</th>`);
    }
    expect(html.match(/<td>MIN \(simulated\)<\/td>/g)).toHaveLength(2);
    expect(html).toContain('<tr class="baseline"><td>kernel</td><td>2/0</td>');
    expect(html).toContain('complete: 14 ok, 2 failed of 16 planned');
  });

  it('inlines an SVG per chart: swap I/O, runtime, free memory, heatmap for each workload', () => {
    expect(html.match(/<svg\b/g)).toHaveLength(8);
    expect(html.match(/<\/svg>/g)).toHaveLength(8);
    expect(html).toContain('Free memory over time');
    expect(html).toContain('Reference-string heatmap');
    expect(html).toMatch(/class="mark-symbol role-mark/); // the answers' point marks
  });

  it('is self-contained: no URL, no script, nothing loaded', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|url\((?!#)/i);
    // Every local reference (clip paths) points at an id defined once in the page.
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [, ref] of html.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref);
  });

  it('lists the failed runs with their stderr', () => {
    expect(html).toContain('<h2>Failed runs</h2>');
    expect(html).toContain('swap-out failed: EINVAL (range not owned)');
    expect(html).toMatch(/<strong>timeout<\/strong>/);
  });

  it('writes every chart as its own SVG file, titled only in the captions', () => {
    const names = ['course', 'zipf'].flatMap((w) => ['swap-io', 'runtime', 'free-memory', 'heatmap'].map((c) => `${w}-${c}`));
    expect(readdirSync(path.join(dir, 'figures')).sort()).toEqual(names.map((n) => `${n}.svg`).sort());
    for (const n of names) {
      const svg = readFileSync(path.join(dir, 'figures', `${n}.svg`), 'utf8');
      // A standalone SVG document (its namespace declared), with no title drawn in it.
      expect(svg, n).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* width="\d+" height="\d+" viewBox="0 0 \d+ \d+">/);
      expect(svg.trimEnd().endsWith('</svg>'), n).toBe(true);
      expect(svg, n).not.toMatch(/Swap I\/O per policy|Runtime per policy|Free memory over time|Access heatmap/);
      // Only the free-memory figure has titles in it: its panels' labels, one per policy.
      if (!n.endsWith('free-memory')) expect(svg, n).not.toContain('role-title');
    }
    // The page: each figure's title and caption in its figcaption, with the file's name.
    expect(html).toContain('<figure><figcaption><strong>Swap I/O per policy (course).</strong> Pages swapped in and out');
    expect(html).toContain('<span class="file">figures/zipf-heatmap.svg</span></figcaption><svg role="img"');
    expect(html.match(/<figcaption>/g)).toHaveLength(8);
    // report.md links each file under its workload's table, the caption under it.
    expect(md).toContain('![Access heatmap (course)](figures/course-heatmap.svg)\n\n**Access heatmap (course).** Reference-string heatmap');
    expect(md.match(/^!\[[^\]]+\]\(figures\/[a-z-]+\.svg\)$/gm)).toHaveLength(8);
  });

  it('writes the same tables as Markdown', () => {
    expect(md).toMatch(/^# Balloon experiment 2025-01-15T10-00-00Z$/m);
    expect(md).toContain('| policy | runs ok/failed | swap-ins | swap-outs | runtime | signals | swap-out calls | threshold deficit (MiB·s) | swap-ins vs kernel | swap-ins vs MIN | runtime vs kernel |');
    expect(md).toContain('| policy | runs ok/failed | swap-ins | swap-outs | runtime | signals | swap-out calls | threshold deficit (MiB·s) | swap-ins vs kernel | swap-ins vs MIN | runtime vs kernel |\n| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    // Medians with the repetitions' range; the kernel baseline's deficit is 0 against the common budget.
    expect(md).toContain('| kernel | 2/0 | 9,051 (8,926–9,175) | 11,062 (10,910–11,214) | 12.9 s (12.7 s–13.0 s) | 0 | 0 | 0.0 | 1.00× | 2.60× | 1.00× |');
    expect(md).toMatch(/^\| lru-approx \| 1\/1 \| 5,602 \| 6,847 \| 10\.9 s \|/m);
    expect(md).toMatch(/^\| lru-approx \| 1\/1 \|/m);
    expect(md).toMatch(/^\| MIN \(simulated\) \| – \| 3,481 \| [\d,]+ \| – \| – \| – \| – \| – \| – \| – \|$/m);
    expect(md).toMatch(/^\| balloon \| 2\/0 \| 3,342 \(3,220–3,463\) \|.*\| 3,342 \(MIN 0\) \|/m);
    expect(md).not.toContain('## Errors');
    expect(md).toContain('## Failed runs');
    expect(md).toContain('- **start state**: 16 runs, each after swapoff/swapon, dropping the caches and compaction: MemFree 160.5–161.2 MiB (bound 153.2 MiB), swap used 0.0 MiB, up to 2 resets per run');
    expect(md).toMatch(/^- \*\*MIN bound\*\*: .*course: 1,700 pages \(6\.6 MiB, the largest peak resident set of its runs\); zipf: 1,650 pages/m);
    expect(md).toMatch(/^- \*\*swap device\*\*: ssd: SATA SSD \(Samsung 870 EVO\); 13,000 IOPS, 530 MB\/s ÷ 7 \(tcg slowdown\) = 1,857 IOPS, 75\.7 MB\/s$/m);
    expect(md).not.toMatch(/https?:\/\//);
  });
});

describe('balloon report command', { timeout: 60_000 }, () => {
  it('writes into --out and prints the summary, then the paths', async () => {
    const out = path.join(path.dirname(dir), 'out');
    await import('node:fs/promises').then((fs) => fs.mkdir(out));
    const r = await execa('node', ['bin/balloon.js', 'report', dir, '--out', out], { cwd: root, reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const summary = terminalSummary(summarize(await loadResults(dir)));
    expect(r.stdout).toBe(`${summary}\n${path.join(out, 'report.html')}\n${path.join(out, 'report.md')}`);
  });

  it('exits 2 with one line for a directory that is not a results directory', async () => {
    const r = await execa('node', ['bin/balloon.js', 'report', path.join(root, 'src')], { cwd: root, reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^balloon: error: .*src is not a results directory of balloon experiment \(no runs\.json\) \(see balloon report --help\)$/);
  });
});

describe('balloon report with runs that recorded their scans', { timeout: 60_000 }, () => {
  it('draws the measured heatmap of the balloon run, and the reference string\'s where no run has scans', async () => {
    const measured = fixtureCopy('balloon-report-scans-');
    const file = path.join(measured, 'runs.json');
    const runs = JSON.parse(readFileSync(file, 'utf8')) as Array<{ workload: string; policy: string; result: Record<string, unknown> | null }>;
    const scans = [0, 1000, 2000, 3000].map((tMs, i) => ({ tMs, accessed: [i, 0, 4, 1] }));
    for (const r of runs) {
      if (r.workload === 'course' && r.result !== null && r.policy !== 'kernel') r.result['accessMap'] = { pages: 4096, rows: 4, scans, dropped: 0 };
    }
    writeFileSync(file, JSON.stringify(runs));
    await writeReport(measured, { now: new Date('2025-01-16T00:00:00Z') });
    const html = readFileSync(path.join(measured, 'report.html'), 'utf8');
    expect(html).toContain('Measured: the profiler\'s scans in the balloon run (its first successful repetition), 4 scans over 3.0 s, 4,096 pages.');
    expect(html.match(/Reference-string heatmap/g)).toHaveLength(1); // zipf's runs have none
    expect(readFileSync(path.join(measured, 'figures', 'course-heatmap.svg'), 'utf8')).toContain('time since the run started (s)');
  });
});

