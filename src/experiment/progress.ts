/**
 * Progress on stderr: on a terminal one line redrawn every second (bar, run
 * i/N, the cell in progress, elapsed, estimated time left); otherwise plain
 * lines when a run starts and ends. With a plan (each cell's expected
 * duration) the time left is known from the first run on.
 */
import type { RunRecord } from './cell.js';
import type { Cell } from './matrix.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Time left: the mean duration of the finished runs times the runs not yet
 * finished, less what the current run already spent. null before any run ended.
 */
export function estimateLeftMs(finishedDurationsMs: readonly number[], total: number, currentElapsedMs = 0): number | null {
  if (finishedDurationsMs.length === 0) return null;
  const mean = finishedDurationsMs.reduce((a, b) => a + b, 0) / finishedDurationsMs.length;
  const remaining = total - finishedDurationsMs.length;
  return Math.max(0, remaining * mean - Math.min(currentElapsedMs, mean));
}

/**
 * Time left from a plan: each cell's expected duration, scaled by how the
 * finished runs compare with theirs (actual over expected, 1 before any
 * ended), less what the current run already spent. Known from the start.
 */
export function estimateLeftFromPlan(
  expectedMs: readonly number[],
  finishedMs: ReadonlyMap<number, number>,
  current: { index: number; elapsedMs: number } | null = null,
): number {
  let expectedDone = 0;
  let actualDone = 0;
  for (const [index, ms] of finishedMs) {
    expectedDone += expectedMs[index] ?? 0;
    actualDone += ms;
  }
  const scale = expectedDone > 0 ? actualDone / expectedDone : 1;
  let left = 0;
  for (let i = 0; i < expectedMs.length; i++) if (!finishedMs.has(i)) left += expectedMs[i]! * scale;
  if (current !== null && !finishedMs.has(current.index)) left -= Math.min(current.elapsedMs, (expectedMs[current.index] ?? 0) * scale);
  return Math.max(0, left);
}

/** A plan for the progress line: the cells in order and what each is expected to take. */
export interface ProgressPlan {
  cells: readonly Cell[];
  expectedMs: (cell: Cell) => number;
}

export function bar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

const cellName = (c: Pick<Cell, 'workload' | 'policy' | 'rep'>): string => `${c.workload}/${c.policy} rep ${c.rep}`;

export class Progress {
  private readonly startedAt: number;
  private readonly durations: number[] = [];
  /** index → actual duration of the finished runs. */
  private readonly finished = new Map<number, number>();
  private readonly expected: number[] | null;
  private current: { cell: Cell; startedAt: number } | null = null;
  private timer: NodeJS.Timeout | undefined;
  private failed = 0;
  private readonly tty: boolean;

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly now: () => number = Date.now,
    plan?: ProgressPlan,
  ) {
    this.startedAt = now();
    this.tty = stream.isTTY === true;
    this.expected = plan === undefined ? null : plan.cells.map((c) => plan.expectedMs(c));
  }

  /** Time left: from the plan when there is one, else from the mean of the finished runs (null before one ended). */
  private left(current: { cell: Cell; startedAt: number } | null): number | null {
    const elapsed = current === null ? 0 : this.now() - current.startedAt;
    if (this.expected !== null) return estimateLeftFromPlan(this.expected, this.finished, current === null ? null : { index: current.cell.index, elapsedMs: elapsed });
    return estimateLeftMs(this.durations, this.total, elapsed);
  }

  start(cell: Cell): void {
    this.current = { cell, startedAt: this.now() };
    if (this.tty) {
      this.redraw();
      if (this.timer === undefined) {
        this.timer = setInterval(() => this.redraw(), 1000);
        this.timer.unref();
      }
    } else {
      const left = this.left(null);
      this.stream.write(`balloon: run ${cell.index + 1}/${this.total}: ${cellName(cell)} (elapsed ${formatDuration(this.now() - this.startedAt)}${left === null ? '' : `, about ${formatDuration(left)} left`})\n`);
    }
  }

  finish(record: RunRecord): void {
    this.durations.push(record.durationMs);
    this.finished.set(record.index, record.durationMs);
    if (record.status !== 'ok') this.failed++;
    this.current = null;
    const what = record.status === 'ok' ? 'ok' : `FAILED (${record.failure}: ${record.error ?? ''})`;
    const line = `run ${record.index + 1}/${this.total}: ${record.workload}/${record.policy} rep ${record.rep} ${what} in ${formatDuration(record.durationMs)}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[K${line}\n`);
      this.redraw();
    } else this.stream.write(`balloon: ${line}\n`);
  }

  /** The status line (terminal only). */
  statusLine(): string {
    const done = this.durations.length;
    const elapsed = this.now() - this.startedAt;
    const cur = this.current;
    const left = this.left(cur);
    const parts = [
      `${bar(done, this.total)} ${done}/${this.total}`,
      cur === null ? '' : `running ${cur.cell.index + 1}: ${cellName(cur.cell)} ${formatDuration(this.now() - cur.startedAt)}`,
      `elapsed ${formatDuration(elapsed)}`,
      left === null ? 'left ?' : `left ~${formatDuration(left)}`,
      this.failed > 0 ? `${this.failed} failed` : '',
    ].filter((p) => p !== '');
    const line = parts.join('  ');
    const cols = this.stream.columns ?? 120;
    return line.length >= cols ? `${line.slice(0, cols - 2)}…` : line;
  }

  private redraw(): void {
    if (this.tty && this.current !== null) this.stream.write(`\r\x1b[K${this.statusLine()}`);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.stream.write('\r\x1b[K');
  }
}
