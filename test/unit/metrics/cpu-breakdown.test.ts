import { describe, expect, it } from 'vitest';
import { cpuBreakdown, stageDelta } from '../../../src/metrics/cpu-breakdown.js';

describe('CPU breakdown of a run', () => {
  it('splits the process into the workload\'s thread, the agent\'s (scans, selections, other) and the other threads', () => {
    const b = cpuBreakdown({
      source: 'schedstat',
      processMs: 1000,
      mainThreadMs: 300,
      workload: { threadMs: 600, runMs: 500, verifyMs: 50 },
      agent: {
        scanThread: 'main',
        scans: { count: 12, wallMs: 130, cpuMs: 120 },
        folds: { count: 0, wallMs: 0, cpuMs: 0 },
        prepares: { count: 0, wallMs: 0, cpuMs: 0 },
        refreshes: { count: 0, wallMs: 0, cpuMs: 0 },
        selections: { count: 40, wallMs: 45, cpuMs: 30 },
      },
    });
    expect(b).toEqual({
      source: 'schedstat',
      processMs: 1000,
      workload: { threadMs: 600, runMs: 500, verifyMs: 50 },
      mainThreadMs: 300,
      agent: { scanThread: 'main', scans: 12, scanMs: 120, scanWallMs: 130, folds: 0, foldMs: 0, prepares: 0, prepareMs: 0, prepareWallMs: 0, refreshes: 0, refreshMs: 0, refreshWallMs: 0, selections: 40, selectionMs: 30, selectionWallMs: 45, otherMs: 150 },
      otherThreadsMs: 100,
    });
    // The parts add up to the process.
    expect(b.workload.threadMs! + b.agent!.scanMs! + b.agent!.selectionMs! + b.agent!.otherMs! + b.otherThreadsMs!).toBe(b.processMs);
  });

  it('with the profiler on its worker thread, the scans are the worker\'s and the folds the main thread\'s', () => {
    const b = cpuBreakdown({
      source: 'schedstat',
      processMs: 1000,
      mainThreadMs: 200,
      workload: { threadMs: 600, runMs: 500, verifyMs: 50 },
      agent: {
        scanThread: 'worker',
        scans: { count: 12, wallMs: 130, cpuMs: 120 },
        folds: { count: 12, wallMs: 25, cpuMs: 20 },
        prepares: { count: 12, wallMs: 60, cpuMs: 50 },
        refreshes: { count: 3, wallMs: 12, cpuMs: 10 },
        selections: { count: 40, wallMs: 45, cpuMs: 30 },
      },
    });
    expect(b.agent).toEqual({
      scanThread: 'worker',
      scans: 12,
      scanMs: 120,
      scanWallMs: 130,
      folds: 12,
      foldMs: 20,
      prepares: 12,
      prepareMs: 50,
      prepareWallMs: 60,
      refreshes: 3,
      refreshMs: 10,
      refreshWallMs: 12,
      selections: 40,
      selectionMs: 30,
      selectionWallMs: 45,
      otherMs: 90,
    });
    expect(b.otherThreadsMs).toBe(80);
    // The parts add up to the process: the worker's scans, and on the main thread folds, refreshes, selections and the rest.
    expect(
      b.workload.threadMs! + b.agent!.scanMs! + b.agent!.foldMs! + b.agent!.prepareMs! + b.agent!.refreshMs! + b.agent!.selectionMs! + b.agent!.otherMs! + b.otherThreadsMs!,
    ).toBe(b.processMs);
  });

  it('a kernel baseline has no agent; without thread clocks only the process is known; the clocks\' rounding never makes a part negative', () => {
    expect(cpuBreakdown({ source: 'stat', processMs: 500, mainThreadMs: 20, workload: { threadMs: 490, runMs: 400, verifyMs: 30 }, agent: null })).toMatchObject({
      agent: null,
      otherThreadsMs: 0,
    });
    expect(
      cpuBreakdown({
        source: null,
        processMs: 500,
        mainThreadMs: null,
        workload: null,
        agent: {
          scanThread: 'main',
          scans: { count: 2, wallMs: 9, cpuMs: null },
          folds: { count: 0, wallMs: 0, cpuMs: null },
          prepares: { count: 0, wallMs: 0, cpuMs: null },
          refreshes: { count: 0, wallMs: 0, cpuMs: null },
          selections: { count: 0, wallMs: 0, cpuMs: null },
        },
      }),
    ).toEqual({
      source: null,
      processMs: 500,
      workload: { threadMs: null, runMs: null, verifyMs: null },
      mainThreadMs: null,
      agent: {
        scanThread: 'main',
        scans: 2,
        scanMs: null,
        scanWallMs: 9,
        folds: 0,
        foldMs: null,
        prepares: 0,
        prepareMs: null,
        prepareWallMs: 0,
        refreshes: 0,
        refreshMs: null,
        refreshWallMs: 0,
        selections: 0,
        selectionMs: null,
        selectionWallMs: 0,
        otherMs: null,
      },
      otherThreadsMs: null,
    });
  });

  it('takes the agent\'s work between two readings of its cumulative timing', () => {
    expect(stageDelta({ count: 3, wallMs: 10, cpuMs: 8 }, { count: 7, wallMs: 25, cpuMs: 20 })).toEqual({ count: 4, wallMs: 15, cpuMs: 12 });
    expect(stageDelta({ count: 0, wallMs: 0, cpuMs: null }, { count: 1, wallMs: 2, cpuMs: null })).toEqual({ count: 1, wallMs: 2, cpuMs: null });
  });
});
