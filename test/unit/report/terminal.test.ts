import { describe, expect, it } from 'vitest';
import { loadResults } from '../../../src/report/load.js';
import type { PolicySummary, Spread, WorkloadSummary } from '../../../src/report/summary.js';
import { summarize } from '../../../src/report/summary.js';
import { alignColumns, fmtTimes, terminalSummary } from '../../../src/report/terminal.js';
import { FIXTURE_DIR } from './fixture.js';

const s = (median: number, n = 3): Spread => ({ median, min: median, max: median, n });

function policy(name: string, over: Partial<PolicySummary> = {}): PolicySummary {
  return {
    policy: name,
    runs: 3,
    ok: 3,
    failed: 0,
    swapIns: null,
    swapOuts: null,
    wallMs: null,
    signals: null,
    swapOutCalls: null,
    swapBusyMs: null,
    deficitMiBs: null,
    peakResidentBytes: null,
    startFreeBytes: null,
    swapInsVsKernel: null,
    swapInsVsMin: null,
    swapOutsVsKernel: null,
    wallVsKernel: null,
    ...over,
  };
}

const workload = (name: string, policies: PolicySummary[]): WorkloadSummary => ({ workload: name, policies, bound: null, okRuns: [], errors: [] });

describe('fmtTimes', () => {
  it('gives the ratio with an x, or a dash without a base', () => {
    expect([fmtTimes(82, 100), fmtTimes(100, 100), fmtTimes(1234, 100), fmtTimes(0, 100)]).toEqual(['0.82x', '1.00x', '12.3x', '0.00x']);
    expect([fmtTimes(5, 0), fmtTimes(5, null), fmtTimes(null, 5), fmtTimes(Number.NaN, 5)]).toEqual(['—', '—', '—', '—']);
  });
});

describe('alignColumns', () => {
  it('pads text to the left and figures to the right', () => {
    expect(alignColumns([['name', 'n'], ['a', '1,000'], ['longer', '7']], ['left', 'right'])).toEqual(['name        n', 'a       1,000', 'longer      7']);
  });
});

describe('terminalSummary', () => {
  it('prints medians as ratios to the kernel baseline, one table per workload', () => {
    const text = terminalSummary([
      workload('course', [
        policy('kernel', { swapIns: s(1000), swapOuts: s(2000), wallMs: s(10_000), deficitMiBs: s(4) }),
        policy('balloon', { ok: 2, failed: 1, swapIns: s(820, 2), swapOuts: s(0, 2), wallMs: s(12_345, 2), deficitMiBs: s(1, 2) }),
        policy('fifo', { ok: 0, failed: 3 }),
      ]),
      workload('zipf', [policy('kernel', { swapIns: s(0), swapOuts: s(10), wallMs: s(900), deficitMiBs: s(0) }), policy('balloon', { swapIns: s(5), swapOuts: s(5), wallMs: s(450), deficitMiBs: s(2.25) })]),
      workload('sweep', [policy('balloon', { swapIns: s(5), swapOuts: s(5), wallMs: s(450), deficitMiBs: s(0) })]),
    ]);
    expect(text).toBe(
      [
        'course: kernel baseline (median of 3 runs): 1,000 swap-ins, 2,000 swap-outs, 10.0 s, deficit 4.0 MiB·s',
        '  policy   ok/failed  swap-ins  swap-outs  wall time  deficit  deficit (MiB·s)',
        '  kernel         3/0     1.00x      1.00x      1.00x    1.00x              4.0',
        '  balloon        2/1     0.82x      0.00x      1.23x    0.25x              1.0',
        '  fifo           0/3         —          —          —        —                –',
        '',
        'zipf: kernel baseline (median of 3 runs): 0 swap-ins, 10 swap-outs, 0.90 s, deficit 0.0 MiB·s',
        '  policy   ok/failed  swap-ins  swap-outs  wall time  deficit  deficit (MiB·s)',
        '  kernel         3/0         —      1.00x      1.00x        —              0.0',
        '  balloon        3/0         —      0.50x      0.50x        —              2.3',
        '',
        'sweep: no kernel baseline (policy kernel) in these runs, so no ratios',
        '  policy   ok/failed  swap-ins  swap-outs  wall time  deficit  deficit (MiB·s)',
        '  balloon        3/0         —          —          —        —              0.0',
        '',
        "Ratios of each policy's median to the kernel baseline's (below 1x is better); —: the kernel's figure is 0 or missing.",
        'Deficit: the threshold deficit, how far and how long free memory stayed below the threshold (MiB·s).',
        '',
      ].join('\n'),
    );
  });

  it('says when the kernel baseline has no successful run', () => {
    const text = terminalSummary([workload('course', [policy('kernel', { ok: 0, failed: 2 }), policy('balloon', { swapIns: s(1) })])]);
    expect(text.split('\n')[0]).toBe('course: the kernel baseline has no successful run, so no ratios');
    expect(text.split('\n')[3]).toBe('  balloon        3/0         —          —          —        —                –');
  });

  it('summarizes the fixture with the medians of its repetitions', async () => {
    const data = await loadResults(FIXTURE_DIR);
    const [course, zipf] = summarize(data);
    const lines = terminalSummary([course!]).split('\n');
    expect(lines[0]).toBe('course: kernel baseline (median of 2 runs): 9,051 swap-ins, 11,062 swap-outs, 12.9 s, deficit 0.0 MiB·s');
    expect(lines.find((l) => l.startsWith('  lru-approx'))).toBe('  lru-approx        1/1     0.62x      0.62x      0.84x        —              1.5');
    // zipf's balloon: the median of its two runs' swap-ins against the median of the kernel's two.
    const pswpin = (policy: string): number[] => data.runs.filter((r) => r.workload === 'zipf' && r.policy === policy && r.result !== null).map((r) => r.result!.pswpin);
    const [b, k] = [pswpin('balloon'), pswpin('kernel')];
    expect([b.length, k.length]).toEqual([2, 2]);
    const ratio = (b[0]! + b[1]!) / (k[0]! + k[1]!);
    expect(terminalSummary([zipf!]).split('\n').find((l) => l.startsWith('  balloon'))).toMatch(new RegExp(`^  balloon +2/0 +${ratio.toFixed(2)}x `));
  });
});
