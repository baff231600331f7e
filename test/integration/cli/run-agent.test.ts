// `balloon run` with a real policy, wired to a fake kernel port: the agent's
// profiler (real /proc/self/pagemap, as root; a sparse file stands in for the
// page_idle bitmap), scan loop and controller answer imitated SIGBALLOONs.
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BalloonSignal, ByteRange, KernelPort } from '../../../src/agent/index.js';
import { executeRun, planRun } from '../../../src/cli/run.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('balloon run with a policy (fake kernel port)', { timeout: 120_000 }, () => {
  it('registers, scans, answers signals with swap-outs inside the region, reports them, and unregisters', async () => {
    expect(process.getuid?.(), 'reading PFNs from /proc/self/pagemap needs root').toBe(0);
    const bitmap = path.join(tmp, 'page_idle_bitmap');
    const fd = openSync(bitmap, 'w');
    ftruncateSync(fd, 16 << 20); // sparse: covers PFNs up to 2^27
    closeSync(fd);

    const events: string[] = [];
    const swapOuts: ByteRange[][] = [];
    let freedByKernel = 0;
    let listener: ((s: BalloonSignal) => void) | undefined;
    const port: KernelPort = {
      register: async () => void events.push('register'),
      unregister: async () => void events.push('unregister'),
      swapOut: async (ranges) => {
        swapOuts.push(ranges.map((r) => ({ ...r })));
        let pages = 0;
        for (const r of ranges) pages += Number(r.length / 4096n);
        // As the kernel may: one page of every call is skipped (say, locked), the rest freed.
        const freed = Math.max(0, pages - 1);
        freedByKernel += freed;
        return { freed, skipped: pages - freed, failed: 0 };
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

    const plan = planRun({ workload: 'sweep', policy: 'balloon', size: '8M', passes: '1500', sampleMs: '20' });
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
        timer = setInterval(() => listener?.({ pagesWanted: 32, freePages: 0 }), 100);
      },
    });
    clearInterval(timer);

    expect(result.agentErrors).toEqual([]);
    expect(result.integrity.ok).toBe(true);
    expect(result.region).toBe('addon');
    expect(result.scans).toBeGreaterThan(0);
    expect(result.sigballoonCount).toBeGreaterThan(0);
    expect(result.swapOutCalls).toBe(swapOuts.length);
    expect(result.swapOutCalls).toBeGreaterThan(0);
    // What the kernel said it freed, not what was asked for.
    expect(result.pagesFreed).toBe(freedByKernel);
    expect(result.pagesFreed).toBeLessThan(result.pagesRequested);
    expect(result.pagesRequested).toBeGreaterThanOrEqual(32);
    expect(result.controller).toMatchObject({ signalsReceived: result.sigballoonCount, errors: 0 });
    expect(result.kernelCounters).toBeNull();
    // Every range lies in the workload's region and is page-aligned.
    const start = region!.address!;
    const end = start + BigInt(region!.size);
    for (const r of swapOuts.flat()) {
      expect(r.start % 4096n).toBe(0n);
      expect(r.length % 4096n).toBe(0n);
      expect(r.start >= start && r.start + r.length <= end).toBe(true);
    }
    // Probe registration first, then the controller's; one unregister at the end.
    expect(events.slice(0, 3)).toEqual(['register', 'register', 'listen']);
    expect(events.slice(-2)).toEqual(['unlisten', 'unregister']);
    expect(events.filter((e) => e === 'unregister')).toHaveLength(1);
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
