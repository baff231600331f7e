/**
 * Free memory over time and the "threshold deficit": how far free memory
 * stayed below the balloon threshold, integrated over time (MiB·s).
 */

export interface FreeMemorySample {
  /** Milliseconds since the sampler started. */
  tMs: number;
  freeBytes: number;
}

const MiB = 1024 * 1024;

/**
 * ∫ max(0, threshold − free(t)) dt in MiB·s, with free(t) linear between
 * samples (the trapezoidal rule). Where the deficit crosses zero inside an
 * interval, only the part below the threshold is counted (the crossing point
 * is interpolated), so an interval that ends above the threshold contributes
 * the triangle under it, not a trapezoid down to a clipped zero.
 */
export function thresholdDeficitMiBs(series: readonly FreeMemorySample[], thresholdBytes: number): number {
  let total = 0; // MiB·ms
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1]!;
    const b = series[i]!;
    const dt = b.tMs - a.tMs;
    if (!(dt > 0)) continue;
    const da = (thresholdBytes - a.freeBytes) / MiB;
    const db = (thresholdBytes - b.freeBytes) / MiB;
    if (da >= 0 && db >= 0) total += ((da + db) / 2) * dt;
    else if (da > 0) total += (da / 2) * dt * (da / (da - db));
    else if (db > 0) total += (db / 2) * dt * (db / (db - da));
  }
  return total / 1000;
}

export interface FreeMemorySamplerOptions {
  /** Sampling period (default 100 ms). */
  intervalMs?: number;
  /** Reads free memory in bytes (default: MemFree of /proc/meminfo, see system.ts). */
  read: () => number;
  /** Clock in ms (default performance.now). */
  now?: () => number;
}

/** Samples free memory every intervalMs on a timer and keeps the series. */
export class FreeMemorySampler {
  readonly series: FreeMemorySample[] = [];
  readonly intervalMs: number;
  private readonly read: () => number;
  private readonly now: () => number;
  private start0 = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** First error of the reader (sampling stops on it). */
  error: unknown;

  constructor(options: FreeMemorySamplerOptions) {
    this.intervalMs = options.intervalMs ?? 100;
    if (!(this.intervalMs > 0)) throw new RangeError(`sampling interval must be positive, got ${this.intervalMs}`);
    this.read = options.read;
    this.now = options.now ?? (() => performance.now());
  }

  /** Takes one sample now. */
  sample(): void {
    try {
      this.series.push({ tMs: this.now() - this.start0, freeBytes: this.read() });
    } catch (err) {
      this.error ??= err;
      this.stop();
    }
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.start0 = this.now();
    this.sample();
    if (this.error === undefined) this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** Stops sampling (after one last sample when running). */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.error === undefined) this.sample();
  }

  deficitMiBs(thresholdBytes: number): number {
    return thresholdDeficitMiBs(this.series, thresholdBytes);
  }

  minFreeBytes(): number | null {
    let min: number | null = null;
    for (const s of this.series) if (min === null || s.freeBytes < min) min = s.freeBytes;
    return min;
  }
}
