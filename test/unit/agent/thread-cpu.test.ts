import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { parseSchedstatMs, parseStatCpuMs, threadCpuClock } from '../../../src/agent/thread-cpu.js';
import { StageTimer, timedPolicy } from '../../../src/agent/stage-timer.js';
import type { EvictionPolicy } from '../../../src/agent/policies/policy.js';
import { FifoPolicy } from '../../../src/agent/policies/fifo.js';
import { AccessHistory } from '../../../src/agent/access-history.js';

// A real /proc/<pid>/task/<tid>/stat line; the command name holds a space and a parenthesis.
const STAT = '27579 (node (x) y) R 27565 27565 26193 0 -1 4194304 2694 0 5 0 368 17 0 0 20 0 7 0 1124921 948613120 11514 18446744073709551615';

describe('thread CPU clock', () => {
  it('parses schedstat (ns on CPU) and stat (utime + stime in 10 ms ticks)', () => {
    expect(parseSchedstatMs('3705435136 3670674 22\n')).toBe(3705.435136);
    expect(parseSchedstatMs('')).toBeNull();
    expect(parseSchedstatMs('x 1 2')).toBeNull();
    expect(parseStatCpuMs(STAT)).toBe((368 + 17) * 10);
    expect(parseStatCpuMs('27579 node R')).toBeNull();
    expect(parseStatCpuMs('27579 (node) R 1 2')).toBeNull();
  });

  it('prefers schedstat, falls back to stat when the kernel keeps no schedstat (0 ns), and is null without either', () => {
    const files = (map: Record<string, string>) => (path: string): string => {
      const text = map[path.slice(path.lastIndexOf('/') + 1)];
      if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      return text;
    };
    const precise = threadCpuClock({ dir: '/t', read: files({ schedstat: '2500000 0 1', stat: STAT }) })!;
    expect([precise.source, precise.now()]).toEqual(['schedstat', 2.5]);
    const ticks = threadCpuClock({ dir: '/t', read: files({ schedstat: '0 0 0', stat: STAT }) })!;
    expect([ticks.source, ticks.now()]).toEqual(['stat', 3850]);
    expect(threadCpuClock({ dir: '/t', read: files({ stat: STAT }) })!.source).toBe('stat');
    expect(threadCpuClock({ dir: '/t', read: files({}) })).toBeNull();
  });

  it('on this machine counts this thread\'s CPU, not the wall time it waits nor other threads\' CPU', async () => {
    const clock = threadCpuClock();
    expect(clock, '/proc/thread-self').not.toBeNull();
    // Busy until the process used 300 ms of CPU (however loaded the machine): this thread did nearly
    // all of it (V8's compiler and GC threads count in process.cpuUsage too: long enough a loop that
    // their share stays small).
    const cpu = (): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const [c0, p0] = [clock!.now(), cpu()];
    while (cpu() - p0 < 300);
    const c1 = clock!.now();
    // Then wait while another thread of the process burns 300 ms of CPU (and at least 300 ms of wall
    // time go by): a clock of wall time or of the process's CPU would advance by as much. This thread still does a little on its own
    // meanwhile (the test runner's messages, the garbage collection the loop above left: up to
    // 17 ms was seen on a loaded 2-core machine), so the bound is a share of the wait.
    const [w0, p1] = [performance.now(), cpu()];
    const busy = new Worker('const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }; const p = cpu(); while (cpu() - p < 300);', { eval: true });
    await new Promise((resolve, reject) => busy.once('exit', resolve).once('error', reject));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 300 - (performance.now() - w0))));
    const [c2, waited, others] = [clock!.now(), performance.now() - w0, cpu() - p1];
    // The stat fallback counts in 10 ms ticks.
    expect(c1 - c0).toBeGreaterThanOrEqual(clock!.source === 'stat' ? 200 : 210);
    expect(c1 - c0).toBeLessThanOrEqual(cpu() - p0 + 10);
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(c2 - c1, `${others.toFixed(1)} ms of process CPU in ${waited.toFixed(0)} ms`).toBeLessThan(Math.min(waited, others) / 4);
  });
});

describe('StageTimer', () => {
  it('adds each call\'s wall and CPU time, also when the call throws', () => {
    let [wall, cpu] = [0, 0];
    const timer = new StageTimer(() => (wall += 4), () => (cpu += 1));
    expect(timer.time(() => 42)).toBe(42);
    expect(() => timer.time(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(timer.total).toEqual({ count: 2, wallMs: 8, cpuMs: 2 });
    expect(new StageTimer(() => 0, null).total).toEqual({ count: 0, wallMs: 0, cpuMs: null });
  });

  it('timedPolicy selects as the policy does, timed', () => {
    const history = new AccessHistory(8);
    for (let p = 0; p < 8; p++) history.markLoaded(p);
    let wall = 0;
    const timer = new StageTimer(() => (wall += 1), null);
    const fifo = new FifoPolicy();
    const timed = timedPolicy(fifo, timer);
    expect(timed.name).toBe(fifo.name);
    expect(timed.selectVictims(history, 3)).toEqual(fifo.selectVictims(history, 3));
    expect(timer.total).toEqual({ count: 1, wallMs: 1, cpuMs: null });
  });

  it('timedPolicy keeps restore and reserve: the controller gives back through it what it chose and did not send', () => {
    const history = new AccessHistory(8);
    for (let p = 0; p < 8; p++) history.markLoaded(p);
    const calls: string[] = [];
    const policy: EvictionPolicy = {
      name: 'spy',
      selectVictims: () => (calls.push('select'), []),
      restore: (_state, ranges) => void calls.push(`restore ${ranges.length}`),
      reserve: (pages) => (calls.push(`reserve ${pages}`), []),
    };
    const timer = new StageTimer(() => 0, null);
    const timed = timedPolicy(policy, timer);
    timed.restore!(history, [{ first: 0, count: 1 }]);
    timed.reserve!(8);
    expect(calls).toEqual(['restore 1', 'reserve 8']);
    expect(timer.total.count).toBe(0);
    expect(timedPolicy(new FifoPolicy(), timer).restore).toBeUndefined();
  });
});
