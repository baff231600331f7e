/**
 * The balloon agent end to end in the VM: `balloon run` with the balloon
 * policy over a workload bigger than the guest's memory, against the patched
 * kernel, and the kernel's own swapping on the same workload at the same
 * memory budget (`--policy kernel`: a bystander holds the threshold's worth).
 * The kernel must signal, the agent must answer with swap-out calls that
 * bring free memory back above the threshold without the kernel's safety
 * rail, the kernel's own reclaim must write no anonymous page, the workload's
 * data must come back intact, and the agent must swap in less than half of
 * what the kernel does. Swap-ins vary much from run to run under TCG (the
 * agent's from 0 (a CI run of 2026-12-03) to 0.73x the kernel's median), so that comparison
 * is between the medians of three runs of each, alternating, every one from
 * the same fresh state (src/experiment/fresh-state.ts); the other checks
 * look at the first balloon run, and the data check at every run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/shared/run-result.js';
import { resetScript } from '../../src/experiment/fresh-state.js';
import { median } from '../../src/report/summary.js';
import { sshExec, sshRun, vmDefaults, vmDown, vmUp, type VmState } from '../../src/harness/vm.js';

const instance = 'e2e-agent';
const balloonCli = 'cd /opt/app-balloon && node bin/balloon.js';
const runTimeoutSeconds = 1500;
const repetitions = 3;

async function balloonRun(vm: VmState, policy: string): Promise<RunResult> {
  const run = await sshExec(
    vm,
    // The log goes to the root file system, not /tmp: /tmp is tmpfs in the guest, and shmem
    // pages are not anonymous memory, so swap isolation leaves them to kernel reclaim
    // (Documentation/admin-guide/mm/balloon.rst); they would blur the page accounting below.
    [`${balloonCli} run --workload course --policy ${policy} --size 640M --passes 2 --threshold 192M --json 2>/root/run-${policy}.log; rc=$?; tail -n 20 /root/run-${policy}.log >&2; exit $rc`],
    { timeoutSeconds: runTimeoutSeconds },
  );
  process.stdout.write(`--- balloon run --policy ${policy} (exit ${run.exitCode}) ---\n${run.stderr}\n`);
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as RunResult;
}

describe('balloon agent in the VM', () => {
  let vm: VmState;
  let result: RunResult;
  const runs: Record<'balloon' | 'kernel', RunResult[]> = { balloon: [], kernel: [] };

  beforeAll(async () => {
    await vmDown(instance);
    vm = await vmUp({ ...vmDefaults, instance, memoryMiB: 768, swapMiB: 2048 });
    for (let rep = 0; rep < repetitions; rep++) {
      for (const policy of ['balloon', 'kernel'] as const) {
        // Swap emptied, page cache dropped, memory compacted: every run from the same state.
        await sshRun(vm, resetScript(), 600);
        runs[policy].push(await balloonRun(vm, policy));
      }
    }
    result = runs.balloon[0]!;
  }, (2 * repetitions * runTimeoutSeconds + 600) * 1000);

  afterAll(async () => {
    await vmDown(instance);
  });

  it('gets every signal the kernel sends, and releases memory with swap-out calls', () => {
    expect(result.policy).toBe('balloon');
    expect(result.agentErrors).toEqual([]);
    // As root in the guest the agent's own per-page arrays are locked in memory (mlock).
    expect(result.agentResidency?.pinnedBytes).toBeGreaterThan(0);
    // And its code stays resident once used (mlock2 on fault of its file mappings).
    expect(result.agentResidency?.codeError).toBeUndefined();
    expect(result.agentResidency?.codeBytes).toBeGreaterThan(1 << 20);
    // The profiler scans on its worker thread, off the thread that answers.
    expect(result.cpuBreakdown?.agent?.scanThread).toBe('worker');
    expect(result.cpuBreakdown?.agent?.folds).toBe(result.cpuBreakdown?.agent?.scans);
    const counters = result.kernelCounters ?? {};
    // The handler is installed before the process registers: no request finds it without one.
    expect(counters['signals_undelivered'], JSON.stringify(counters)).toBe(0);
    // Every request sent reached the agent, but those the kernel dropped before delivery
    // when the agent unregistered (a queued request must not outlive the handler).
    expect(result.sigballoonCount).toBe((counters['signals_sent'] ?? 0) - (counters['signals_flushed'] ?? 0));
    // Answers to signals, and proactive rounds that keep free memory above the threshold
    // plus a margin (when they keep up, the kernel never needs to ask).
    expect(result.swapOutCalls).toBeGreaterThan(0);
    expect(result.pagesFreed).toBeGreaterThan(0);
    expect(counters['pages_freed']).toBe(result.pagesFreed);
  });

  it('raises free memory with its answers', () => {
    // The workload keeps allocating while an answer runs (under TCG an answer takes seconds),
    // a signal that arrived during an answer is answered later with the free memory it
    // reported then, and a call that outlives the answer's deadline is counted when it ends;
    // so not every answer can show a rise. But the agent's releases must show up as free
    // memory: some answer leaves at least half of what it freed on top of the free memory
    // its signal reported. (That one swap-out of N pages raises free memory by about N pages
    // is the kernel selftest free_memory_rises, and the addon e2e.)
    const freeing = result.answers.filter((a) => a.pagesFreed > 0 && a.freeBytesAfter !== null);
    if (result.sigballoonCount === 0) {
      // Nothing to answer: the proactive rounds kept the kernel from asking.
      expect(result.controller?.proactivePagesFreed).toBeGreaterThan(0);
      return;
    }
    expect(freeing.length).toBeGreaterThan(0);
    const rose = freeing.filter((a) => a.freeBytesAfter! - a.freeBytesAtSignal >= (a.pagesFreed * 4096) / 2);
    expect(rose.length, JSON.stringify(result.answers)).toBeGreaterThan(0);
  });

  // Issue 13's target, not met yet: the agent's answers come too late and too small at this
  // scale (late answers put it under the per-process safety rail). it.fails keeps the
  // assertion running so that the day it holds, this line must change.
  it.fails('brings free memory back above the threshold after each answer, without the kernel safety rail', () => {
    expect(result.thresholdBytes).toBe(192 << 20);
    const series = result.freeMemory.series;
    // After each answer, before the next one starts (or by the end of the run), some sample
    // of free memory is at or above the threshold again.
    const stuck = result.answers.filter((a, i) => {
      const until = result.answers[i + 1]?.startMs ?? Number.POSITIVE_INFINITY;
      return !series.some((s) => s.tMs >= a.endMs && s.tMs <= until && s.freeBytes >= result.thresholdBytes);
    });
    expect(stuck, JSON.stringify(stuck)).toEqual([]);
    // The kernel never had to write pages itself because an answer came too late or too small.
    expect(result.kernelCounters, result.kernelCountersError ?? '').not.toBeNull();
    expect(result.kernelCounters!['fallback_pages'], JSON.stringify(result.kernelCounters)).toBe(0);
    expect(result.kernelCounters!['fallbacks']).toBe(0);
  });

  // With the arrivals read before each answer (the default since 2026-12-03), 10 of 12 runs of this
  // command made 0.003x to 0.11x the kernel's swap-ins, one 0.19x and one 0.73x (docs/controller.md).
  it('on course at equal budget, swaps in fewer than half the pages the kernel baseline does (medians of 3)', () => {
    for (const r of runs.kernel) {
      expect(r.policy).toBe('kernel');
      expect(r.bystander?.bytes, 'the baseline runs with the threshold held by a bystander').toBe(192 << 20);
      expect(r.pswpin).toBeGreaterThan(0);
    }
    const [agent, kernel] = [median(runs.balloon.map((r) => r.pswpin))!, median(runs.kernel.map((r) => r.pswpin))!];
    const each = `balloon ${runs.balloon.map((r) => r.pswpin).join(', ')} vs kernel ${runs.kernel.map((r) => r.pswpin).join(', ')} swap-ins`;
    expect(agent, each).toBeLessThan(kernel / 2);
  });

  it('keeps the kernel reclaim from swapping anonymous pages: every page written to swap was one the agent chose', () => {
    const counters = result.kernelCounters ?? {};
    expect(result.pswpout).toBeGreaterThan(0);
    // Written by balloon_swapout (freed, or written but busy again by the time it was to be
    // freed), or by reclaim under the safety rail (an answer came too late).
    const chosen = (counters['pages_freed'] ?? 0) + (counters['pages_failed'] ?? 0) + (counters['fallback_pages'] ?? 0);
    expect(result.pswpout, JSON.stringify(counters)).toBeLessThanOrEqual(chosen);
  });

  it('keeps the workload data intact through swap-out and swap-in, in every run', () => {
    expect(runs.balloon).toHaveLength(repetitions);
    expect(runs.kernel).toHaveLength(repetitions);
    for (const r of [...runs.balloon, ...runs.kernel]) {
      expect(r.integrity.ok, `${r.policy}: integrity`).toBe(true);
      expect(r.integrity.badPages).toBe(0);
      expect(r.integrity.pagesChecked).toBe(r.pages);
      // The region is bigger than memory: the check reads pages back from swap, counted apart
      // from the references. It runs before the agent stops, so under the balloon policy those
      // faults meet an agent that is still answering.
      expect(r.verifySwap?.pswpin, `${r.policy}: swap-ins of the check`).toBeGreaterThan(0);
    }
    // The kernel's reclaim faults the hot half back during the references.
    for (const r of runs.kernel) expect(r.pswpin, 'kernel: swap-ins of the references').toBeGreaterThan(0);
    // The agent's references may fault nothing back: the hot half (320 MiB) fits in what the
    // threshold leaves, so Belady's MIN makes 0 swap-ins here too, and so did a run of CI's
    // on 2026-12-03. What the check reads back is then what the agent's own calls wrote: each
    // run freed pages with balloon_swapout, and every page written to swap during the
    // references was one it chose.
    for (const r of runs.balloon) {
      const counters = r.kernelCounters ?? {};
      expect(r.pagesFreed, 'balloon: pages freed by swap-out calls').toBeGreaterThan(0);
      const chosen = (counters['pages_freed'] ?? 0) + (counters['pages_failed'] ?? 0) + (counters['fallback_pages'] ?? 0);
      expect(r.pswpout, JSON.stringify(counters)).toBeLessThanOrEqual(chosen);
    }
  });
});
