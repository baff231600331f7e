import { describe, expect, it } from 'vitest';
import { percentile, percentiles, summarizeSignalLatency, type AnswerStageTimes, type LatencyAnswer } from '../../../src/metrics/signal-latency.js';

const stages = (t: Partial<AnswerStageTimes>): AnswerStageTimes => ({
  sendStamped: true,
  listenerMs: 1,
  startMs: 1,
  chosenMs: 2,
  firstCallMs: 2,
  lastReturnMs: 10,
  endMs: 10,
  ...t,
});

describe('signal latency percentiles', () => {
  it('takes the nearest rank: an observed value with at least p % at or below it', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([50, 90, 99, 100].map((p) => percentile(hundred, p))).toEqual([50, 90, 99, 100]);
    expect([50, 90, 99].map((p) => percentile([7], p))).toEqual([7, 7, 7]);
    expect([50, 90, 99].map((p) => percentile([1, 2, 3, 4], p))).toEqual([2, 4, 4]);
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(percentiles([])).toBeNull();
    expect(percentiles([3, Number.NaN, 1, 2])).toEqual({ n: 3, p50: 2, p90: 3, p99: 3, max: 3 });
  });

  it('summarizes each stage over the answers that reached it, and the pages asked against those freed', () => {
    const answers: LatencyAnswer[] = [
      { latency: stages({ listenerMs: 0.5, endMs: 12, lastReturnMs: 12 }), pagesAsked: 100, pagesFreed: 110, coalesced: 0 },
      { latency: stages({ listenerMs: 3, startMs: 9, chosenMs: 9.5, firstCallMs: 9.6, lastReturnMs: 40, endMs: 41 }), pagesAsked: 200, pagesFreed: 100, coalesced: 2 },
      // Nothing to release: no call.
      { latency: stages({ sendStamped: false, listenerMs: 0, startMs: 0, chosenMs: 0.2, firstCallMs: null, lastReturnMs: null, endMs: 0.2 }), pagesAsked: 50, pagesFreed: 0 },
      // Recorded before stage times existed: left out.
      { pagesFreed: 999 },
    ];
    const s = summarizeSignalLatency(answers)!;
    expect(s).toMatchObject({ answers: 3, sendStamped: 2, coalescedSignals: 2, pagesAsked: 350, pagesFreed: 210, answersShort: 2 });
    expect(s.stages.listenerMs).toEqual({ n: 3, p50: 0.5, p90: 3, p99: 3, max: 3 });
    expect(s.stages.startMs).toEqual({ n: 3, p50: 1, p90: 9, p99: 9, max: 9 });
    expect(s.stages.firstCallMs).toEqual({ n: 2, p50: 2, p90: 9.6, p99: 9.6, max: 9.6 });
    expect(s.stages.lastReturnMs).toEqual({ n: 2, p50: 12, p90: 40, p99: 40, max: 40 });
    expect(s.stages.endMs).toEqual({ n: 3, p50: 12, p90: 41, p99: 41, max: 41 });
    expect(s.freedFraction).toEqual({ n: 3, p50: 0.5, p90: 1.1, p99: 1.1, max: 1.1 });
  });

  it('counts follow-ups apart: their pages freed count, their times and the pages they ask again do not', () => {
    const answers: LatencyAnswer[] = [
      { latency: stages({ endMs: 5000, lastReturnMs: null }), pagesAsked: 100, pagesFreed: 0, followUp: 0 },
      { latency: stages({ listenerMs: 0, startMs: 0, lastReturnMs: 900, endMs: 900 }), pagesAsked: 100, pagesFreed: 80, followUp: 1 },
    ];
    const s = summarizeSignalLatency(answers)!;
    expect(s).toMatchObject({ answers: 1, followUps: 1, pagesAsked: 100, pagesFreed: 80, answersShort: 1 });
    expect(s.stages.endMs).toEqual({ n: 1, p50: 5000, p90: 5000, p99: 5000, max: 5000 });
    expect(s.stages.lastReturnMs).toBeNull();
    expect(summarizeSignalLatency(answers.slice(0, 1))).not.toHaveProperty('followUps');
  });

  it('is null without a timed answer, and a stage no answer reached is null', () => {
    expect(summarizeSignalLatency([])).toBeNull();
    expect(summarizeSignalLatency([{ pagesFreed: 3 }])).toBeNull();
    const s = summarizeSignalLatency([{ latency: stages({ firstCallMs: null, lastReturnMs: null }), pagesAsked: 0, pagesFreed: 0 }])!;
    expect(s.stages.firstCallMs).toBeNull();
    expect(s.freedFraction).toBeNull();
    expect(s.answersShort).toBe(0);
  });
});
