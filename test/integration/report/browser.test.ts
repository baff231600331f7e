/**
 * The report as a browser shows it: headless Debian chromium renders the
 * fixture's report.html from disk (no network: only file:// and inline SVG).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { projectRoot } from '../../../src/harness/paths.js';
import { writeReport } from '../../../src/report/index.js';
import { svgSize } from '../../../src/report/png.js';
import { fixtureCopy } from '../../unit/report/fixture.js';
import { chromium, pngSize, requireChromium } from '../../support/chromium.js';

const dir = fixtureCopy('balloon-browser-');
const profile = mkdtempSync(path.join(os.tmpdir(), 'balloon-chromium-'));
afterAll(() => {
  rmSync(path.dirname(dir), { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
});

describe('report.html in headless chromium', { timeout: 120_000 }, () => {
  let url = '';
  beforeAll(async () => {
    requireChromium();
    const files = await writeReport(dir);
    url = pathToFileURL(files.html).href;
    // Rendering the charts takes seconds when the unit suite runs in parallel on a loaded machine.
  }, 60_000);

  it('takes a non-trivial screenshot', async () => {
    const png = path.join(path.dirname(dir), 'report.png');
    const r = await chromium(profile, `--screenshot=${png}`, '--window-size=1280,2000', url);
    expect(existsSync(png), `no screenshot; chromium exited ${r.exitCode}: ${r.stderr.slice(-2000)}`).toBe(true);
    expect(pngSize(readFileSync(png))).toEqual({ width: 1280, height: 2000 });
    // A blank or unstyled page compresses to a few KiB; tables, text and charts do not.
    expect(statSync(png).size).toBeGreaterThan(60_000);
  });

  it('opens a figure\'s standalone SVG file on its own', async () => {
    const png = path.join(path.dirname(dir), 'heatmap.png');
    const svg = pathToFileURL(path.join(dir, 'figures', 'course-heatmap.svg')).href;
    const r = await chromium(profile, `--screenshot=${png}`, '--window-size=1100,260', svg);
    expect(existsSync(png), `no screenshot; chromium exited ${r.exitCode}: ${r.stderr.slice(-2000)}`).toBe(true);
    expect(pngSize(readFileSync(png))).toEqual({ width: 1100, height: 260 });
    // Every bucket filled (the empty ones in the scale's zero colour), axes and legend: not a blank page.
    expect(statSync(png).size).toBeGreaterThan(10_000);
  });

  it('parses the tables and every inline SVG chart', async () => {
    const r = await chromium(profile, '--dump-dom', url);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    const dom = r.stdout;
    expect(dom.match(/<svg\b/g)).toHaveLength(8);
    expect(dom.match(/<table>/g)).toHaveLength(2);
    expect(dom).toContain('class="mark-rect role-mark'); // bars and heatmap cells
    expect(dom).toContain('class="mark-line role-mark'); // the free-memory lines
    expect(dom).toContain('Belady');
  });

  it('balloon report --png draws every figure as a PNG, two pixels per unit, beside its SVG', async () => {
    const out = path.join(path.dirname(dir), 'png-report');
    const r = await execa(process.execPath, [path.join(projectRoot, 'bin/balloon.js'), 'report', dir, '--out', out, '--png'], { reject: false, timeout: 300_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const svgs = readdirSync(path.join(out, 'figures')).filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBeGreaterThan(3);
    // Progress on stderr, one line per figure.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('balloon: png '))).toHaveLength(svgs.length);
    for (const svg of svgs) {
      const size = svgSize(readFileSync(path.join(out, 'figures', svg), 'utf8'))!;
      const png = readFileSync(path.join(out, 'figures', svg.replace(/\.svg$/, '.png')));
      expect(pngSize(png), svg).toEqual({ width: 2 * size.width, height: 2 * size.height });
      // Axes, marks and labels: not a blank page.
      expect(png.length, svg).toBeGreaterThan(8_000);
    }
  });
});

