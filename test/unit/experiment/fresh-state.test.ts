import { describe, expect, it } from 'vitest';
import { recordRun, targetExecutor, type CellOutcome } from '../../../src/experiment/cell.js';
import { checkStartState, freeTolerance, FreshState, parseResetOutput, resetCommand, resetScript } from '../../../src/experiment/fresh-state.js';
import { planMatrix, type Cell } from '../../../src/experiment/matrix.js';
import type { RunScale } from '../../../src/experiment/preflight.js';
import type { ExecOutcome, Target } from '../../../src/experiment/target.js';

const MiB = 2 ** 20;
const outcome = (o: Partial<ExecOutcome>): ExecOutcome => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false, canceled: false, durationMs: 10, ...o });

/** What the reset script prints in a 2 GiB guest. */
const resetOutput = (o: { freeMiB: number; swapUsedMiB?: number; registered?: number[] | null; compacted?: boolean }): string =>
  [
    ...(o.compacted === false ? [] : ['@@balloon-reset compacted']),
    '@@balloon-reset meminfo',
    `MemTotal:        ${2048 * 1024} kB`,
    `MemFree:         ${o.freeMiB * 1024} kB`,
    `MemAvailable:    ${(o.freeMiB + 20) * 1024} kB`,
    `Cached:          ${12 * 1024} kB`,
    `SwapTotal:       ${4096 * 1024} kB`,
    `SwapFree:        ${(4096 - (o.swapUsedMiB ?? 0)) * 1024} kB`,
    // The file lists the registered tgids, one per line; no file, no section.
    ...(o.registered === null ? [] : ['@@balloon-reset registered', ...(o.registered ?? []).map(String)]),
  ].join('\n');

/** A target that answers the reset with the given outputs in turn, and runs with a result. */
function fakeTarget(resets: ExecOutcome[], asRoot = true): Target & { commands: string[] } {
  const commands: string[] = [];
  return {
    label: 'fake',
    spec: { kind: 'vm', instance: 'vm' },
    guestDir: '/opt/app-balloon',
    asRoot,
    commands,
    exec: async (command) => {
      commands.push(command);
      if (command.includes('/proc/sys/vm/drop_caches')) return resets.shift() ?? outcome({ exitCode: 1, stderr: 'no more resets scripted' });
      return outcome({ stdout: JSON.stringify({ workload: 'course', policy: 'kernel', integrity: { ok: true, badPages: 0 } }) });
    },
    prepare: async () => undefined,
  };
}

const noSleep = { sleep: async () => undefined, now: () => 0 };

