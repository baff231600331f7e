/**
 * The agent's window on the kernel: an object with the shape of the agent's
 * KernelPort (src/agent/kernel-port.ts), built on the wrappers of this
 * directory. Structural, so src/kernel does not depend on src/agent.
 */
import { onBalloonSignal, settleBalloonSignals } from './signals.js';
import { register, swapOut, unregister } from './syscalls.js';

export interface PortByteRange {
  start: bigint;
  length: bigint;
}

/** A SIGBALLOON as the agent sees it. */
export interface PortBalloonSignal {
  /** Pages the kernel asks this process to release. */
  pagesWanted: number;
  /** Free pages in the system when the signal was raised. */
  freePages: number;
  /**
   * CLOCK_MONOTONIC (process.hrtime.bigint()) in ns when the addon's handler
   * ran, microseconds after the kernel sent the signal, however late the
   * listener runs: answer deadlines count from here.
   */
  sentAtNs: bigint;
  /** The handler's 1-based count of this signal among all the process received (gaps: dropped or unregistered). */
  seq: number;
}

export interface PortSwapOutResult {
  /** Pages released (balloon_swapout's return value). */
  freed: number;
  /** Pages not released: already swapped, shared, locked, never touched, partial THP. */
  skipped: number;
  /** Pages reclaim tried but could not free (e.g. swap full). */
  failed: number;
}

export interface BalloonKernelPort {
  register(regions: readonly PortByteRange[]): Promise<void>;
  unregister(): Promise<void>;
  swapOut(ranges: readonly PortByteRange[], flags: number): Promise<PortSwapOutResult>;
  onSignal(listener: (signal: PortBalloonSignal) => void): () => void;
}

export interface KernelPortOptions {
  /** Keep the process alive while the agent listens (default true: the agent is a daemon). */
  keepAlive?: boolean;
}

/**
 * A KernelPort on the real kernel. The balloon registers whole processes, not
 * regions: `register` checks the regions' shape and registers the process.
 */
export function createKernelPort(options: KernelPortOptions = {}): BalloonKernelPort {
  const keepAlive = options.keepAlive ?? true;
  return {
    async register(regions) {
      if (!Array.isArray(regions)) throw new TypeError('register: regions must be an array of { start, length }');
      for (const [i, r] of regions.entries()) {
        if (typeof r?.start !== 'bigint' || typeof r?.length !== 'bigint') {
          throw new TypeError(`register: region ${i} must be { start: bigint, length: bigint }`);
        }
      }
      register();
    },
    async unregister() {
      unregister();
      // Signals already taken by the handler still reach the listener.
      await settleBalloonSignals();
    },
    async swapOut(ranges, flags) {
      const r = await swapOut(ranges, { flags });
      return {
        freed: r.freed,
        skipped: r.skippedSwapped + r.skippedShared + r.skippedLocked + r.skippedNotPresent + r.skippedThp,
        failed: r.failed,
      };
    },
    onSignal(listener) {
      if (typeof listener !== 'function') throw new TypeError('onSignal: listener must be a function');
      return onBalloonSignal(
        (sig) => {
          // Without the kernel header the addon cannot decode the payload: nothing to report.
          if (sig.pages === undefined || sig.freePages === undefined) return;
          listener({ pagesWanted: sig.pages, freePages: sig.freePages, sentAtNs: sig.timestampNs, seq: sig.seq });
        },
        { keepAlive },
      );
    },
  };
}
