import type { ResidencyPages, ResidencyScope } from './access-history.js';
import type { ByteRange, PageRange } from './page-state.js';
import type { PolicyState } from './policies/policy.js';
import type { RegionLayout } from './region-layout.js';

/** A SIGBALLOON event as delivered by the kernel (through the addon). */
export interface BalloonSignal {
  /** Pages the kernel asks this process to release. */
  pagesWanted: number;
  /** Free pages in the system when the signal was raised. */
  freePages: number;
  /** Optional per-signal answer deadline (ms); the controller's default applies otherwise. */
  deadlineMs?: number;
  /**
   * When the signal was sent, on CLOCK_MONOTONIC (the clock of
   * process.hrtime.bigint()), in ns. The addon stamps each signal in its
   * handler, microseconds after the kernel queued it, however long the
   * event loop then took to run the listener: the answer's deadline counts
   * from here. Absent: from when the listener ran.
   */
  sentAtNs?: bigint;
  /** The addon's sequence number of the signal (1-based over the process's SIGBALLOONs); absent from fakes. */
  seq?: number;
}

/**
 * Flags passed through unchanged to balloon_swapout() (bitmask; mirrors
 * BALLOON_SWAPOUT_* in kernel-patch/include/uapi/linux/balloon.h).
 */
export const SwapOutFlag = {
  None: 0,
  /** Start writeback, do not wait for it. */
  Async: 0x1,
  /** Split every huge page met. */
  ThpSplit: 0x2,
  /** Skip partly covered huge pages. */
  ThpNoSplit: 0x4,
} as const;

/** Per-call limits of balloon_swapout() (more gives -E2BIG). */
export const SWAPOUT_MAX_RANGES_PER_CALL = 1024;
export const SWAPOUT_MAX_PAGES_PER_CALL = 1 << 18;

/** Outcome of one swap-out call. */
export interface SwapOutResult {
  /** Pages actually released. */
  freed: number;
  /** Pages not released because they were absent, already swapped, shared, locked, etc. */
  skipped: number;
  /** Pages reclaim tried but could not free (e.g. swap full). */
  failed: number;
}

/**
 * What the N-API addon must implement (the controller's only window on the
 * kernel; src/kernel/port.ts createKernelPort() has this shape). All methods
 * are asynchronous and must not block the event loop.
 */
export interface KernelPort {
  /** Registers the process and its managed regions with the balloon driver. */
  register(regions: readonly ByteRange[]): Promise<void>;
  /** Undoes register(); no signals are delivered afterwards. */
  unregister(): Promise<void>;
  /** Asks the kernel to swap out the given page-aligned ranges, in one call. */
  swapOut(ranges: readonly ByteRange[], flags: number): Promise<SwapOutResult>;
  /** Subscribes to SIGBALLOON events; returns the unsubscribe function. */
  onSignal(listener: (signal: BalloonSignal) => void): () => void;
}

/**
 * What the controller needs from profiling: the region layout, the current
 * policy state, and a way to record pages it handed to the kernel, so that
 * neither a later answer nor a profiler scan that runs while the call is in
 * flight (the kernel has not reached those pages yet, pagemap still shows
 * them present) offers them to the policy again.
 */
export interface ProfilerPort {
  readonly layout: RegionLayout;
  policyState(): PolicyState;
  /**
   * The pages are in a swap-out call from now on: not Present for the policy,
   * and no scan may show them Present until releaseEnded() for the same ranges.
   */
  markReleased(ranges: readonly PageRange[]): void;
  /** The swap-out call for these ranges returned or failed: the next scan tells their real state. */
  releaseEnded(ranges: readonly PageRange[]): void;
  /**
   * Optional: brings the policy state's residency up to date between scans
   * (pagemap only, no idle bits; AccessHistory.noteResidency): pages the
   * kernel swapped out itself are gone, pages that arrived since the last
   * scan count as just used, and with scope 'all' so do pages back from
   * swap. The controller calls it before an answer's first selection, and
   * before a proactive round's with 'always' (ControllerOptions.refreshResidency).
   * pages 'unseen' (only with scope 'arrivals'): only the pages the history
   * never had present are read (ResidencyPages).
   */
  refreshResidency?(scope: ResidencyScope, pages?: ResidencyPages): void;
}
