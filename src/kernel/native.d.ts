/**
 * The exact surface of the native addon (build/Release/balloon.node, built from
 * native/ by node-gyp). Only src/kernel/addon.ts loads it; everything else goes
 * through the typed wrappers in src/kernel/.
 *
 * Conventions: addresses are bigint, sizes are numbers (safe integers). Native
 * functions throw TypeError/RangeError for bad arguments before any syscall, and
 * errno errors as `Error & { code: 'E…', errno: number, syscall: string }`.
 */

/** One SIGBALLOON as the signal handler copied it. */
export interface NativeSignalEvent {
  /** 1-based number of this signal among all received by the process. */
  seq: number;
  signo: number;
  /** si_code (SI_QUEUE = -1 for sigqueue; the kernel's own code for the balloon). */
  code: number;
  pid: number;
  uid: number;
  /** Kernel thread id the handler ran on. */
  tid: number;
  /** si_value.sival_ptr. */
  value: bigint;
  /** CLOCK_MONOTONIC (same clock as process.hrtime.bigint()) when the handler ran. */
  timestampNs: bigint;
  /** Pages the kernel asks for (BALLOON_SI_PAGES_REQUESTED); absent without the header. */
  pages?: number;
  /** Free pages when the signal was sent (BALLOON_SI_FREE_PAGES); absent without the header. */
  freePages?: number;
  /** si_code == BALLOON_SI_CODE: sent by the kernel, not imitated; absent without the header. */
  fromKernel?: boolean;
}

export interface NativeSignalStats {
  /** Signals the handler ran for (the course's nr_signals). */
  received: number;
  /** Events handed to the JavaScript listener. */
  delivered: number;
  /** Events lost because the ring was full (the count above still includes them). */
  dropped: number;
  installed: boolean;
  /** Signal number currently handled (0 when none). */
  signal: number;
  ownedByThisThread: boolean;
}

export interface NativeRegionInfo {
  address: bigint;
  size: number;
  /** 0 none, 1 MADV_HUGEPAGE, 2 MADV_NOHUGEPAGE. */
  advice: 0 | 1 | 2;
  freed: boolean;
  /** Environments (threads) holding an ArrayBuffer over the region. */
  attachments: number;
}

export interface NativeRegion extends NativeRegionInfo {
  /** External ArrayBuffer over the mapping, valid in the calling thread only. */
  buffer: ArrayBuffer;
}

/** balloon_swapout()'s return value and struct balloon_swapout_result. */
export interface NativeSwapOutResult {
  /** Return value: pages freed. */
  freed: number;
  pagesRequested: number;
  pagesFreed: number;
  skippedSwapped: number;
  skippedShared: number;
  skippedLocked: number;
  skippedNotPresent: number;
  skippedThp: number;
  failed: number;
  thpWhole: number;
  thpSplit: number;
  elapsedNs: bigint;
}

/** The header's constants (empty without the header). */
export interface NativeConstants {
  SIGBALLOON?: number;
  BALLOON_SI_CODE?: number;
  BALLOON_REGISTER?: number;
  BALLOON_UNREGISTER?: number;
  BALLOON_QUERY?: number;
  BALLOON_MAX_REGISTERED?: number;
  BALLOON_SWAPOUT_ASYNC?: number;
  BALLOON_SWAPOUT_THP_SPLIT?: number;
  BALLOON_SWAPOUT_THP_NOSPLIT?: number;
  BALLOON_SWAPOUT_FLAGS?: number;
  BALLOON_SWAPOUT_MAX_RANGES?: number;
  BALLOON_SWAPOUT_MAX_PAGES?: number;
  __NR_balloon_ctl?: number;
  __NR_balloon_swapout?: number;
}

export interface NativeKernelProbe {
  /** uname -r of the running kernel. */
  release: string;
  /**
   * True when the kernel looks patched (/sys/kernel/mm/balloon exists or the release
   * ends in -balloon). Balloon syscalls are entered only then: their numbers belong to
   * other syscalls on newer kernels. Otherwise they fail with ENOSYS.
   */
  patched: boolean;
  /** True when the addon was built with the header's syscall numbers. */
  syscallsCompiled: boolean;
}

export interface NativeTestPayload {
  signo?: number;
  code?: number;
  value?: bigint;
  pages?: number;
  freePages?: number;
}

export interface NativeTesting {
  /**
   * rt_sigqueueinfo(getpid(), …): a process-directed signal, the kernel picks the thread.
   * `pages`/`freePages` are encoded with BALLOON_SIGVAL (exclusive with `value`);
   * `code` defaults to SI_QUEUE (-1); BALLOON_SI_CODE imitates the kernel exactly.
   */
  raise(payload?: NativeTestPayload): void;
  /** rt_tgsigqueueinfo to one thread of this process (default: the calling thread). */
  raiseThread(payload?: NativeTestPayload, tid?: number): void;
  /** A fresh native thread sends `count` signals to itself (value, value+1, …); returns its tid. */
  raiseFromNativeThread(count?: number, payload?: NativeTestPayload): number;
  gettid(): number;
  isBlocked(signal: number): boolean;
  /** This process's disposition of `signal`. */
  disposition(signal: number): 'default' | 'ignore' | 'handler';
  setDisposition(signal: number, disposition: 'default' | 'ignore'): void;
}

export interface NativeAddon {
  readonly napiVersion: number;
  /** True when kernel-patch/include/uapi/linux/balloon.h was found at build time. */
  readonly haveUapiHeader: boolean;
  readonly SIGBALLOON: number;
  readonly sigballoonFromHeader: boolean;
  readonly pageSize: number;
  readonly hugePageSize: number;

  signalInstall(listener: (events: NativeSignalEvent[]) => void, signal?: number): boolean;
  signalUninstall(): boolean;
  /** Whether the installation keeps the event loop alive (default: it does not). */
  signalKeepAlive(keepAlive: boolean): boolean;
  signalStats(): NativeSignalStats;
  signalCount(): number;

  regionAlloc(size: number, advice?: 0 | 1 | 2): NativeRegion;
  regionAttach(address: bigint): NativeRegion;
  regionRelease(address: bigint): boolean;
  regionFree(address: bigint): boolean;
  regionInfo(address: bigint): (NativeRegionInfo & { attachedHere: boolean }) | undefined;
  regionList(): NativeRegionInfo[];
  /** mlock of the whole pages under the buffer; returns the bytes locked. */
  lockArrayBuffer(buffer: ArrayBuffer): number;
  unlockArrayBuffer(buffer: ArrayBuffer): number;
  /** mlock2(MLOCK_ONFAULT) of a page-aligned range of this process's mappings; returns the bytes covered. */
  lockRangeOnFault(address: bigint, length: number): number;
  unlockRange(address: bigint, length: number): number;

  readonly constants: NativeConstants;
  kernelProbe(): NativeKernelProbe;
  /** balloon_ctl(op, flags): its return value. */
  sysCtl(op: number, flags?: number): number;
  /** balloon_swapout on a libuv pool thread. */
  sysSwapOut(ranges: BigUint64Array, flags?: number): Promise<NativeSwapOutResult>;
  sysSwapOutSync(ranges: BigUint64Array, flags?: number): NativeSwapOutResult;

  /** Only in build/Release/balloon_testing.node (native/testing.cc); the production addon has none. */
  readonly testing?: NativeTesting;
}
