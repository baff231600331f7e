import { describe, expect, it } from 'vitest';
import { causeLine, guestLogCommand, recordRun, targetExecutor } from '../../../src/experiment/cell.js';
import { FreshState } from '../../../src/experiment/fresh-state.js';
import { planMatrix, type Cell } from '../../../src/experiment/matrix.js';
import type { RunScale } from '../../../src/experiment/preflight.js';
import type { ExecOutcome, Target } from '../../../src/experiment/target.js';

const MiB = 2 ** 20;
const outcome = (o: Partial<ExecOutcome>): ExecOutcome => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false, canceled: false, durationMs: 10, ...o });

const OOM_LOG = [
  '[Tue Dec  1 10:00:00 2026] node invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0',
  '[Tue Dec  1 10:00:00 2026] Out of memory: Killed process 812 (node) total-vm:1843212kB, anon-rss:601232kB, file-rss:0kB',
  '[Tue Dec  1 10:00:01 2026] oom_reaper: reaped process 812 (node), now anon-rss:0kB',
].join('\n');

/** A guest whose reset succeeds, whose run ends as `run` says, and whose kernel log reads as `log` says. */
function crashingTarget(run: ExecOutcome, log: ExecOutcome): Target & { commands: string[] } {
  const commands: string[] = [];
  const reset = ['@@balloon-reset compacted', '@@balloon-reset meminfo', `MemTotal: ${2048 * 1024} kB`, `MemFree: ${1800 * 1024} kB`, `MemAvailable: ${1820 * 1024} kB`, `Cached: 1024 kB`, `SwapTotal: ${4096 * 1024} kB`, `SwapFree: ${4096 * 1024} kB`].join('\n');
  return {
    label: 'fake',
    spec: { kind: 'vm', instance: 'vm' },
    guestDir: '/opt/app-balloon',
    asRoot: false,
    commands,
    exec: async (command) => {
      commands.push(command);
      if (command.includes('drop_caches')) return outcome({ stdout: reset });
      if (command.includes('dmesg')) return log;
      return run;
    },
    prepare: async () => undefined,
  };
}

describe('a run that crashes in the guest', () => {
  const matrix = planMatrix({ workloads: 'course', policies: 'balloon', size: '1M' });
  const scale: RunScale = { sizeBytes: MiB, pages: 256, thresholdBytes: 64 * MiB, thresholdSource: 'option', simulatedMemoryPages: 128 };
  const cell: Cell = { index: 0, workload: 'course', policy: 'balloon', rep: 1 };
  const options = { timeoutMs: 1000, signal: new AbortController().signal };
  const execute = (target: Target) => targetExecutor(target, matrix, scale, new FreshState(target, { sleep: async () => undefined, now: () => 0, attempts: 1 }));

  it('keeps the tail of the guest kernel\'s log and names the kill in its error line', async () => {
    const target = crashingTarget(outcome({ exitCode: 255, stderr: 'Connection to 127.0.0.1 closed by remote host.' }), outcome({ stdout: OOM_LOG }));
    const record = recordRun(cell, 'c', new Date(0), await execute(target)(cell, options), false);
    expect(target.commands[2]).toBe('sudo -n dmesg --ctime 2>/dev/null | tail -n 40');
    expect(record).toMatchObject({ status: 'failed', failure: 'crash', guestLogTail: OOM_LOG });
    expect(record.error).toBe(
      'ssh failed: Connection to 127.0.0.1 closed by remote host.; guest kernel: Out of memory: Killed process 812 (node) total-vm:1843212kB, anon-rss:601232kB, file-rss:0kB',
    );
  });

  it('says why the log could not be read when the guest is gone, and keeps the crash as it was', async () => {
    const target = crashingTarget(outcome({ exitCode: 255 }), outcome({ exitCode: 255, stderr: 'ssh: connect to host 127.0.0.1 port 2222: Connection refused' }));
    const record = recordRun(cell, 'c', new Date(0), await execute(target)(cell, options), false);
    expect(record.error).toBe('ssh failed');
    expect(record.guestLogTail).toBe("the guest's log could not be read (exit 255): ssh: connect to host 127.0.0.1 port 2222: Connection refused");
  });

  it('reads no log after a run that ended well or timed out', async () => {
    for (const run of [outcome({ stdout: JSON.stringify({ workload: 'course', policy: 'balloon' }) }), outcome({ exitCode: 124 }), outcome({ timedOut: true, exitCode: null })]) {
      const target = crashingTarget(run, outcome({ stdout: OOM_LOG }));
      const record = recordRun(cell, 'c', new Date(0), await execute(target)(cell, options), false);
      expect(target.commands.some((c) => c.includes('dmesg'))).toBe(false);
      expect(record.guestLogTail).toBeNull();
    }
  });

  it('picks the kill, else the last line that says why, else nothing', () => {
    expect(causeLine(OOM_LOG)).toBe('Out of memory: Killed process 812 (node) total-vm:1843212kB, anon-rss:601232kB, file-rss:0kB');
    expect(causeLine('[  12.5] node[812]: segfault at 0 ip 0000 sp 0000 error 4 in node[400000+1000]\n[  13.0] eth0: link up')).toBe(
      'node[812]: segfault at 0 ip 0000 sp 0000 error 4 in node[400000+1000]',
    );
    expect(causeLine('[  1.0] eth0: link up\n')).toBeNull();
    expect(guestLogCommand({ asRoot: true }, 5)).toBe('dmesg --ctime 2>/dev/null | tail -n 5');
  });
});
