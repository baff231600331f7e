import { AgentError } from './errors.js';

export interface AdaptiveScanIntervalOptions {
  minMs: number;
  maxMs: number;
  initialMs: number;
  /** Below this fraction of pages going idle→accessed, scan less often. */
  lowChangeFraction: number;
  /** Above this fraction, scan more often. */
  highChangeFraction: number;
  /** Multiplicative step. */
  factor: number;
}

export const DEFAULT_ADAPTIVE_SCAN_INTERVAL_OPTIONS: AdaptiveScanIntervalOptions = {
  minMs: 100,
  maxMs: 10_000,
  initialMs: 1_000,
  lowChangeFraction: 0.01,
  highChangeFraction: 0.1,
  factor: 2,
};

/**
 * DAMON-style adaptive sampling: when few pages change from idle to accessed
 * between scans the interval grows (less overhead, nothing to learn), when
 * many do it shrinks (the working set is moving), always within [min, max].
 */
export class AdaptiveScanInterval {
  private readonly options: AdaptiveScanIntervalOptions;
  private current: number;

  constructor(options: Partial<AdaptiveScanIntervalOptions> = {}) {
    this.options = { ...DEFAULT_ADAPTIVE_SCAN_INTERVAL_OPTIONS, ...options };
    const o = this.options;
    if (!(o.minMs > 0 && o.minMs <= o.maxMs && o.factor > 1 && o.lowChangeFraction <= o.highChangeFraction)) {
      throw new AgentError('invalid adaptive scan interval options', { ...o });
    }
    this.current = clamp(o.initialMs, o.minMs, o.maxMs);
  }

  get intervalMs(): number {
    return this.current;
  }

  /** Feeds one scan's outcome; returns the interval to wait before the next scan. */
  next(newlyAccessed: number, pagesObserved: number): number {
    const fraction = pagesObserved > 0 ? newlyAccessed / pagesObserved : 0;
    const o = this.options;
    if (fraction > o.highChangeFraction) this.current = clamp(this.current / o.factor, o.minMs, o.maxMs);
    else if (fraction < o.lowChangeFraction) this.current = clamp(this.current * o.factor, o.minMs, o.maxMs);
    return this.current;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
