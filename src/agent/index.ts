/** Public API of the balloon agent's pure logic. */
export { AccessHistory, AGE_RECENT_BIT, MAX_IDLE_SCANS, popcount8, type HistoryUpdateStats, type ResidencyScope } from './access-history.js';
export { nextUseIndices, simulateMin, type FaultCounts } from './belady.js';
export {
  BalloonController,
  DEFAULT_PROACTIVE_OPTIONS,
  DEFAULT_RESIDENCY_REFRESH,
  defaultControllerOptions,
  isResidencyRefresh,
  RESIDENCY_REFRESH_MODES,
  splitIntoCalls,
  type AnswerLatency,
  type AnswerRecord,
  type ControllerOptions,
  type ControllerOptionsInput,
  type ControllerStats,
  type MemoryGauge,
  type ProactiveOptions,
  type ResidencyRefresh,
} from './controller.js';
export { AgentError, PROFILER_ADVICE } from './errors.js';
export { CountingFileIo, nodeFileIo, openKernelFile, preadFully, pwriteFully, type CountingFileIoOptions, type FileIo } from './file-io.js';
export {
  SWAPOUT_MAX_PAGES_PER_CALL,
  SWAPOUT_MAX_RANGES_PER_CALL,
  SwapOutFlag,
  type BalloonSignal, type KernelPort, type ProfilerPort, type SwapOutResult } from './kernel-port.js';
export { DEFAULT_PAGE_IDLE_BITMAP_OPTIONS, IDLE_WORD_BYTES, PFNS_PER_IDLE_WORD, PageIdleBitmap, type PageIdleBitmapOptions } from './page-idle.js';
export { PAGE_SIZE, PAGE_SIZE_BIG, PageState, type ByteRange, type PageRange } from './page-state.js';
export {
  DEFAULT_PAGEMAP_READER_OPTIONS,
  NO_PFN,
  PAGEMAP_ENTRY_BYTES,
  PageFlag,
  PagemapBit,
  PagemapReader,
  decodePagemapEntries,
  decodePagemapEntry,
  encodePagemapEntry,
  type PagemapEntry,
  type PagemapReaderOptions,
} from './pagemap.js';
export * from './policies/index.js';
export { Prng } from './prng.js';
export { ProfiledMemory } from './profiled-memory.js';
export { DEFAULT_PROFILER_OPTIONS, Profiler, type ProfilerOptions, type ScanResult } from './profiler.js';
export { RegionLayout } from './region-layout.js';
export { AdaptiveScanInterval, DEFAULT_ADAPTIVE_SCAN_INTERVAL_OPTIONS, type AdaptiveScanIntervalOptions } from './scan-interval.js';
export { ScanLoop } from './scan-loop.js';
export { AccessMapRecorder, type AccessMap } from './access-map.js';
export { AgentSession, probeRegistration, type AgentResidency, type AgentSessionOptions, type AgentTiming, type PinnedMemory } from './session.js';
export { StageTimer, timedPolicy, type StageTime } from './stage-timer.js';
export { parseSchedstatMs, parseStatCpuMs, threadCpuClock, type ThreadCpuClock, type ThreadCpuClockOptions, type ThreadCpuSource } from './thread-cpu.js';
export {
  DEFAULT_PRESSURE_MODEL_OPTIONS,
  runPressureModel,
  type PressureModelOptions,
  type PressureModelResult,
} from './pressure-model.js';
export { DEFAULT_SIMULATION_OPTIONS, batchPages, simulateBelady, simulatePolicy, simulateReference, comparePolicies, checkTargets, POLICY_TARGETS, ratioToMin, type TargetVerdict, type ComparisonKind, type ComparisonOptions, type ComparisonRow, type SimulationOptions, type SimulationResult } from './simulator.js';
export * from './trace.js';
