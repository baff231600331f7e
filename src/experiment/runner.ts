/**
 * Runs the cells one after the other. A crash, a timeout or output that is
 * not a result is recorded as a failed run and the matrix goes on; an abort
 * (SIGINT) stops it after recording the run in progress as interrupted.
 */
import { recordRun, type CellExecutor, type CellOutcome, type RunRecord } from './cell.js';
import type { Cell } from './matrix.js';

export interface RunnerHooks {
  start?(cell: Cell): void;
  finish?(record: RunRecord): void;
}

export interface RunMatrixOptions {
  cells: readonly Cell[];
  execute: CellExecutor;
  /** The command line recorded with each run. */
  describe: (cell: Cell) => string;
  /** Per-run timeout handed to the executor (which should enforce it). */
  timeoutMs: number;
  /** Extra time after timeoutMs before the runner gives up on the executor itself. */
  graceMs?: number;
  /** Stops the matrix: the run in progress is cancelled and recorded as interrupted. */
  signal?: AbortSignal;
  /** Called with every record as soon as it exists (the writers). */
  onRecord: (record: RunRecord) => Promise<void>;
  hooks?: RunnerHooks;
  now?: () => number;
}

export interface MatrixOutcome {
  records: RunRecord[];
  interrupted: boolean;
}

export async function runMatrix(o: RunMatrixOptions): Promise<MatrixOutcome> {
  const now = o.now ?? Date.now;
  const signal = o.signal ?? new AbortController().signal;
  const records: RunRecord[] = [];
  for (const cell of o.cells) {
    if (signal.aborted) break;
    o.hooks?.start?.(cell);
    const startedAt = now();
    const cellAbort = new AbortController();
    let timedOut = false;
    const onAbort = (): void => cellAbort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      cellAbort.abort(new Error('run timed out'));
    }, o.timeoutMs + (o.graceMs ?? 0));
    // If the executor does not settle once its signal fired, the runner stops waiting for it.
    const abandoned = new Promise<CellOutcome>((resolve) => {
      cellAbort.signal.addEventListener('abort', () => resolve({ exitCode: null, stdout: '', stderr: '', timedOut, canceled: !timedOut, durationMs: now() - startedAt }), { once: true });
    });
    let outcome: CellOutcome;
    try {
      outcome = await Promise.race([o.execute(cell, { timeoutMs: o.timeoutMs, signal: cellAbort.signal }), abandoned]);
    } catch (err) {
      outcome = { exitCode: null, stdout: '', stderr: err instanceof Error ? err.message : String(err), timedOut, canceled: signal.aborted, durationMs: now() - startedAt };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    if (timedOut) outcome = { ...outcome, timedOut: true, canceled: false };
    const record = recordRun(cell, o.describe(cell), new Date(startedAt), outcome, signal.aborted && !timedOut);
    records.push(record);
    await o.onRecord(record);
    o.hooks?.finish?.(record);
  }
  return { records, interrupted: signal.aborted };
}
