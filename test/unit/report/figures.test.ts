import { describe, expect, it } from 'vitest';
import { heatmapChart } from '../../../src/report/charts.js';
import { bucketText, fileSafe, heatmapFigure, workloadFigures } from '../../../src/report/figures.js';
import { bucketSize, bucketStart, referenceHeatmap, scanHeatmap } from '../../../src/report/heatmap.js';
import { loadResults } from '../../../src/report/load.js';
import { compile } from 'vega-lite';
import { CHART_CONFIG, renderSvgFile, type ChartEncoding, type ChartLayer, type ChartPanel } from '../../../src/report/render.js';
import { summarize } from '../../../src/report/summary.js';
import { makeSpec, referenceString } from '../../../src/workloads/index.js';
import { FIXTURE_DIR } from './fixture.js';

const LATENCY_FIXTURE_DIR = new URL('../../fixtures/latency', import.meta.url).pathname;

describe('heatmap buckets', () => {
  it('splits n items into k buckets that differ by at most one and cover them all', () => {
    expect(bucketSize(4096, 40)).toEqual({ min: 102, max: 103 });
    expect(bucketSize(24_576, 60)).toEqual({ min: 409, max: 410 });
    expect(bucketSize(256, 4)).toEqual({ min: 64, max: 64 });
    expect([bucketStart(0, 10, 4), bucketStart(4, 10, 4)]).toEqual([0, 10]);
  });

  it('draws each cell over exactly the pages and references counted in it, empty cells included', () => {
    const spec = makeSpec('sweep', 250, 2); // 250 pages in 7 rows, 500 references in 8 columns: neither divides evenly
    const h = referenceHeatmap(spec, 8, 7)!;
    expect([h.rows, h.columns, h.cells.length]).toEqual([7, 8, 56]);
    expect(h.pagesPerRow).toEqual({ min: 35, max: 36 });
    expect(h.referencesPerColumn).toEqual({ min: 62, max: 63 });
    const trace = referenceString(spec);
    for (const c of h.cells) {
      let n = 0;
      for (let i = c.t0; i < c.t1; i++) if (trace[i]! >= c.a0 && trace[i]! < c.a1) n++;
      expect(c.count, `cell t ${c.t0}–${c.t1}, pages ${c.a0}–${c.a1}`).toBe(n);
    }
    expect(h.cells.filter((c) => c.count === 0).length).toBeGreaterThan(0); // a sweep leaves most cells empty
  });

  it('gives an empty cell the colour scale\'s zero colour, not the background', async () => {
    const h = referenceHeatmap(makeSpec('sweep', 256, 1), 4, 4)!;
    const svg = await renderSvgFile(heatmapChart(h));
    const rects = /<g class="mark-rect role-mark[^>]*>(.*?)<\/g>/s.exec(svg)![1]!;
    const fills = [...rects.matchAll(/<path [^>]*fill="([^"]+)"/g)].map((m) => m[1]);
    expect(fills).toHaveLength(16);
    const viridis0 = 'rgb(68, 1, 84)';
    const max = Math.max(...h.cells.map((c) => c.count));
    h.cells.forEach((c, i) => {
      if (c.count === 0) expect(fills[i]).toBe(viridis0);
      if (c.count === max) expect(fills[i]).toBe('rgb(253, 231, 37)');
    });
  });
});

