import type { HistoryUpdateStats } from './access-history.js';
import { AdaptiveScanInterval, type AdaptiveScanIntervalOptions } from './scan-interval.js';

/**
 * Runs a scan function on a timer whose period adapts to how much the
 * access pattern changes (AdaptiveScanInterval). Errors stop the loop and
 * are reported to onError.
 */
export class ScanLoop {
  private readonly interval: AdaptiveScanInterval;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  scans = 0;

  constructor(
    private readonly scan: () => HistoryUpdateStats,
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
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.tick(), ms);
  }

  private tick(): void {
    if (!this.running) return;
    try {
      const stats = this.scan();
      this.scans++;
      const next = this.interval.next(stats.newlyAccessed, stats.present);
      this.onScan(stats, next);
      this.schedule(next);
    } catch (error) {
      this.running = false;
      this.onError(error);
    }
  }
}
