/** One cell of the matrix: its `balloon run` command line and what came back. */
import type { RunResult } from '../shared/run-result.js';
import type { Cell, ExperimentMatrix } from './matrix.js';
import type { RunScale } from './preflight.js';
import { shQuote, tail } from '../harness/exec.js';
import { FreshState, type StartState } from './fresh-state.js';
import type { ExecOptions, ExecOutcome, Target } from './target.js';

/** Grace after the guest's own `timeout` before ssh itself is stopped. */
export const SSH_GRACE_SECONDS = 30;

export type RunStatus = 'ok' | 'failed';
/** start-state: the guest could not be brought back to the common starting state, so the run did not start. */
export type FailureKind = 'crash' | 'timeout' | 'bad-output' | 'integrity' | 'interrupted' | 'start-state';

/** Everything known about one run; runs.json holds one per cell. */
export interface RunRecord {
  index: number;
  workload: string;
  policy: string;
  rep: number;
  status: RunStatus;
  failure: FailureKind | null;
  /** One line: why it failed. */
  error: string | null;
  exitCode: number | null;
  startedAt: string;
  durationMs: number;
  command: string;
  /** Last lines of the run's stderr (its log), kept for every run. */
  stderrTail: string;
  /** The guest's state when the run started (fresh-state.ts); null when unknown (an injected executor, old results). */
  startState: StartState | null;
  /** After a crash: the last lines of the guest kernel's log (why the run died: an OOM kill, a segfault, a hung task), or why it could not be read; null otherwise. */
  guestLogTail?: string | null;
  result: RunResult | null;
}

/** What came back from a cell: the command's end, and the state the guest was brought to first. */
export interface CellOutcome extends ExecOutcome {
  startState?: StartState;
  /** Why the guest was not brought to the starting state (the run did not start). */
  startStateError?: string;
  /** After a crash: the tail of the guest kernel's log, or why it could not be read. */
  guestLog?: string;
}

/** Lines of the guest kernel's log kept after a crash. */
export const GUEST_LOG_LINES = 40;

/** Whether an outcome is a crash: the command ended by itself, unsuccessfully. */
function crashed(outcome: ExecOutcome): boolean {
  return !outcome.timedOut && !outcome.canceled && outcome.exitCode !== 0 && outcome.exitCode !== 124 && outcome.exitCode !== 137;
}

/** The guest command that prints the tail of its kernel log. */
export function guestLogCommand(target: Pick<Target, 'asRoot'>, lines = GUEST_LOG_LINES): string {
  return `${target.asRoot ? '' : 'sudo -n '}dmesg --ctime 2>/dev/null | tail -n ${lines}`;
}

/** The kernel's lines that say why a process died, the last one first looked for. */
const DEATH_LINE = /Out of memory|Killed process|oom-kill|segfault|general protection|BUG:|Oops|blocked for more than|page allocation failure/;

/** The line of a guest log that best says why a run died, or null. */
export function causeLine(log: string): string | null {
  const lines = log.split('\n').filter((l) => DEATH_LINE.test(l));
  const killed = lines.filter((l) => /Killed process/.test(l)).pop();
  const line = killed ?? lines.pop();
  return line === undefined ? null : line.replace(/^\[[^\]]*\]\s*/, '').trim();
}

/** Runs one cell; tests inject a fake. */
export type CellExecutor = (cell: Cell, options: Required<ExecOptions>) => Promise<CellOutcome>;

/** The `balloon run` arguments of a cell (sizes fixed at preflight). */
export function runArgs(cell: Cell, matrix: ExperimentMatrix, scale: RunScale): string[] {
  const args = ['run', '--workload', cell.workload, '--policy', cell.policy, '--size', String(scale.sizeBytes), '--seed', String(matrix.seed)];
  if (matrix.thresholdBytes !== null) args.push('--threshold', String(matrix.thresholdBytes));
  if (matrix.passes !== null) args.push('--passes', String(matrix.passes));
  if (matrix.sampleMs !== null) args.push('--sample-ms', String(matrix.sampleMs));
  args.push('--json');
  return args;
}

/**
 * The guest command, bounded by the guest's own `timeout`, so that it ends
 * even when the ssh connection is gone (Ctrl-C on the host). The guest is
 * reset before it, by a command of its own (fresh-state.ts).
 */
