/** One cell of the matrix: its `balloon run` command line and what came back. */
import type { RunResult } from '../shared/run-result.js';
import type { Cell, ExperimentMatrix } from './matrix.js';
import type { RunScale } from './preflight.js';
import { shQuote, tail } from '../harness/exec.js';
import type { ExecOptions, ExecOutcome, Target } from './target.js';

/** Grace after the guest's own `timeout` before ssh itself is stopped. */
export const SSH_GRACE_SECONDS = 30;

export type RunStatus = 'ok' | 'failed';
export type FailureKind = 'crash' | 'timeout' | 'bad-output' | 'integrity' | 'interrupted';

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
  result: RunResult | null;
}

/** Runs one cell; tests inject a fake. */
export type CellExecutor = (cell: Cell, options: Required<ExecOptions>) => Promise<ExecOutcome>;

/** The `balloon run` arguments of a cell (sizes fixed at preflight). */
export function runArgs(cell: Cell, matrix: ExperimentMatrix, scale: RunScale): string[] {
  const args = ['run', '--workload', cell.workload, '--policy', cell.policy, '--size', String(scale.sizeBytes), '--seed', String(matrix.seed)];
  if (matrix.thresholdBytes !== null) args.push('--threshold', String(matrix.thresholdBytes));
  if (matrix.passes !== null) args.push('--passes', String(matrix.passes));
  if (matrix.sampleMs !== null) args.push('--sample-ms', String(matrix.sampleMs));
  args.push('--json');
  return args;
}

/** Drops clean page cache before each run, so that every run starts from the same cache state. */
export const DROP_CACHES = 'sync; echo 3 > /proc/sys/vm/drop_caches';

/**
 * The guest command: the page cache is dropped first (runs follow one another
 * in one guest), and the run is bounded by the guest's own `timeout`, so that
 * it ends even when the ssh connection is gone (Ctrl-C on the host).
 */
export function guestCommand(target: Pick<Target, 'guestDir' | 'asRoot'>, args: readonly string[], timeoutSeconds: number): string {
  const sudo = target.asRoot ? '' : 'sudo -n ';
  const drop = target.asRoot ? `${DROP_CACHES};` : `sudo -n sh -c ${shQuote(DROP_CACHES)};`;
  return `${drop} cd ${shQuote(target.guestDir)} && exec ${sudo}timeout --kill-after=10 ${timeoutSeconds} node bin/balloon.js ${args.map(shQuote).join(' ')}`;
}

export function targetExecutor(target: Target, matrix: ExperimentMatrix, scale: RunScale): CellExecutor {
  return (cell, options) => target.exec(guestCommand(target, runArgs(cell, matrix, scale), matrix.timeoutSeconds), options);
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
export function recordRun(cell: Cell, command: string, startedAt: Date, outcome: ExecOutcome, interrupted: boolean): RunRecord {
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
  };
  const failed = (failure: FailureKind, error: string, result: RunResult | null = null): RunRecord => ({ ...base, status: 'failed', failure, error, result });
  const lastErr = outcome.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? '';
  if (interrupted || outcome.canceled) return failed('interrupted', 'interrupted (SIGINT)');
  // 124/137: the guest's `timeout` stopped the run (137: with SIGKILL after the grace).
  if (outcome.timedOut || outcome.exitCode === 124 || outcome.exitCode === 137) return failed('timeout', `timed out after ${Math.round(outcome.durationMs / 1000)} s`);
  const result = parseRunOutput(outcome.stdout);
  if (result !== null && result.integrity !== undefined && !result.integrity.ok) {
    return failed('integrity', `integrity check failed: ${result.integrity.badPages} bad pages`, result);
  }
  if (outcome.exitCode !== 0) {
    const why = outcome.exitCode === 255 ? 'ssh failed' : outcome.exitCode === null ? 'killed' : `exit ${outcome.exitCode}`;
    return failed('crash', `${why}${lastErr ? `: ${lastErr.slice(0, 300)}` : ''}`, result);
  }
  if (result === null) return failed('bad-output', `no JSON result on stdout${outcome.stdout.trim() ? `: ${outcome.stdout.trim().slice(0, 120)}` : ' (empty)'}`);
  return { ...base, status: 'ok', failure: null, error: null, result };
}
