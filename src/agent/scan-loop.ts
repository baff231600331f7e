import type { HistoryUpdateStats } from './access-history.js';
import { AdaptiveScanInterval, type AdaptiveScanIntervalOptions } from './scan-interval.js';

/**
 * Runs a scan function on a timer whose period adapts to how much the
 * access pattern changes (AdaptiveScanInterval), and stays within the
 * interval's CPU budget given what each scan cost (scanCostMs). The scan may
 * be asynchronous (a worker's): the next one is timed from its end. Errors
 * stop the loop and are reported to onError.
 */
export class ScanLoop {
  private readonly interval: AdaptiveScanInterval;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private inProgress: Promise<void> | undefined;
  scans = 0;
  /** The wait chosen after the last scan: the adaptive interval, or longer where the CPU budget bounds it. */
  lastWaitMs: number;

  constructor(
    private readonly scan: () => HistoryUpdateStats | Promise<HistoryUpdateStats>,
    intervalOptions: Partial<AdaptiveScanIntervalOptions> = {},
    private readonly onError: (error: unknown) => void = () => {},
    private readonly onScan: (stats: HistoryUpdateStats, nextMs: number) => void = () => {},
    /** What the scan that just ended cost, in ms of CPU (or wall time): folding and the policy's refresh included. Without it the budget does not apply. */
    private readonly scanCostMs: () => number = () => 0,
  ) {
    this.interval = new AdaptiveScanInterval(intervalOptions);
    this.lastWaitMs = this.interval.intervalMs;
  }

  get intervalMs(): number {
    return this.interval.intervalMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    // A scan still running from before a stop() schedules the next one when it ends.
    if (this.inProgress === undefined) this.schedule(this.interval.intervalMs);
  }

  /** Stops the loop; resolves once a scan in progress (an asynchronous one) has ended. */
  stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return this.inProgress ?? Promise.resolve();
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    if (!this.running) return;
    let result: HistoryUpdateStats | Promise<HistoryUpdateStats>;
    try {
      result = this.scan();
    } catch (error) {
      this.failed(error);
      return;
    }
    if (!(result instanceof Promise)) {
      this.scanned(result);
      return;
    }
    this.inProgress = result.then(
      (stats) => this.scanned(stats),
      (error: unknown) => this.failed(error),
    ).finally(() => {
      this.inProgress = undefined;
    });
  }

  private scanned(stats: HistoryUpdateStats): void {
    this.scans++;
    const next = this.interval.next(stats.newlyAccessed, stats.present, this.scanCostMs());
    this.lastWaitMs = next;
    try {
      this.onScan(stats, next);
    } catch (error) {
      this.failed(error);
      return;
    }
    if (this.running) this.schedule(next);
  }

  private failed(error: unknown): void {
    this.running = false;
    this.onError(error);
  }
}
