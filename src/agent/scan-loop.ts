import type { HistoryUpdateStats } from './access-history.js';
import { AdaptiveScanInterval, type AdaptiveScanIntervalOptions } from './scan-interval.js';

/** A scan done at once, or by steps (each next() one step, the last returns the stats). */
export type ScanPass = HistoryUpdateStats | Iterator<void, HistoryUpdateStats, void>;

const isSteps = (pass: ScanPass): pass is Iterator<void, HistoryUpdateStats, void> => typeof (pass as Partial<Iterator<void>>).next === 'function';

/**
 * Runs a scan function on a timer whose period adapts to how much the
 * access pattern changes (AdaptiveScanInterval). A scan given by steps runs
 * one step per turn of the event loop (setImmediate between two), so that a
 * signal's listener waits for one step, not for a whole scan; stop() between
 * two steps abandons the scan. Errors stop the loop and are reported to onError.
 */
export class ScanLoop {
  private readonly interval: AdaptiveScanInterval;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private running = false;
  scans = 0;

  constructor(
    private readonly scan: () => ScanPass,
    intervalOptions: Partial<AdaptiveScanIntervalOptions> = {},
    private readonly onError: (error: unknown) => void = () => {},
    private readonly onScan: (stats: HistoryUpdateStats, nextMs: number) => void = () => {},
  ) {
    this.interval = new AdaptiveScanInterval(intervalOptions);
  }

  get intervalMs(): number {
    return this.interval.intervalMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.interval.intervalMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    try {
      const pass = this.scan();
      if (isSteps(pass)) this.step(pass);
      else this.finish(pass);
    } catch (error) {
      this.fail(error);
    }
  }

  private step(steps: Iterator<void, HistoryUpdateStats, void>): void {
    this.immediate = undefined;
    if (!this.running) return;
    try {
      const r = steps.next();
      if (r.done) this.finish(r.value);
      else this.immediate = setImmediate(() => this.step(steps));
    } catch (error) {
      this.fail(error);
    }
  }

  private finish(stats: HistoryUpdateStats): void {
    this.scans++;
    const next = this.interval.next(stats.newlyAccessed, stats.present);
    this.onScan(stats, next);
    this.schedule(next);
  }

  private fail(error: unknown): void {
    this.running = false;
    this.onError(error);
  }
}
