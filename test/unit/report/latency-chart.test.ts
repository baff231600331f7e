import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../../src/report/index.js';
import { latencyBars, latencySubtitle, latencyTimelineChart, timedAnswers } from '../../../src/report/latency-chart.js';
import { loadResults } from '../../../src/report/load.js';
import { renderSvg } from '../../../src/report/render.js';
import { summarize } from '../../../src/report/summary.js';
import { summarizeSignalLatency } from '../../../src/metrics/signal-latency.js';
import { FIXTURE_DIR, root } from './fixture.js';

const LATENCY_DIR = path.join(root, 'test/fixtures/latency');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-latency-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('latency timeline', () => {
  it('draws a bar per answer from the send to the last call\'s return, with the listener, choice and first call marked', async () => {
    const data = await loadResults(LATENCY_DIR);
    const [sweep] = summarize(data);
    const balloon = sweep!.okRuns.filter((r) => r.policy === 'balloon');
    expect(balloon).toHaveLength(2);
    for (const run of balloon) {
      const answers = run.result!.answers;
      const bars = latencyBars(answers, 1000);
      expect(bars).toHaveLength(answers.length);
      bars.forEach((b, i) => {
        const a = answers[i]!;
        expect(b.label).toBe(`#${a.signalSeq}`);
        expect(b.endMs).toBe(a.latency!.lastReturnMs ?? a.latency!.endMs);
        expect(b.outcome).toBe(a.swapOutCalls === 0 ? 'no call' : a.pagesFreed >= a.pagesAsked! ? 'freed what was asked' : 'freed less');
        expect(b.marks.map((m) => m.mark)).toEqual(['listener ran', 'victims chosen', ...(a.latency!.firstCallMs === null ? [] : ['first call'])]);
        // Every mark lies on its bar.
        for (const m of b.marks) expect(m.ms).toBeLessThanOrEqual(b.endMs);
      });
      // The run's recorded percentiles are the ones recomputed from its answers.
      expect(run.result!.signalLatency).toEqual(summarizeSignalLatency(answers));
      expect(latencySubtitle(run, bars.length)).toMatch(new RegExp(`^${answers.length} answers; last call returned p50 [\\d.]+, p90 [\\d.]+, p99 [\\d.]+, max [\\d.]+ ms; pages freed [\\d,]+ of [\\d,]+ asked$`));
    }
    // At most maxBars (evenly spaced, the last kept) per run.
    const many = latencyBars(balloon[0]!.result!.answers, 10);
    expect(many.length).toBeLessThanOrEqual(11);
    expect(many.at(-1)!.label).toBe(`#${balloon[0]!.result!.answers.at(-1)!.signalSeq}`);
    expect(latencySubtitle(balloon[0]!, 11)).toContain('(11 shown)');

    const spec = latencyTimelineChart(sweep!)!;
    const panels = (spec as unknown as { vconcat: { title: { text: string } }[] }).vconcat;
    // One panel per run with timed answers: the kernel baseline has none.
    expect(panels.map((p) => p.title.text)).toEqual(['balloon rep 1', 'balloon rep 2']);
    const svg = await renderSvg(spec);
    expect(svg).toMatch(/^<svg role="img"/);
    expect(svg).toContain('ms after the send');
    expect(svg).toContain('victims chosen');
    expect(svg).toContain('balloon rep 2');
  });

  it('gives a follow-up a bar of its own, named after the signal it answers again', async () => {
    const data = await loadResults(LATENCY_DIR);
    const [sweep] = summarize(data);
    const run = sweep!.okRuns.find((r) => r.policy === 'balloon')!;
    const first = run.result!.answers[0]!;
    const answers = [first, { ...first, followUp: 1 }, { ...first, followUp: 2 }];
    expect(latencyBars(answers, 1000).map((b) => b.label)).toEqual([`#${first.signalSeq}`, `#${first.signalSeq} follow-up 1`, `#${first.signalSeq} follow-up 2`]);
    const withFollowUps = { ...run, result: { ...run.result!, answers, signalLatency: summarizeSignalLatency(answers) } };
    expect(latencySubtitle(withFollowUps, 3)).toMatch(/^1 answers and 2 follow-ups; last call returned /);
  });

  it('is left out, with a note, when the answers carry no stage times (results recorded before them)', async () => {
    const data = await loadResults(FIXTURE_DIR);
    for (const w of summarize(data)) {
      expect(w.okRuns.flatMap((r) => timedAnswers(r.result!.answers))).toEqual([]);
      expect(latencyTimelineChart(w)).toBeNull();
    }
  });

  it('is in report.html, once per workload with timed answers', async () => {
    const dir = path.join(tmp, 'latency');
    cpSync(LATENCY_DIR, dir, { recursive: true });
    const files = await writeReport(dir, { now: new Date('2026-01-01T00:00:00Z') });
    const html = readFileSync(files.html, 'utf8');
    expect(html.match(/Each answer to a SIGBALLOON, in ms after the send/g)).toHaveLength(1);
    expect(html).toContain('balloon rep 1');
    expect(html).not.toContain('No latency timeline');
  });
});
