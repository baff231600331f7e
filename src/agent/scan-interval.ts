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
  /**
   * The share of one CPU that profiling may take: a scan, and folding it
   * into the history and the policy's refresh, that cost c ms are followed
   * by a wait of at least c × (1 − budget) / budget ms, whatever the
   * adaptive interval (and maxMs) says. 1: no bound.
   */
  cpuBudget: number;
}

export const DEFAULT_ADAPTIVE_SCAN_INTERVAL_OPTIONS: AdaptiveScanIntervalOptions = {
  minMs: 100,
  maxMs: 10_000,
  initialMs: 1_000,
  lowChangeFraction: 0.01,
  highChangeFraction: 0.1,
  factor: 2,
  cpuBudget: 0.05,
};

/**
 * DAMON-style adaptive sampling: when few pages change from idle to accessed
 * between scans the interval grows (less overhead, nothing to learn), when
 * many do it shrinks (the working set is moving), always within [min, max].
 * A CPU budget bounds what profiling costs: the wait after a scan is at
 * least what keeps its cost within cpuBudget of one CPU, so that a scan
 * that costs more (a large region, a slow machine, an emulated one) is made
 * less often instead of taking the CPU the workload and the answers need.
 */
export class AdaptiveScanInterval {
  private readonly options: AdaptiveScanIntervalOptions;
  private current: number;

  constructor(options: Partial<AdaptiveScanIntervalOptions> = {}) {
    this.options = { ...DEFAULT_ADAPTIVE_SCAN_INTERVAL_OPTIONS, ...options };
    const o = this.options;
    if (!(o.minMs > 0 && o.minMs <= o.maxMs && o.factor > 1 && o.lowChangeFraction <= o.highChangeFraction && o.cpuBudget > 0 && o.cpuBudget <= 1)) {
      throw new AgentError('invalid adaptive scan interval options', { ...o });
    }
    this.current = clamp(o.initialMs, o.minMs, o.maxMs);
  }

  /** The adaptive interval, before the CPU budget's bound. */
  get intervalMs(): number {
    return this.current;
  }

  /**
   * Feeds one scan's outcome and what it cost (ms of CPU, or of wall time
   * where no CPU clock is there); returns the time to wait before the next
   * scan: the adaptive interval, or longer when the budget requires it.
   */
  next(newlyAccessed: number, pagesObserved: number, costMs = 0): number {
    const fraction = pagesObserved > 0 ? newlyAccessed / pagesObserved : 0;
    const o = this.options;
    if (fraction > o.highChangeFraction) this.current = clamp(this.current / o.factor, o.minMs, o.maxMs);
    else if (fraction < o.lowChangeFraction) this.current = clamp(this.current * o.factor, o.minMs, o.maxMs);
    return Math.max(this.current, budgetWaitMs(costMs, o.cpuBudget));
  }
}

/** The wait after work of costMs that keeps it within budget of one CPU. */
export function budgetWaitMs(costMs: number, budget: number): number {
  return costMs > 0 ? (costMs * (1 - budget)) / budget : 0;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
