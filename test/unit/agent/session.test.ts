import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BalloonSignal, KernelPort, SwapOutResult } from '../../../src/agent/kernel-port.js';
import { PageState, type ByteRange } from '../../../src/agent/page-state.js';
import { nodeFileIo } from '../../../src/agent/file-io.js';
import { BalloonPolicy } from '../../../src/agent/policies/balloon.js';
import { FifoPolicy } from '../../../src/agent/policies/fifo.js';
import { AgentSession, probeRegistration } from '../../../src/agent/session.js';
import { makeTempDir, writeBitmap, writePagemap } from './helpers.js';

const REGION = 0x10000000n;
const PAGES = 8;

/** Records every call; swap-out frees the present pages the synthetic pagemap shows, skips the rest. */
class RecordingKernel implements KernelPort {
  readonly events: string[] = [];
  listener: ((signal: BalloonSignal) => void) | undefined;
  registerError: Error | undefined;
  constructor(private readonly presentPages: Set<number>) {}
  async register(regions: readonly ByteRange[]): Promise<void> {
    this.events.push(`register ${regions.length}`);
    if (this.registerError) throw this.registerError;
  }
  async unregister(): Promise<void> {
    this.events.push('unregister');
  }
  onSignal(listener: (signal: BalloonSignal) => void): () => void {
    this.events.push('listen');
    this.listener = listener;
    return () => {
      this.events.push('unlisten');
      this.listener = undefined;
    };
  }
  async swapOut(ranges: readonly ByteRange[]): Promise<SwapOutResult> {
    this.events.push('swapOut');
    const result = { freed: 0, skipped: 0, failed: 0 };
    for (const r of ranges) {
      for (let page = Number((r.start - REGION) / 4096n); page < Number((r.start + r.length - REGION) / 4096n); page++) {
        if (this.presentPages.delete(page)) result.freed++;
        else result.skipped++;
      }
    }
    return result;
  }
}

