/**
 * Free memory over time and the "threshold deficit": how far the memory free
 * for the workload's budget stayed below the balloon threshold, integrated
 * over time (MiB·s).
 *
 * Both policies get the same budget: MemTotal less the threshold. A balloon
 * run keeps that reserve as free memory (the kernel signals the agent when
 * MemFree drops below the threshold); a kernel-baseline run has it taken by
 * the bystander, which holds the threshold's worth of memory locked for the
 * whole run. So the memory left in reserve is MemFree plus what is held for
 * the budget: budgetFree(t) = MemFree(t) + held, with held = the bystander's
 * bytes in a kernel baseline and 0 in an agent run. The deficit is
 * ∫ max(0, threshold − budgetFree(t)) dt: the memory-time a run took beyond
 * its budget. A kernel baseline cannot take the locked memory, so its deficit
 * is 0 (unless it ran without a bystander, and so with more memory); an agent
 * run's is what it let MemFree fall under the threshold. docs/bench.md has
 * the reasoning.
 */

export interface FreeMemorySample {
  /** Milliseconds since the sampler started. */
  tMs: number;
  freeBytes: number;
}

const MiB = 1024 * 1024;

/**
 * The series the deficit is measured on: MemFree plus the memory held for
 * the budget (the kernel baseline's bystander), sample by sample. The report
 * plots exactly this.
 */
export function budgetFreeSeries(series: readonly FreeMemorySample[], heldBytes = 0): FreeMemorySample[] {
  return heldBytes === 0 ? [...series] : series.map((s) => ({ tMs: s.tMs, freeBytes: s.freeBytes + heldBytes }));
}

/**
 * ∫ max(0, threshold − (free(t) + held)) dt in MiB·s, with free(t) linear
 * between samples (the trapezoidal rule). Where the deficit crosses zero
 * inside an interval, only the part below the threshold is counted (the
 * crossing point is interpolated), so an interval that ends above the
 * threshold contributes the triangle under it, not a trapezoid down to a
 * clipped zero.
 */
export function thresholdDeficitMiBs(series: readonly FreeMemorySample[], thresholdBytes: number, heldBytes = 0): number {
  let total = 0; // MiB·ms
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1]!;
    const b = series[i]!;
    const dt = b.tMs - a.tMs;
    if (!(dt > 0)) continue;
    const da = (thresholdBytes - a.freeBytes - heldBytes) / MiB;
    const db = (thresholdBytes - b.freeBytes - heldBytes) / MiB;
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

  /** The threshold deficit of the series; `heldBytes`: memory held for the budget (see thresholdDeficitMiBs). */
  deficitMiBs(thresholdBytes: number, heldBytes = 0): number {
    return thresholdDeficitMiBs(this.series, thresholdBytes, heldBytes);
  }

  minFreeBytes(): number | null {
    let min: number | null = null;
    for (const s of this.series) if (min === null || s.freeBytes < min) min = s.freeBytes;
    return min;
  }
}