describe('the guest\'s reset', () => {
  it('turns swap off and on, drops the caches, compacts, and prints the state', () => {
    const script = resetScript();
    expect(script).toMatch(/swapoff "\$dev".*swapon "\$dev"/);
    expect(script.indexOf('swapoff')).toBeLessThan(script.indexOf('drop_caches'));
    expect(script).toContain('echo 3 > /proc/sys/vm/drop_caches');
    expect(script).toContain('echo 1 > /proc/sys/vm/compact_memory');
    expect(script).toContain('cat /sys/kernel/mm/balloon/registered');
    expect(script).toMatch(/if \[ -e \/sys\/kernel\/mm\/balloon\/registered \]; then echo '@@balloon-reset registered'/);
    expect(resetCommand({ asRoot: true })).toBe(script);
    expect(resetCommand({ asRoot: false })).toMatch(/^sudo -n sh -c '/);
  });

  it('reads the state it printed', () => {
    expect(parseResetOutput(resetOutput({ freeMiB: 1800, swapUsedMiB: 3 }))).toEqual({
      memTotalBytes: 2048 * MiB, memFreeBytes: 1800 * MiB, memAvailableBytes: 1820 * MiB, cachedBytes: 12 * MiB,
      swapTotalBytes: 4096 * MiB, swapUsedBytes: 3 * MiB, balloonRegistered: 0, compacted: true,
    });
    expect(parseResetOutput(resetOutput({ freeMiB: 1800, registered: null, compacted: false }))).toMatchObject({ balloonRegistered: null, compacted: false });
    expect(() => parseResetOutput('swapoff: not found')).toThrow(/printed no MemTotal/);
  });

  it('accepts only the common starting state', () => {
    const r = (o: Parameters<typeof resetOutput>[0]) => parseResetOutput(resetOutput(o));
    expect(freeTolerance(2048 * MiB)).toBe(Math.round(2048 * MiB / 100));
    expect(freeTolerance(256 * MiB)).toBe(8 * MiB);
    expect(checkStartState(r({ freeMiB: 1800 }), null)).toBeNull();
    expect(checkStartState(r({ freeMiB: 1800 }), 1790 * MiB)).toBeNull();
    expect(checkStartState(r({ freeMiB: 1700 }), 1790 * MiB)).toBe('MemFree 1700.0 MiB is below the bound of 1790.0 MiB (the first run\'s MemFree less 20.5 MiB)');
    expect(checkStartState(r({ freeMiB: 1800, swapUsedMiB: 2 }), null)).toBe('2.0 MiB of swap still in use after swapoff/swapon');
    expect(checkStartState(r({ freeMiB: 1800, registered: [812, 9120] }), null)).toBe('2 process(es) still registered with the balloon');
  });
});

describe('every run from the same state', () => {
  it('sets the bound with the first run and holds later runs to it, retrying a guest that is still settling', async () => {
    const target = fakeTarget([
      outcome({ stdout: resetOutput({ freeMiB: 1800 }) }),
      outcome({ stdout: resetOutput({ freeMiB: 1700 }) }), // the last run's memory not yet given back
      outcome({ stdout: resetOutput({ freeMiB: 1795 }) }),
    ]);
    const fresh = new FreshState(target, noSleep);
    const first = await fresh.prepare();
    expect(first).toEqual({ state: expect.objectContaining({ memFreeBytes: 1800 * MiB, minFreeBytes: null, attempts: 1 }) });
    expect(fresh.bound).toBe(1800 * MiB - freeTolerance(2048 * MiB));
    const second = await fresh.prepare();
    expect(second).toEqual({ state: expect.objectContaining({ memFreeBytes: 1795 * MiB, minFreeBytes: fresh.bound, attempts: 2 }) });
  });

  it('gives up after the last try, saying why', async () => {
    const fresh = new FreshState(fakeTarget([
      outcome({ stdout: resetOutput({ freeMiB: 1800, swapUsedMiB: 5 }) }),
      outcome({ exitCode: 3, stderr: 'swapoff /dev/vdb failed' }),
      outcome({ stdout: resetOutput({ freeMiB: 1800, swapUsedMiB: 5 }) }),
    ]), noSleep);
    expect(await fresh.prepare()).toEqual({ error: 'not the common starting state after 3 resets: 5.0 MiB of swap still in use after swapoff/swapon' });
    expect(fresh.bound).toBeNull();
    const broken = new FreshState(fakeTarget([outcome({ exitCode: 3, stderr: 'swapoff /dev/vdb failed' })]), { ...noSleep, attempts: 1 });
    expect(await broken.prepare()).toEqual({ error: 'not the common starting state after 1 resets: the guest\'s reset failed (exit 3): swapoff /dev/vdb failed' });
  });

  it('resets before each run and records the state with it; a guest that cannot be reset fails the run unstarted', async () => {
    const matrix = planMatrix({ workloads: 'course', policies: 'kernel', size: '1M' });
    const scale: RunScale = { sizeBytes: MiB, pages: 256, thresholdBytes: 64 * MiB, thresholdSource: 'option', simulatedMemoryPages: 128 };
    const cell: Cell = { index: 0, workload: 'course', policy: 'kernel', rep: 1 };
    const target = fakeTarget([outcome({ stdout: resetOutput({ freeMiB: 1800 }) })], false);
    const execute = targetExecutor(target, matrix, scale, new FreshState(target, { ...noSleep, attempts: 1 }));
    const options = { timeoutMs: 1000, signal: new AbortController().signal };

    const ok = await execute(cell, options);
    expect(target.commands).toHaveLength(2);
    expect(target.commands[0]).toMatch(/^sudo -n sh -c '.*drop_caches/s);
    expect(target.commands[1]).toMatch(/^cd \/opt\/app-balloon && exec sudo -n timeout/);
    const record = recordRun(cell, 'c', new Date(0), ok, false);
    expect(record).toMatchObject({ status: 'ok', startState: { memFreeBytes: 1800 * MiB, swapUsedBytes: 0, attempts: 1 } });

    const refused: CellOutcome = await execute({ ...cell, index: 1, rep: 2 }, options);
    expect(target.commands).toHaveLength(3); // the reset only: the run did not start
    expect(recordRun(cell, 'c', new Date(0), refused, false)).toMatchObject({
      status: 'failed',
      failure: 'start-state',
      error: 'not the common starting state after 1 resets: the guest\'s reset failed (exit 1): no more resets scripted',
      startState: null,
    });
  });
});