describe('AgentSession', () => {
  let dir: string;
  let pagemapPath: string;
  let idleBitmapPath: string;
  let kernel: RecordingKernel;
  beforeEach(() => {
    vi.useFakeTimers();
    dir = makeTempDir();
    pagemapPath = path.join(dir, 'pagemap');
    idleBitmapPath = path.join(dir, 'bitmap');
    writeBitmap(idleBitmapPath, 4096);
    // Pages 0-5 present, 6-7 never touched.
    writePagemap(pagemapPath, REGION, [...Array(PAGES).keys()].map((i) => (i < 6 ? { present: true, pfn: BigInt(100 + i) } : {})));
    kernel = new RecordingKernel(new Set([0, 1, 2, 3, 4, 5]));
  });
  afterEach(() => {
    vi.useRealTimers();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = (extra: Partial<Parameters<typeof AgentSession.start>[0]> = {}): Promise<AgentSession> =>
    AgentSession.start({
      kernel,
      regions: [{ start: REGION, length: BigInt(PAGES) * 4096n }],
      policy: new FifoPolicy(),
      controller: { hysteresisFraction: 0 },
      profiler: { pagemapPath, idleBitmapPath },
      scanThread: 'main',
      scanInterval: { initialMs: 100, minMs: 100, maxMs: 100 },
      ...extra,
    });

  it('listens, registers, scans and answers; on stop unregisters before it stops listening', async () => {
    const session = await start();
    expect(kernel.events).toEqual(['listen', 'register 1']);
    await vi.advanceTimersByTimeAsync(100);
    expect(session.scans).toBe(1);
    expect(session.memory.history.state[0]).toBe(PageState.Present);
    kernel.listener!({ pagesWanted: 4, freePages: 0 });
    await session.controller.whenIdle();
    expect(session.controller.stats).toMatchObject({ pagesFreed: 4, answersShort: 0 });
    await session.stop();
    expect(kernel.events).toEqual(['listen', 'register 1', 'swapOut', 'unregister', 'unlisten']);
    await vi.advanceTimersByTimeAsync(500);
    expect(session.scans, 'no scan after stop').toBe(1);
    expect(session.errors).toEqual([]);
    await session.stop();
    expect(kernel.events).toHaveLength(5);
  });

  it('times its scans, residency refreshes and selections: count, wall time and the thread\'s CPU time', async () => {
    // Every read of a clock advances it: a timed call takes 10 ms of wall time and 1 ms of CPU.
    let [wall, cpu] = [0, 0];
    const session = await start({
      threadCpu: { source: 'stat', now: () => (cpu += 1) },
      wallClock: () => (wall += 10),
      controller: { hysteresisFraction: 0, refreshResidency: 'always' },
    });
    await vi.advanceTimersByTimeAsync(200);
    kernel.listener!({ pagesWanted: 4, freePages: 0 });
    await session.controller.whenIdle();
    expect(session.controller.stats).toMatchObject({ selections: 1, pagesFreed: 4 });
    expect(session.timing).toEqual({
      cpuSource: 'stat',
      scanThread: 'main',
      scans: { count: 2, wallMs: 20, cpuMs: 2 },
      folds: { count: 0, wallMs: 0, cpuMs: 0 },
      prepares: { count: 0, wallMs: 0, cpuMs: 0 },
      refreshes: { count: 1, wallMs: 10, cpuMs: 1 },
      selections: { count: 1, wallMs: 10, cpuMs: 1 },
    });
    await session.stop();
  });

  it('keeps its scans within the CPU budget: the next scan waits for what the last one cost', async () => {
    // Every read of the CPU clock advances it by 20 ms: a scan costs 20 ms of CPU.
    let cpu = 0;
    const session = await start({ threadCpu: { source: 'stat', now: () => (cpu += 20) }, scanInterval: { initialMs: 100, minMs: 100, maxMs: 100, cpuBudget: 0.1 } });
    await vi.advanceTimersByTimeAsync(100);
    expect(session.scans).toBe(1);
    expect(session.scanLoop.lastWaitMs).toBe(180); // 20 ms of work and 180 ms of rest: 10%
    await vi.advanceTimersByTimeAsync(179);
    expect(session.scans).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(session.scans).toBe(2);
    await session.stop();
  });

  it('without a thread CPU clock keeps the wall time only', async () => {
    const session = await AgentSession.start({
      kernel,
      regions: [{ start: REGION, length: BigInt(PAGES) * 4096n }],
      policy: new FifoPolicy(),
      profiler: { pagemapPath, idleBitmapPath },
      scanThread: 'main',
      scanInterval: { initialMs: 100, minMs: 100, maxMs: 100 },
      threadCpu: null,
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(session.timing).toMatchObject({ cpuSource: null, scans: { count: 1, cpuMs: null }, selections: { count: 0, wallMs: 0, cpuMs: null } });
    await session.stop();
  });

  it('leaves nothing behind when the registration fails', async () => {
    kernel.registerError = new Error('balloon_ctl(register) failed with EPERM');
    await expect(start()).rejects.toThrow(/EPERM/);
    expect(kernel.events).toEqual(['listen', 'register 1', 'unlisten']);
  });

  it('reports a profiler failure as an error of the session, and keeps answering from the history it has', async () => {
    const session = await start();
    await vi.advanceTimersByTimeAsync(100);
    fs.truncateSync(pagemapPath, 0); // the open file loses its entries: the next scan fails
    await vi.advanceTimersByTimeAsync(100);
    expect(session.errors).toEqual([expect.stringMatching(/^profiler: .*pagemap/)]);
    kernel.listener!({ pagesWanted: 2, freePages: 0 });
    await session.controller.whenIdle();
    expect(session.controller.stats.pagesFreed).toBe(2);
    await session.stop();
  });

  it('pins the profiler\'s, the history\'s and the policy\'s per-page arrays before it registers, and unpins them on stop', async () => {
    const pinned: ArrayBufferView[] = [];
    let unpinned = 0;
    const policy = new FifoPolicy();
    const session = await start({
      policy,
      pin: (arrays) => {
        kernel.events.push('pin');
        pinned.push(...arrays);
        return { bytes: 12345, unpin: () => void unpinned++ };
      },
    });
    expect(kernel.events).toEqual(['pin', 'listen', 'register 1']);
    expect(session.residency).toEqual({ pinnedBytes: 12345 });
    const { history, source } = session.memory;
    for (const a of [history.state, history.lastAccess, history.loadStamp, ...source.arrays()]) expect(pinned).toContain(a);
    // The policy's buffers exist before its first selection, for all the pages.
    const reserved = policy.reserve(PAGES);
    for (const a of reserved) expect(pinned).toContain(a);
    expect(reserved.every((a) => a.byteLength >= PAGES)).toBe(true);
    await session.stop();
    expect(unpinned).toBe(1);
  });

  it('keeps working with its arrays swappable when pinning fails, and says why', async () => {
    const session = await start({
      pin: () => {
        throw new Error('mlock failed with EPERM: keeping the agent\'s arrays resident needs CAP_IPC_LOCK');
      },
    });
    expect(session.residency).toEqual({ pinnedBytes: 0, error: 'mlock failed with EPERM: keeping the agent\'s arrays resident needs CAP_IPC_LOCK' });
    await vi.advanceTimersByTimeAsync(100);
    kernel.listener!({ pagesWanted: 4, freePages: 0 });
    await session.controller.whenIdle();
    expect(session.controller.stats.pagesFreed).toBe(4);
    await session.stop();
    expect(session.errors).toEqual([]);
  });

  it('pins its code after its arrays when asked, reports both, and unpins both on stop; a refused code pin is reported and not fatal', async () => {
    const unpinned: string[] = [];
    const session = await start({
      pin: () => {
        kernel.events.push('pin');
        return { bytes: 100, unpin: () => void unpinned.push('arrays') };
      },
      pinCode: () => {
        kernel.events.push('pin code');
        return { bytes: 5 << 20, unpin: () => void unpinned.push('code') };
      },
    });
    expect(kernel.events).toEqual(['pin', 'pin code', 'listen', 'register 1']);
    expect(session.residency).toEqual({ pinnedBytes: 100, codeBytes: 5 << 20 });
    await session.stop();
    expect(unpinned).toEqual(['code', 'arrays']);

    const refused = await start({
      pin: () => ({ bytes: 100, unpin: () => {} }),
      pinCode: () => {
        throw new Error('mlock2 failed with EPERM: keeping the agent\'s code resident needs CAP_IPC_LOCK');
      },
    });
    expect(refused.residency).toEqual({ pinnedBytes: 100, codeError: 'mlock2 failed with EPERM: keeping the agent\'s code resident needs CAP_IPC_LOCK' });
    await refused.stop();
  });

  it('unpins when the registration fails', async () => {
    kernel.registerError = new Error('balloon_ctl(register) failed with ENOSYS');
    let unpinned = 0;
    await expect(start({ pin: () => ({ bytes: 1, unpin: () => void unpinned++ }) })).rejects.toThrow(/ENOSYS/);
    expect(unpinned).toBe(1);
  });

  it('probeRegistration registers and unregisters at once, and passes the kernel\'s refusal on', async () => {
    await probeRegistration(kernel);
    expect(kernel.events).toEqual(['register 0', 'unregister']);
    kernel.registerError = new Error('balloon_ctl(register) failed with ENOSYS: boot the VM');
    await expect(probeRegistration(kernel)).rejects.toThrow(/ENOSYS/);
  });

  describe('with the profiler on a worker thread (the default)', () => {
    beforeEach(() => vi.useRealTimers());
    const startWorker = (extra: Partial<Parameters<typeof AgentSession.start>[0]> = {}): Promise<AgentSession> =>
      AgentSession.start({
        kernel,
        regions: [{ start: REGION, length: BigInt(PAGES) * 4096n }],
        policy: new FifoPolicy(),
        controller: { hysteresisFraction: 0 },
        profiler: { pagemapPath, idleBitmapPath },
        scanInterval: { initialMs: 20, minMs: 20, maxMs: 20 },
        ...extra,
      });
    const until = async (condition: () => boolean, what: string): Promise<void> => {
      for (const t0 = Date.now(); !condition(); await new Promise((r) => setTimeout(r, 5))) {
        if (Date.now() - t0 > 10_000) throw new Error(`timed out waiting for ${what}`);
      }
    };

    it('scans in the worker, folds on the main thread, answers from the history, and ends the worker on stop', async () => {
      const session = await startWorker();
      expect(session.timing.scanThread).toBe('worker');
      await until(() => session.scans >= 2, 'two scans');
      expect([...session.memory.history.state]).toEqual([1, 1, 1, 1, 1, 1, 0, 0].map((p) => (p ? PageState.Present : PageState.Absent)));
      kernel.listener!({ pagesWanted: 4, freePages: 0 });
      await session.controller.whenIdle();
      expect(session.controller.stats).toMatchObject({ pagesFreed: 4, answersShort: 0 });
      await session.stop();
      const { scans, folds, prepares } = session.timing;
      expect(scans.count).toBeGreaterThanOrEqual(2);
      expect(folds.count).toBe(scans.count);
      expect(prepares.count).toBe(0);
      expect(scans.wallMs).toBeGreaterThan(0);
      const scansAtStop = session.scans;
      await new Promise((r) => setTimeout(r, 100));
      expect(session.scans, 'no scan after stop').toBe(scansAtStop);
      expect(session.errors).toEqual([]);
      expect(kernel.events.slice(-2)).toEqual(['unregister', 'unlisten']);
    });

    it('times the balloon policy\'s refresh after each scan apart from the folds (FIFO has none)', async () => {
      const session = await startWorker({ policy: new BalloonPolicy() });
      await until(() => session.scans >= 1, 'a scan');
      kernel.listener!({ pagesWanted: 2, freePages: 0 }); // the policy's first call: it refreshes from then on
      await session.controller.whenIdle();
      const scansBefore = session.scans;
      await until(() => session.scans >= scansBefore + 2, 'two more scans');
      await session.stop();
      const { folds, prepares } = session.timing;
      expect(prepares.count).toBeGreaterThanOrEqual(2);
      expect(prepares.count).toBeLessThanOrEqual(folds.count);
      expect(session.controller.stats.pagesFreed).toBe(2);
    });

    it('reports the worker\'s profiler errors with their advice, and keeps answering', async () => {
      const session = await startWorker();
      await until(() => session.scans >= 1, 'a scan');
      fs.truncateSync(pagemapPath, 0);
      await until(() => session.errors.length > 0, 'the profiler error');
      expect(session.errors).toEqual([expect.stringMatching(/^profiler: .*pagemap/)]);
      kernel.listener!({ pagesWanted: 2, freePages: 0 });
      await session.controller.whenIdle();
      expect(session.controller.stats.pagesFreed).toBe(2);
      await session.stop();
    });

    it('refuses a profiler I/O layer with the worker: it cannot cross threads', async () => {
      await expect(startWorker({ scanThread: 'worker', profiler: { pagemapPath, idleBitmapPath, io: nodeFileIo } })).rejects.toThrow(/cannot cross threads/);
    });
  });
});