export function guestCommand(target: Pick<Target, 'guestDir' | 'asRoot'>, args: readonly string[], timeoutSeconds: number): string {
  const sudo = target.asRoot ? '' : 'sudo -n ';
  return `cd ${shQuote(target.guestDir)} && exec ${sudo}timeout --kill-after=10 ${timeoutSeconds} node bin/balloon.js ${args.map(shQuote).join(' ')}`;
}

/** Each cell: the guest brought to the common starting state, then `balloon run`. */
export function targetExecutor(target: Target, matrix: ExperimentMatrix, scale: RunScale, fresh: FreshState = new FreshState(target)): CellExecutor {
  return async (cell, options) => {
    const start = await fresh.prepare(options);
    if ('error' in start) return { exitCode: null, stdout: '', stderr: '', timedOut: false, canceled: options.signal.aborted, durationMs: 0, startStateError: start.error };
    const outcome = await target.exec(guestCommand(target, runArgs(cell, matrix, scale), matrix.timeoutSeconds), options);
    if (!crashed(outcome)) return { ...outcome, startState: start.state };
    // Why did it die? The guest's kernel log says it when the process was killed (or ssh with it).
    const log = await target.exec(guestLogCommand(target), { ...options, timeoutMs: 30_000 });
    const guestLog = log.exitCode === 0 ? log.stdout : `the guest's log could not be read (${log.timedOut ? 'timed out' : `exit ${log.exitCode}`}): ${tail(log.stderr, 2).trim()}`;
    return { ...outcome, startState: start.state, guestLog };
  };
}

export function tailLines(text: string, lines = 20, maxChars = 4000): string {
  const t = tail(text, lines);
  return t.length > maxChars ? t.slice(-maxChars) : t;
}

/** The JSON object balloon run printed (the whole stdout, or its last line starting with "{"). */
export function parseRunOutput(stdout: string): RunResult | null {
  const text = stdout.trim();
  const tryParse = (s: string): RunResult | null => {
    try {
      const v: unknown = JSON.parse(s);
      return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as RunResult).workload === 'string' ? (v as RunResult) : null;
    } catch {
      return null;
    }
  };
  const whole = tryParse(text);
  if (whole !== null) return whole;
  const start = text.search(/^\{/m);
  return start >= 0 ? tryParse(text.slice(start)) : null;
}

/** Classifies what came back from a cell into a run record. */
export function recordRun(cell: Cell, command: string, startedAt: Date, outcome: CellOutcome, interrupted: boolean): RunRecord {
  const base = {
    index: cell.index,
    workload: cell.workload,
    policy: cell.policy,
    rep: cell.rep,
    exitCode: outcome.exitCode,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(outcome.durationMs),
    command,
    stderrTail: tailLines(outcome.stderr),
    startState: outcome.startState ?? null,
    guestLogTail: outcome.guestLog === undefined ? null : tailLines(outcome.guestLog, GUEST_LOG_LINES, 8000),
  };
  const failed = (failure: FailureKind, error: string, result: RunResult | null = null): RunRecord => ({ ...base, status: 'failed', failure, error, result });
  const lastErr = outcome.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  if (interrupted || outcome.canceled) return failed('interrupted', 'interrupted (SIGINT)');
  if (outcome.startStateError !== undefined) return failed('start-state', outcome.startStateError);
  // 124/137: the guest's `timeout` stopped the run (137: with SIGKILL after the grace).
  if (outcome.timedOut || outcome.exitCode === 124 || outcome.exitCode === 137) return failed('timeout', `timed out after ${Math.round(outcome.durationMs / 1000)} s`);
  const result = parseRunOutput(outcome.stdout);
  if (result !== null && result.integrity !== undefined && !result.integrity.ok) {
    return failed('integrity', `integrity check failed: ${result.integrity.badPages} bad pages`, result);
  }
  if (outcome.exitCode !== 0) {
    const why = outcome.exitCode === 255 ? 'ssh failed' : outcome.exitCode === null ? 'killed' : `exit ${outcome.exitCode}`;
    const cause = outcome.guestLog === undefined ? null : causeLine(outcome.guestLog);
    return failed('crash', `${why}${lastErr ? `: ${lastErr.slice(0, 300)}` : ''}${cause === null ? '' : `; guest kernel: ${cause.slice(0, 200)}`}`, result);
  }
  if (result === null) return failed('bad-output', `no JSON result on stdout${outcome.stdout.trim() ? `: ${outcome.stdout.trim().slice(0, 120)}` : ' (empty)'}`);
  return { ...base, status: 'ok', failure: null, error: null, result };
}
