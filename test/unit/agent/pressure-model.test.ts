import { describe, expect, it } from 'vitest';
import { BalloonPolicy } from '../../../src/agent/policies/balloon.js';
import type { ResidencyRefresh } from '../../../src/agent/controller.js';
import { runPressureModel, type PressureModelOptions } from '../../../src/agent/pressure-model.js';
import { LruApproxPolicy } from '../../../src/agent/policies/lru-approx.js';
import { sequentialSweep, zipf } from '../../../src/agent/trace.js';
import { makeSpec, passesForReferences, referenceString } from '../../../src/workloads/definitions.js';
import { summarizeSignalLatency } from '../../../src/metrics/signal-latency.js';

const m = 256;
const machine = (proactive: boolean): Pick<PressureModelOptions, 'memoryPages' | 'thresholdPages'> & Partial<PressureModelOptions> => ({
  memoryPages: m + 85,
  thresholdPages: 85,
  scanEveryReferences: 64,
  watcherEveryReferences: 64,
  answerTimeoutReferences: 640,
  controller: { policy: new BalloonPolicy(), proactive: { enabled: proactive } },
});

describe('pressure model (the controller on a modelled kernel)', () => {
  it('no pressure, no signal: a working set below the threshold', async () => {
    const r = await runPressureModel(sequentialSweep({ pages: 200, length: 5000 }), machine(false));
    expect(r).toMatchObject({ signals: 0, swapIns: 0, pagesFreed: 0, fallbackPages: 0, deficit: 0, coldMisses: 200, residentPages: 200 });
  });

  it('under pressure the reactive controller answers every request, and the page count balances', async () => {
    const r = await runPressureModel(zipf({ pages: 4 * m, length: 20_000, exponent: 1, seed: 3 }), machine(false));
    expect(r.signals).toBeGreaterThan(10);
    expect(r.fallbackPages).toBe(0);
    // (An answer still running when the trace ends gets nothing more.)
    const finished = r.answers.filter((a) => a.endedAt < r.references);
    expect(finished.length).toBeGreaterThan(10);
    expect(finished.filter((a) => a.pagesFreed < a.pagesWanted)).toEqual([]);
    expect(r.coldMisses + r.swapIns - r.pagesFreed - r.fallbackPages).toBe(r.residentPages);
    expect(r.residentPages).toBeLessThanOrEqual(m + 85);
  });

  it('times each answer\'s stages in references after the watcher\'s send: a call takes its modelled latency', async () => {
    const r = await runPressureModel(zipf({ pages: 4 * m, length: 20_000, exponent: 1, seed: 3 }), { ...machine(false), callLatencyReferences: 16, pageLatencyReferences: 0.25 });
    const finished = r.answers.filter((a) => a.endedAt < r.references);
    expect(finished.length).toBeGreaterThan(10);
    for (const a of finished) {
      const l = a.latency;
      // The listener runs in the watcher's step; the model's policy chooses in no time.
      expect(l).toMatchObject({ sendStamped: true, listenerMs: 0 });
      expect(l.chosenMs).toBe(l.startMs);
      if (a.swapOutCalls > 0) expect(l.lastReturnMs! - l.firstCallMs!).toBeGreaterThanOrEqual(16);
      expect(l.endMs).toBe(a.endedAt - a.sentAt);
      expect(a.signalSeq).toBeGreaterThan(0);
    }
    const s = summarizeSignalLatency(finished)!;
    expect(s.answers).toBe(finished.length);
    expect(s.stages.listenerMs!.max).toBe(0);
    expect(s.stages.lastReturnMs!.p50).toBeGreaterThanOrEqual(16);
    expect(s.pagesFreed).toBe(finished.reduce((sum, a) => sum + a.pagesFreed, 0));
  });

  it('the proactive mode (the default) makes requests rare and holds the threshold better', async () => {
    const trace = zipf({ pages: 4 * m, length: 40_000, exponent: 1, seed: 3 });
    const reactive = await runPressureModel(trace, machine(false));
    const proactive = await runPressureModel(trace, machine(true));
    expect(proactive.proactivePagesFreed).toBeGreaterThan(0);
    expect(proactive.signals).toBeLessThan(reactive.signals / 4);
    expect(proactive.meanDeficitPages).toBeLessThan(reactive.meanDeficitPages / 2);
    // Its cost is not bounded here: with the scan-resistant balloon policy of docs/policies.md
    // it makes 1.13x the reactive mode's swap-ins on this trace (9,260 against 8,166), up from
    // a few % with the policy it was first measured with; issue 13 keeps that trade-off open.
    expect(proactive.fallbackPages).toBe(0);
  });

  it('with scans far apart, residency read between them keeps answers on pages that are there and the loop resident (course)', async () => {
    // The course's shape over twice the memory, 8 scans in the whole trace: what a 5% CPU budget buys in a guest.
    const trace = referenceString(makeSpec('course', 2 * m, passesForReferences('course', 2 * m, 4096), 42));
    const run = (policy: 'balloon' | 'lru-approx', refreshResidency: ResidencyRefresh) =>
      runPressureModel(trace, {
        ...machine(false),
        scanEveryReferences: 512,
        answerTimeoutReferences: 640,
        controller: { policy: policy === 'balloon' ? new BalloonPolicy() : new LruApproxPolicy(), refreshResidency, proactive: { enabled: false } },
      });
    const refreshed = await run('balloon', 'always');
    const stale = await run('balloon', 'never');
    const lru = await run('lru-approx', 'always');
    // Without it, answers choose pages the kernel's rail already took, and the rail writes most pages.
    expect(stale.fallbackPages).toBeGreaterThan(stale.pagesFreed);
    expect(refreshed.fallbackPages).toBeLessThan(stale.fallbackPages / 10);
    expect(refreshed.swapIns).toBeLessThan(stale.swapIns / 2);
    expect(refreshed.swapIns).toBeLessThan(lru.swapIns / 2);
  });
});
