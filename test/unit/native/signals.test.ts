import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  balloonConstants,
  balloonSignalCount,
  balloonSignalStats,
  onBalloonSignal,
  removeAllBalloonSignalListeners,
  settleBalloonSignals,
  sigballoon,
  type BalloonSignal,
} from '../../../src/kernel/index.js';
import { addon } from '../../../src/kernel/addon.js';
import {
  currentThreadId,
  raiseBalloonSignal,
  raiseBalloonSignalOnThread,
  raiseBalloonSignalsFromNativeThread,
  setSignalDisposition,
  signalDisposition,
} from '../../../src/kernel/testing.js';
import { startFixtureWorker, type FixtureWorker } from './fixtures/workers.js';

const workers: FixtureWorker[] = [];
afterEach(async () => {
  removeAllBalloonSignalListeners();
  for (const w of workers.splice(0)) await w.close();
});

/** Resolves once `events` holds `n` entries (polling the event loop, not blocking it). */
async function waitFor(events: unknown[], n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (events.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out with ${events.length}/${n} events`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('SIGBALLOON delivery', { timeout: 30_000 }, () => {
  it('is a real-time signal, so signals queue instead of coalescing', () => {
    // SIGRTMIN..SIGRTMAX (34..64 with glibc) queue every instance; this is why the
    // tests below can expect exactly one event per signal sent.
    expect(sigballoon()).toBeGreaterThanOrEqual(34);
    expect(sigballoon()).toBeLessThanOrEqual(64);
    if (addon().haveUapiHeader) expect(sigballoon()).toBe(balloonConstants().SIGBALLOON);
  });

  it('delivers every signal with its payload while the main thread is busy in a tight loop', async () => {
    const N = 500;
    const header = addon().haveUapiHeader;
    // With the header the payload is encoded as the kernel does (BALLOON_SIGVAL);
    // without it only the raw si_value travels.
    const payload = (i: number) => (header ? { pages: i, freePages: 100_000 + i } : { value: BigInt(i) });
    const events: BalloonSignal[] = [];
    const off = onBalloonSignal((ev) => events.push(ev));
    const before = balloonSignalCount();
    const start = Date.now();
    for (let i = 0; i < N; i++) raiseBalloonSignal(payload(i));
    while (Date.now() - start < 100) {
      // busy: the event loop cannot run, so no listener can either
    }
    expect(events.length).toBe(0); // JavaScript never ran inside the signal handler
    expect(balloonSignalCount() - before).toBe(N); // ... but the handler ran N times
    await waitFor(events, N);
    expect(events.length).toBe(N);
    events.forEach((ev, i) => {
      expect(ev.signo).toBe(sigballoon());
      expect(ev.pid).toBe(process.pid);
      expect(ev.code).toBe(-1); // SI_QUEUE: sent by a process, not the kernel
      if (header) {
        expect(ev.pages).toBe(i);
        expect(ev.freePages).toBe(100_000 + i);
        expect(ev.value).toBe((BigInt(100_000 + i) << 32n) | BigInt(i));
        expect(ev.fromKernel).toBe(false);
      } else {
        expect(ev.value).toBe(BigInt(i));
        expect(ev.pages).toBeUndefined();
      }
    });
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: N }, (_, i) => seqs[0]! + i));
    expect(balloonSignalStats().dropped).toBe(0);
    off();
  });

  it('decodes an exact imitation of a kernel request (si_code BALLOON_SI_CODE)', async () => {
    const c = balloonConstants();
    const events: BalloonSignal[] = [];
    onBalloonSignal((ev) => events.push(ev));
    if (!addon().haveUapiHeader) {
      // Without the header the addon cannot encode (or decode) the payload.
      expect(() => raiseBalloonSignal({ pages: 1, freePages: 2 })).toThrow(RangeError);
      return;
    }
    raiseBalloonSignal({ code: c.BALLOON_SI_CODE!, pages: 2 ** 40, freePages: 12345 });
    await waitFor(events, 1);
    expect(events[0]).toMatchObject({
      signo: c.SIGBALLOON,
      code: 0x42,
      fromKernel: true,
      pid: 0,
      uid: 0,
      pages: 0xffffffff, // saturates at 32 bits, as the kernel's BALLOON_SIGVAL does
      freePages: 12345,
    });
  });

  it('handles signals on a native thread that runs no JavaScript', async () => {
    const events: BalloonSignal[] = [];
    onBalloonSignal((ev) => events.push(ev));
    const tid = raiseBalloonSignalsFromNativeThread(300, { value: 1000n });
    expect(tid).not.toBe(currentThreadId());
    await waitFor(events, 300);
    expect(events.every((e) => e.tid === tid)).toBe(true);
    expect(events.map((e) => e.value)).toEqual(Array.from({ length: 300 }, (_, i) => 1000n + BigInt(i)));
  });

  it('handles signals directed at a worker thread and delivers them to the main thread listener', async () => {
    const events: BalloonSignal[] = [];
    onBalloonSignal((ev) => events.push(ev));
    const w = startFixtureWorker('signal-worker.ts');
    workers.push(w);
    const { tid } = await w.request<{ tid: number }>({ op: 'raise-self', count: 200, base: 5000n });
    expect(tid).not.toBe(currentThreadId());
    await waitFor(events, 200);
    expect(events.every((e) => e.tid === tid)).toBe(true);
    expect(events.map((e) => e.value)).toEqual(Array.from({ length: 200 }, (_, i) => 5000n + BigInt(i)));
  });

  it('settles: every signal the handler took reaches the listener before the listener is removed', async () => {
    // What the agent does after unregistering: without the wait, signals the handler took
    // just before would still be on their way and get lost when the listener goes.
    const events: BalloonSignal[] = [];
    const off = onBalloonSignal((ev) => events.push(ev));
    raiseBalloonSignalsFromNativeThread(200, { value: 1n });
    await settleBalloonSignals();
    off();
    expect(events).toHaveLength(200);
    await settleBalloonSignals(); // nothing installed: returns at once
  });

  it('handles a signal directed at the main thread', async () => {
    const events: BalloonSignal[] = [];
    onBalloonSignal((ev) => events.push(ev));
    raiseBalloonSignalOnThread({ value: 7n });
    await waitFor(events, 1);
    expect(events[0]).toMatchObject({ value: 7n, tid: currentThreadId(), pid: process.pid });
  });

  it('timestamps each signal in the handler on the process.hrtime clock', async () => {
    const events: BalloonSignal[] = [];
    onBalloonSignal((ev) => events.push(ev));
    const t0 = process.hrtime.bigint();
    raiseBalloonSignal({ value: 1n });
    const t1 = process.hrtime.bigint();
    await waitFor(events, 1);
    expect(events[0]!.timestampNs).toBeGreaterThanOrEqual(t0);
    expect(events[0]!.timestampNs).toBeLessThanOrEqual(t1);
  });

  it('fans out to several listeners and keeps one installation until the last goes', async () => {
    const a: BalloonSignal[] = [];
    const b: BalloonSignal[] = [];
    const offA = onBalloonSignal((ev) => a.push(ev));
    const offB = onBalloonSignal((ev) => b.push(ev));
    raiseBalloonSignal({ value: 1n });
    await waitFor(b, 1);
    expect(a.length).toBe(1);
    offA();
    raiseBalloonSignal({ value: 2n });
    await waitFor(b, 2);
    expect(a.length).toBe(1);
    expect(balloonSignalStats().installed).toBe(true);
    offB();
    expect(balloonSignalStats().installed).toBe(false);
    offB(); // harmless twice
  });

  it('installing twice is harmless and uninstalling restores the previous disposition', async () => {
    const sig = sigballoon();
    expect(signalDisposition(sig)).toBe('default');
    const native = addon();
    const events: unknown[] = [];
    expect(native.signalInstall((evs) => events.push(...evs))).toBe(true);
    expect(native.signalInstall(() => {})).toBe(false); // second install: no-op
    expect(signalDisposition(sig)).toBe('handler');
    raiseBalloonSignal({ value: 3n });
    await waitFor(events, 1);
    expect(native.signalUninstall()).toBe(true);
    expect(native.signalUninstall()).toBe(false);
    expect(signalDisposition(sig)).toBe('default');

    setSignalDisposition(sig, 'ignore');
    try {
      const off = onBalloonSignal(() => {});
      expect(signalDisposition(sig)).toBe('handler');
      off();
      expect(signalDisposition(sig)).toBe('ignore');
      raiseBalloonSignal({ value: 4n }); // ignored: neither delivered nor fatal
      expect(balloonSignalStats().installed).toBe(false);
    } finally {
      setSignalDisposition(sig, 'default');
    }
  });

  it('refuses a second listening thread with EBUSY', async () => {
    onBalloonSignal(() => {});
    const w = startFixtureWorker('signal-worker.ts');
    workers.push(w);
    await expect(w.request({ op: 'listen' })).rejects.toMatchObject({ code: 'EBUSY' });
    removeAllBalloonSignalListeners();
    await expect(w.request({ op: 'listen' })).resolves.toEqual({}); // free again
  });

  it('can listen in a worker; terminating the worker restores the disposition', async () => {
    const w = startFixtureWorker('signal-worker.ts');
    const got = w.request<{ values: bigint[] }>({ op: 'own', expect: 50 });
    const deadline = Date.now() + 10_000;
    while (!balloonSignalStats().installed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(balloonSignalStats()).toMatchObject({ installed: true, ownedByThisThread: false });
    expect(() => onBalloonSignal(() => {})).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    for (let i = 0; i < 50; i++) raiseBalloonSignal({ value: BigInt(i) }); // lands on this (main) thread
    expect((await got).values).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));
    expect(signalDisposition(sigballoon())).toBe('handler');
    await w.close(); // no unsubscribe: the environment cleanup must do it
    expect(signalDisposition(sigballoon())).toBe('default');
    expect(balloonSignalStats().installed).toBe(false);
    const events: BalloonSignal[] = [];
    onBalloonSignal((ev) => events.push(ev));
    raiseBalloonSignal({ value: 99n });
    await waitFor(events, 1);
    expect(events[0]!.value).toBe(99n);
  });

  it('lets the process exit by itself, and via process.exit, with a listener installed; listener errors surface', () => {
    const fixture = fileURLToPath(new URL('./fixtures/exit-with-listener.ts', import.meta.url));
    const run = (mode: string) => {
      const started = Date.now();
      const child = spawnSync(process.execPath, ['--import', 'tsx', fixture, mode], { encoding: 'utf8', timeout: 30_000 });
      return { ...child, ms: Date.now() - started };
    };
    for (const mode of ['wait', 'exit', 'keepalive']) {
      const child = run(mode);
      expect(child.stderr).toBe('');
      expect(child.stdout).toBe('got 42\n');
      expect(child.status).toBe(0); // 3 would mean the listener kept the process alive
      expect(child.signal).toBeNull();
      expect(child.ms).toBeLessThan(15_000);
    }
    const throwing = run('throw');
    expect(throwing.stdout).toBe('second got 42\n');
    expect(throwing.stderr).toContain('boom from a listener');
    expect(throwing.status).toBe(1); // an uncaught exception, not an abort
    expect(throwing.signal).toBeNull();
    const pending = run('pending');
    expect(pending.stderr).toBe('');
    expect(['', 'got 42\n']).toContain(pending.stdout);
    expect(pending.status).toBe(0);
    expect(pending.signal).toBeNull();
  }, 120_000); // four child processes, each starting tsx

  it('rejects bad listener arguments', () => {
    expect(() => onBalloonSignal('nope' as unknown as () => void)).toThrow(TypeError);
    expect(() => onBalloonSignal(() => {}, { signal: 0 })).toThrow(RangeError);
    expect(() => onBalloonSignal(() => {}, { signal: 1.5 })).toThrow(RangeError);
    expect(() => addon().signalInstall(42 as unknown as () => void)).toThrow(TypeError);
    expect(() => addon().signalInstall(() => {}, 9)).toThrow(RangeError); // SIGKILL
    expect(() => raiseBalloonSignal({ value: 1 as unknown as bigint })).toThrow(TypeError);
    expect(() => addon().testing!.raise({ value: 1n, pages: 1 })).toThrow(TypeError);
    expect(balloonSignalStats().installed).toBe(false);
  });
});
