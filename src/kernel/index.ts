/**
 * The kernel side of the balloon toolkit: the only entry point to the native
 * addon. See signals.ts (SIGBALLOON), regions.ts (memory), syscalls.ts
 * (register / unregister / swap-out) and sysfs.ts (counters and tunables).
 */
export { AddonLoadError, addonCandidates, isAddonAvailable, loadAddonFrom } from './addon.js';
export { BalloonSyscallError, errnoName, type BalloonCtlOp, type BalloonSyscall } from './errors.js';
export {
  balloonSignalCount,
  balloonSignalStats,
  onBalloonSignal,
  removeAllBalloonSignalListeners,
  settleBalloonSignals,
  sigballoon,
  sigballoonFromHeader,
  type BalloonSignal,
  type BalloonSignalListener,
  type BalloonSignalStats,
  type OnBalloonSignalOptions,
} from './signals.js';
export {
  allocRegion,
  attachRegion,
  hugePageSize,
  listRegions,
  MemoryRegion,
  pageSize,
  pinArrays,
  pinCode,
  codeMappings,
  RegionStateError,
  type FileMapping,
  type AllocRegionOptions,
  type HugePageAdvice,
  type PinnedArrays,
  type RegionInfo,
} from './regions.js';
export {
  BALLOON_COUNTERS,
  BALLOON_SYSFS_DIR,
  BALLOON_TUNABLES,
  BalloonSysfsError,
  parseSysfsValue,
  readBalloonSysfs,
  readBalloonSysfsSync,
  readBalloonSysfsValue,
  type BalloonSysfs,
  type SysfsValue,
} from './sysfs.js';
export {
  balloonConstants,
  isRegistered,
  kernelProbe,
  register,
  swapOut,
  swapOutSync,
  SwapOutFlags,
  toRangeArray,
  unregister,
  type SwapOutOptions,
  type SwapOutRange,
  type SwapOutRanges,
  type SwapOutResult,
} from './syscalls.js';
export {
  createKernelPort,
  type BalloonKernelPort,
  type KernelPortOptions,
  type PortBalloonSignal,
  type PortByteRange,
  type PortSwapOutResult,
} from './port.js';
