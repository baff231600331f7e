// `balloon run` with a real policy, wired to a fake kernel port: the agent's
// profiler (real /proc/self/pagemap, as root; a sparse file stands in for the
// page_idle bitmap), scan loop and controller answer imitated SIGBALLOONs.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, ftruncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BalloonSignal, ByteRange, KernelPort } from '../../../src/agent/index.js';
import { executeRun, planRun } from '../../../src/cli/run.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Share of the pages of [address, address + size) present now, from /proc/self/pagemap (bit 63). */
function presentShare(address: bigint, size: number): number {
  const pages = size / 4096;
  const entries = new BigUint64Array(pages);
  const fd = openSync('/proc/self/pagemap', 'r');
  try {
    readSync(fd, new Uint8Array(entries.buffer), 0, entries.byteLength, Number(address / 4096n) * 8);
  } finally {
    closeSync(fd);
  }
  let present = 0;
  for (const entry of entries) if (entry >> 63n) present++;
  return present / pages;
}

describe('balloon run with a policy (fake kernel port)', { timeout: 120_000 }, () => {
  it('registers, scans, answers signals with swap-outs inside the region, reports them, and unregisters', async () => {
    expect(process.getuid?.(), 'reading PFNs from /proc/self/pagemap needs root').toBe(0);
    const bitmap = path.join(tmp, 'page_idle_bitmap');
    const fd = openSync(bitmap, 'w');
    ftruncateSync(fd, 16 << 20); // sparse: covers PFNs up to 2^27
    closeSync(fd);

    const events: string[] = [];
    const swapOuts: ByteRange[][] = [];
    let listener: ((s: BalloonSignal) => void) | undefined;
    // The kernel as the agent meets it: every 8th page is locked (always skipped), and a page
    // released less than 300 ms ago is still in swap (skipped again: the agent's history is stale);
    // after that the sweep has faulted it back in.
    const releasedAt = new Map<bigint, number>();
    let skipped = 0;
    const port: KernelPort = {
      register: async () => void events.push('register'),
      unregister: async () => void events.push('unregister'),
      swapOut: async (ranges) => {
        swapOuts.push(ranges.map((r) => ({ ...r })));
        const result = { freed: 0, skipped: 0, failed: 0 };
        for (const r of ranges) {
          for (let address = r.start; address < r.start + r.length; address += 4096n) {
            const at = releasedAt.get(address);
            if ((address / 4096n) % 8n === 0n || (at !== undefined && Date.now() - at < 300)) result.skipped++;
            else {
              result.freed++;
              releasedAt.set(address, Date.now());
            }
          }
        }
        skipped += result.skipped;
        return result;
      },
      onSignal: (l) => {
        events.push('listen');
        listener = l;
        return () => {
          events.push('unlisten');
          listener = undefined;
        };
      },
    };

    const plan = planRun({ workload: 'sweep', policy: 'balloon', size: '8M', passes: '4000', sampleMs: '20' });
    let region: { address: bigint | null; size: number } | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    const result = await executeRun(plan, {
      log: () => {},
      sysfsDir: path.join(tmp, 'no-sysfs'),
      kernelPort: port,
      profilerOptions: { idleBitmapPath: bitmap },
      scanInterval: { initialMs: 50, minMs: 50, maxMs: 100 },
      onStarted: (info) => {
        region = info.region;
        // Stamped and numbered as the addon's handler does. The requests start once the workload
        // has written most of its region and the agent has folded two scans since (the first may
        // have started before the writes): before that its history has only a page or two to
        // release, and the check below (every answer meets its request) would measure the race.
        let seq = 0;
        let scansWhenWritten: number | undefined;
        timer = setInterval(() => {
          if (scansWhenWritten === undefined && info.region.address !== null && presentShare(info.region.address, info.region.size) >= 0.9) {
            scansWhenWritten = info.scans();
          }
          if (scansWhenWritten !== undefined && info.scans() >= scansWhenWritten + 2) {
            listener?.({ pagesWanted: 32, freePages: 0, sentAtNs: process.hrtime.bigint(), seq: ++seq });
          }
        }, 100);
      },
    });
    clearInterval(timer);

    expect(result.agentErrors).toEqual([]);
    expect(result.integrity.ok).toBe(true);
    expect(result.region).toBe('addon');
    expect(result.scanBudget, 'the default share of one CPU for profiling').toBe(0.05);
    expect(result.refreshResidency, 'the arrivals read between scans, by default').toBe('arrivals');
    expect(result.scans).toBeGreaterThan(0);
    expect(result.sigballoonCount).toBeGreaterThan(0);
    expect(result.swapOutCalls).toBe(swapOuts.length);
    expect(result.swapOutCalls).toBeGreaterThan(0);
    expect(result.pagesFreed + skipped).toBe(result.pagesRequested);
    expect(skipped, 'the fake kernel skipped pages').toBeGreaterThan(0);
    // Every answer met its request (32 pages, less what was freed since the signal), skips or
    // not; the only short ones found nothing present.
    const answered = result.answers.filter((a) => a.swapOutCalls > 0);
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.filter((a) => a.pagesFreed < a.pagesWanted)).toEqual([]);
    expect(result.controller).toMatchObject({
      signalsReceived: result.sigballoonCount,
      errors: 0,
      answersShort: result.answers.length - answered.length,
    });
    expect(result.kernelCounters).toBeNull();
    // Each answer's stages, in ms after the send, happen in order; the run's percentiles cover every answer.
    for (const a of result.answers) {
      const l = a.latency!;
      expect(l.sendStamped).toBe(true);
      expect(a.signalSeq).toBeGreaterThan(0);
      const order = [0, l.listenerMs, l.startMs, l.chosenMs ?? l.endMs, l.firstCallMs ?? l.endMs, l.lastReturnMs ?? l.endMs, l.endMs];
      expect(order, JSON.stringify(l)).toEqual([...order].sort((x, y) => x - y));
      expect(a.pagesAsked).toBe(32);
    }
    // The agent's CPU: the scans on the profiler's worker thread; the folds, the policy's refreshes and
    // the selections (answers and proactive rounds) within the main thread's.
    const cpu = result.cpuBreakdown!;
    expect(cpu.agent!.scanThread).toBe('worker');
    expect(cpu.agent!.scans).toBeGreaterThan(0);
    expect(cpu.agent!.scans).toBeLessThanOrEqual(result.scans!);
    expect(cpu.agent!.folds).toBe(cpu.agent!.scans);
    expect(cpu.agent!.selections).toBeGreaterThanOrEqual(result.controller!.selections);
    expect(cpu.agent!.foldMs! + cpu.agent!.prepareMs! + cpu.agent!.selectionMs!).toBeLessThanOrEqual(cpu.mainThreadMs! + 20);
    // The scans as an access map for the report's heatmap: the run's scans, and the pages they saw accessed.
    const map = result.accessMap!;
    expect(map.pages).toBe(result.pages);
    expect(map.rows).toBe(Math.min(40, result.pages));
    expect(map.scans.length).toBeGreaterThan(0);
    expect(map.scans.length).toBeLessThanOrEqual(result.scans!);
    expect(map.scans.every((s) => s.tMs >= 0 && s.accessed.length === map.rows)).toBe(true);
    expect(map.scans.flatMap((s) => s.accessed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(cpu.workload.threadMs).toBeGreaterThan(0);
    expect(result.signalLatency).toMatchObject({ answers: result.answers.length, sendStamped: result.answers.length });
    expect(result.signalLatency!.stages.endMs!.max).toBe(Math.max(...result.answers.map((a) => a.latency!.endMs)));
    // Every range lies in the workload's region and is page-aligned.
    const start = region!.address!;
    const end = start + BigInt(region!.size);
    for (const r of swapOuts.flat()) {
      expect(r.start % 4096n).toBe(0n);
      expect(r.length % 4096n).toBe(0n);
      expect(r.start >= start && r.start + r.length <= end).toBe(true);
    }
    // The probe registers and unregisters at once; the agent listens before it registers,
    // and unregisters before it stops listening.
    expect(events.slice(0, 4)).toEqual(['register', 'unregister', 'listen', 'register']);
    expect(events.slice(-2)).toEqual(['unregister', 'unlisten']);
    expect(events.filter((e) => e === 'unregister')).toHaveLength(2);
  });

  it('a refused registration stops the run before anything is allocated', async () => {
    const port: KernelPort = {
      register: async () => {
        throw new Error('balloon_ctl(register) failed with ENOSYS: boot the VM');
      },
      unregister: async () => {},
      swapOut: async () => ({ freed: 0, skipped: 0, failed: 0 }),
      onSignal: () => () => {},
    };
    let started = false;
    await expect(
      executeRun(planRun({ workload: 'course', policy: 'lru-approx', size: '1M' }), {
        log: () => {},
        kernelPort: port,
        onStarted: () => (started = true),
      }),
    ).rejects.toThrow(/ENOSYS/);
    expect(started).toBe(false);
  });
});
