/**
 * The balloon agent end to end in the VM: `balloon run` with the balloon
 * policy over a workload bigger than the guest's memory, against the patched
 * kernel. The kernel must signal, the agent must answer with swap-out calls
 * that raise free memory, the kernel's own reclaim must write no anonymous
 * page, and the workload's data must come back intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/cli/run.js';
import { sshExec, vmDefaults, vmDown, vmUp, type VmState } from '../../src/harness/vm.js';

const instance = 'e2e-agent';
const balloonCli = 'cd /opt/app-balloon && node bin/balloon.js';

describe('balloon agent in the VM', () => {
  let vm: VmState;
  let result: RunResult;

  beforeAll(async () => {
    await vmDown(instance);
    vm = await vmUp({ ...vmDefaults, instance, memoryMiB: 768, swapMiB: 2048 });
    const run = await sshExec(
      vm,
      [`${balloonCli} run --workload course --policy balloon --size 640M --passes 2 --threshold 192M --json 2>/tmp/run.log; rc=$?; tail -n 20 /tmp/run.log >&2; exit $rc`],
      { timeoutSeconds: 1500 },
    );
    process.stdout.write(`--- balloon run (exit ${run.exitCode}) ---\n${run.stderr}\n`);
    expect(run.exitCode, run.stderr).toBe(0);
    result = JSON.parse(run.stdout) as RunResult;
  });

  afterAll(async () => {
    await vmDown(instance);
  });

  it('is signalled by the kernel and answers with swap-out calls', () => {
    expect(result.policy).toBe('balloon');
    expect(result.agentErrors).toEqual([]);
    expect(result.sigballoonCount).toBeGreaterThan(0);
    expect(result.swapOutCalls).toBeGreaterThan(0);
    expect(result.pagesFreed).toBeGreaterThan(0);
    expect(result.kernelCounters?.['signals_sent']).toBeGreaterThan(0);
    expect(result.kernelCounters?.['pages_freed']).toBe(result.pagesFreed);
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
    expect(freeing.length).toBeGreaterThan(0);
    const rose = freeing.filter((a) => a.freeBytesAfter! - a.freeBytesAtSignal >= (a.pagesFreed * 4096) / 2);
    expect(rose.length, JSON.stringify(result.answers)).toBeGreaterThan(0);
  });

  it('keeps the kernel reclaim from swapping anonymous pages: every page written to swap was one the agent chose', () => {
    const counters = result.kernelCounters ?? {};
    expect(result.pswpout).toBeGreaterThan(0);
    // Written by balloon_swapout (freed, or written but busy again by the time it was to be
    // freed), or by reclaim under the safety rail (an answer came too late).
    const chosen = (counters['pages_freed'] ?? 0) + (counters['pages_failed'] ?? 0) + (counters['fallback_pages'] ?? 0);
    expect(result.pswpout, JSON.stringify(counters)).toBeLessThanOrEqual(chosen);
  });

  it('keeps the workload data intact through swap-out and swap-in', () => {
    expect(result.integrity.ok).toBe(true);
    expect(result.integrity.badPages).toBe(0);
    expect(result.integrity.pagesChecked).toBe(result.pages);
    expect(result.pswpin).toBeGreaterThan(0);
  });
});
