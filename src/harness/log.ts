/** Progress and notices on stderr, so that stdout stays for results. */

const t0 = Date.now();

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export function step(scope: string, message: string): void {
  process.stderr.write(`[${scope}] ${message}\n`);
}

export function notice(scope: string, message: string): void {
  process.stderr.write(`[${scope}] NOTICE: ${message}\n`);
}

/** Time since this process started, for "done in ..." lines. */
export function elapsed(): string {
  return formatDuration(Date.now() - t0);
}

/**
 * A progress reporter for long work: prints at most every `intervalMs`
 * (a rewritten line on a terminal, a plain line in logs and CI).
 */
export class Progress {
  private last = 0;
  private readonly started = Date.now();
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly scope: string,
    private readonly intervalMs = process.stderr.isTTY ? 500 : 30_000,
  ) {}

  update(message: string): void {
    const now = Date.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    const text = `[${this.scope}] ${message} (${formatDuration(now - this.started)})`;
    if (this.tty) process.stderr.write(`\r\x1b[2K${text.slice(0, (process.stderr.columns ?? 100) - 1)}`);
    else process.stderr.write(`${text}\n`);
  }

  done(message: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    step(this.scope, `${message} (${formatDuration(Date.now() - this.started)})`);
  }
}