describe('measured heatmap (the profiler\'s scans of a run)', () => {
  // 10 pages in 4 buckets (0-2, 3-4, 5-7, 8-9); scans at 0, 1, 2.5 and 3.999 s.
  const map = {
    pages: 10,
    rows: 4,
    dropped: 0,
    scans: [
      { tMs: 0, accessed: [3, 0, 0, 0] },
      { tMs: 1000, accessed: [0, 2, 0, 0] },
      { tMs: 2500, accessed: [0, 0, 3, 1] },
      { tMs: 3999, accessed: [1, 1, 1, 1] },
    ],
  };

  it('sums each column\'s scans per page bucket over equal stretches of time up to the last scan', () => {
    const h = scanHeatmap(map, 'balloon', 2)!;
    expect(h).toMatchObject({ source: 'profiler-scans', policy: 'balloon', pages: 10, scans: 4, seconds: 4, rows: 4, columns: 2, secondsPerColumn: 2 });
    expect(h.pagesPerRow).toEqual({ min: 2, max: 3 });
    expect(h.cells.map((c) => [c.t0, c.t1, c.a0, c.a1, c.count])).toEqual([
      [0, 2, 0, 3, 3],
      [0, 2, 3, 5, 2],
      [0, 2, 5, 8, 0],
      [0, 2, 8, 10, 0],
      [2, 4, 0, 3, 1],
      [2, 4, 3, 5, 1],
      [2, 4, 5, 8, 4],
      [2, 4, 8, 10, 2],
    ]);
    // No more columns than scans; nothing to draw without a scan.
    expect(scanHeatmap(map, 'balloon', 60)!.columns).toBe(4);
    expect(scanHeatmap({ ...map, scans: [] }, 'balloon')).toBeNull();
  });

  it('says in its caption and axes that it is measured, and draws every cell', async () => {
    const h = scanHeatmap(map, 'lru-approx', 2)!;
    const f = heatmapFigure('course', h);
    expect(f.caption).toContain('Measured: the profiler\'s scans in the lru-approx run (its first successful repetition), 4 scans over 4.0 s, 10 pages.');
    expect(f.caption).toContain('Each row is a bucket of 2–3 pages (4 rows), each column 2.00 s (2 columns)');
    const svg = await renderSvgFile(heatmapChart(h));
    expect(svg).toContain('time since the run started (s)');
    expect(svg).toContain('pages accessed');
    const rects = /<g class="mark-rect role-mark[^>]*>(.*?)<\/g>/s.exec(svg)![1]!;
    expect([...rects.matchAll(/<path [^>]*fill="([^"]+)"/g)]).toHaveLength(8);
  });
});

describe('figures', () => {
  it('names sizes in the caption\'s words', () => {
    expect([bucketText({ min: 64, max: 64 }, 'page'), bucketText({ min: 102, max: 103 }, 'page'), bucketText({ min: 1, max: 1 }, 'reference')]).toEqual([
      '64 pages',
      '102–103 pages',
      '1 reference',
    ]);
    expect(fileSafe('a b/c..d-e_f')).toBe('a_b_c_d-e_f');
  });

  it('states the heatmap\'s bucket sizes in its caption', () => {
    const f = heatmapFigure('course', referenceHeatmap(makeSpec('course', 4096, 10, 1))!);
    expect(f.title).toBe('Access heatmap (course)');
    expect(f.caption).toContain('course, 4,096 pages, 24,576 references. Each row is a bucket of 102–103 pages (40 rows), each column a bucket of 409–410 references (60 columns)');
    expect(f.caption).toContain('a bucket without a reference has the scale\'s zero colour');
  });

  it('gives every chart a file name, a title and a caption, and the chart itself no title', async () => {
    const [course] = summarize(await loadResults(FIXTURE_DIR));
    const { figures, notes } = workloadFigures(course!, referenceHeatmap(makeSpec('course', 4096, 10, 1)));
    // The fixture's answers were recorded before answers carried stage times.
    expect(notes).toEqual(['No latency timeline: the answers were recorded without stage times.']);
    expect(figures.map((f) => [f.name, f.title, f.wide])).toEqual([
      ['course-swap-io', 'Swap I/O per policy (course)', false],
      ['course-runtime', 'Runtime per policy (course)', false],
      ['course-free-memory', 'Free memory over time, every repetition (course)', true],
      ['course-heatmap', 'Access heatmap (course)', true],
    ]);
    for (const f of figures) expect(f.spec, f.name).not.toHaveProperty('title');
    expect(figures[0]!.caption).toBe(
      'Pages swapped in and out (pswpin / pswpout deltas of the guest during the run). Bar: median; line: min–max over the repetitions; dot: one run. Dashed red: the swap-ins of Belady\'s MIN (3,481).',
    );
    const bare = workloadFigures({ ...course!, okRuns: [] }, null);
    expect(bare.figures.map((f) => f.name)).toEqual(['course-swap-io', 'course-runtime']);
    expect(bare.notes).toHaveLength(2);
  });

  it('adds the latency timeline, untitled, when the answers carry stage times', async () => {
    const [w] = summarize(await loadResults(LATENCY_FIXTURE_DIR));
    const { figures, notes } = workloadFigures(w!, null);
    const latency = figures.find((f) => f.name.endsWith('-latency'));
    expect(latency, JSON.stringify(notes)).toBeDefined();
    expect(latency!.title).toMatch(/^Answers to SIGBALLOON, per run \(/);
    expect(latency!.spec).not.toHaveProperty('title');
    expect(notes.some((n) => n.startsWith('No latency timeline'))).toBe(false);
  });
});

describe('chart specs', () => {
  it('compile with vega-lite without a warning, for every figure of both fixtures', async () => {
    const figures = [
      ...summarize(await loadResults(FIXTURE_DIR)).flatMap((w) => workloadFigures(w, referenceHeatmap(makeSpec('course', 1024, 2, 1))).figures),
      ...summarize(await loadResults(LATENCY_FIXTURE_DIR)).flatMap((w) => workloadFigures(w, null).figures),
    ];
    expect(figures.map((f) => f.name.replace(/^.*-/, ''))).toEqual(expect.arrayContaining(['io', 'runtime', 'memory', 'heatmap', 'latency']));
    for (const f of figures) {
      const said: string[] = [];
      const note = (...args: unknown[]) => {
        said.push(args.map(String).join(' '));
        return logger;
      };
      const logger = { level: () => logger, error: note, warn: note, info: () => logger, debug: () => logger };
      compile({ ...f.spec, config: CHART_CONFIG }, { logger });
      expect(said, f.name).toEqual([]);
    }
  });

  it('are typed by vega-lite: a misspelt encoding type, mark or resolve mode does not compile', () => {
    // Checked by `npm run typecheck` (the test files are part of the project): each line must be an error.
    // @ts-expect-error 'nominl' is no encoding type
    const x: ChartEncoding['x'] = { field: 'policy', type: 'nominl' };
    // @ts-expect-error 'barr' is no mark
    const layer: ChartLayer = { mark: 'barr', encoding: { x } };
    // @ts-expect-error 'independant' is no resolve mode
    const panel: ChartPanel = { layer: [layer], resolve: { scale: { color: 'independant' } } };
    expect(panel).toHaveProperty('resolve');
  });
});
