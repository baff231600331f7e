/**
 * `balloon run`: one workload under the agent (or under the kernel's own
 * swapping with --policy kernel) on this machine, with every metric.
 */
import { writeFile } from 'node:fs/promises';
import {
  AgentSession,
  DEFAULT_ADAPTIVE_SCAN_INTERVAL_OPTIONS,
  createPolicy,
  DEFAULT_RESIDENCY_REFRESH,
  encodeReferenceString,
  isPolicyName,
  isResidencyRefresh,
  RESIDENCY_REFRESH_MODES,
  probeRegistration,
  threadCpuClock,
  type AdaptiveScanIntervalOptions,
  type AgentSessionOptions,
  type BalloonController,
  type KernelPort,
  type ProfilerOptions,
  type ResidencyRefresh,
} from '../agent/index.js';
import {
  cpuBreakdown,
  DEFAULT_PROC_PATHS,
  diffCounters,
  diffProcessUsage,
  diffSnapshots,
  FreeMemorySampler,
  readBalloonCounters,
  FreeMemoryReader,
  readProcessUsage,
  readSystemSnapshot,
  stageDelta,
  summarizeSignalLatency,
  type SystemSnapshot,
} from '../metrics/index.js';
import {
  allocWorkloadRegion,
  checkRegionBytes,
  checkWorkloadName,
  defaultRegionBytes,
  makeSpec,
  PAGE_BYTES,
  parseSize,
  readMachineMemory,
  referenceString,
  runWorkload,
  sampleReferences,
  type RegionKind,
  type WorkloadRegion,
  type WorkloadSpec,
} from '../workloads/index.js';
import { BASELINE_POLICY, DEFAULT_THRESHOLD_BYTES, RUN_POLICY_NAMES, type RunAnswer, type RunResult } from '../shared/run-result.js';
import { parseCpuShare, parsePositiveInt, UsageError } from '../shared/usage.js';
import { startBystander, type Bystander, type BystanderMethod } from './bystander.js';
import { hostHazard, isBalloonKernel, readMemAvailableBytes } from './host-guard.js';

// For the CLI's other modules and the scripts that read results.
export { BASELINE_POLICY, DEFAULT_THRESHOLD_BYTES, parsePositiveInt, RUN_POLICY_NAMES, type RunAnswer, type RunResult };

export interface RunCliOptions {
  workload: string;
  policy: string;
  size?: string;
  passes?: string;
  seed?: string;
  threshold?: string;
  trace?: string;
  traceSample?: string;
  sampleMs?: string;
  bystander?: boolean;
  bystanderMethod?: string;
  region?: string;
  /** Run even where host-guard.ts would refuse (no balloon kernel, not enough memory). */
  allowHost?: boolean;
  /** Agent policies: answer the kernel's requests only, no proactive rounds. */
  reactive?: boolean;
  /** false (`--no-pin`): leave the agent's arrays swappable. */
  pin?: boolean;
  /** Agent policies: the share of one CPU profiling may take ("0.05", "5%"). */
  scanBudget?: string;
  /** Agent policies: how answers read residency from pagemap between scans (ControllerOptions.refreshResidency): never, when-empty, arrivals (default), always. */
  refreshResidency?: string;
}

export interface RunPlan {
  spec: WorkloadSpec;
  policy: string;
  sizeBytes: number;
  thresholdBytes: number | null;
  sampleMs: number;
  traceFile: string | null;
  traceSample: number;
  bystander: boolean;
  bystanderMethod: BystanderMethod | undefined;
  region: RegionKind | 'auto';
  /** The agent's mode (docs/controller.md); null for the kernel baseline. */
  mode: 'proactive' | 'reactive' | null;
  /** Keep the agent's per-page arrays resident (mlock). */
  pin: boolean;
  /** The share of one CPU the agent's profiling may take (AdaptiveScanIntervalOptions.cpuBudget); null for the kernel baseline. */
  scanBudget: number | null;
  /** When residency is read between scans (ControllerOptions.refreshResidency); null for the kernel baseline. */
  refreshResidency: ResidencyRefresh | null;
}

export function checkPolicyName(name: string): string {
  if (name !== BASELINE_POLICY && !isPolicyName(name)) {
    throw new UsageError(`unknown policy "${name}"; valid policies: ${RUN_POLICY_NAMES.join(', ')}`);
  }
  return name;
}

/** Checks every argument; nothing runs before this returns. */
export function planRun(o: RunCliOptions, meminfoPath = DEFAULT_PROC_PATHS.meminfo, balloonSysfsDir = DEFAULT_PROC_PATHS.balloonSysfs): RunPlan {
  const name = checkWorkloadName(o.workload);
  const policy = checkPolicyName(o.policy);
  const mem = readMachineMemory(meminfoPath);
  const sizeBytes = checkRegionBytes(o.size === undefined ? defaultRegionBytes(mem) : parseSize(o.size, '--size'), mem);
  const passes = o.passes === undefined ? undefined : parsePositiveInt(o.passes, '--passes');
  const seed = o.seed === undefined ? 1 : parsePositiveInt(o.seed, '--seed');
  const spec = makeSpec(name, sizeBytes / PAGE_BYTES, passes, seed);
  let thresholdBytes: number | null = null;
  if (o.threshold !== undefined) {
    thresholdBytes = parseSize(o.threshold, '--threshold');
    if (thresholdBytes >= mem.memTotalBytes) {
      throw new UsageError(`--threshold ${o.threshold} is not below the machine's memory (MemTotal ${mem.memTotalBytes} bytes)`);
    }
  }
  const region = o.region ?? 'auto';
  if (region !== 'auto' && region !== 'addon' && region !== 'sab') throw new UsageError(`--region must be auto, addon or sab, got "${region}"`);
  if (region === 'sab' && policy !== BASELINE_POLICY) throw new UsageError('--region sab only works with --policy kernel: the agent swaps out an addon region');
  const m = o.bystanderMethod;
  if (m !== undefined && m !== 'mlock' && m !== 'ramfs') throw new UsageError(`--bystander-method must be mlock or ramfs, got "${m}"`);
  if (o.reactive === true && policy === BASELINE_POLICY) throw new UsageError('--reactive is a mode of the agent: --policy kernel runs without it');
  if (o.pin === false && policy === BASELINE_POLICY) throw new UsageError('--no-pin is about the agent\'s memory: --policy kernel runs without an agent');
  if (o.scanBudget !== undefined && policy === BASELINE_POLICY) throw new UsageError('--scan-budget is about the agent\'s profiler: --policy kernel runs without an agent');
  const refresh = o.refreshResidency;
  if (refresh !== undefined && policy === BASELINE_POLICY) throw new UsageError('--refresh-residency is about the agent\'s answers: --policy kernel runs without an agent');
  if (refresh !== undefined && !isResidencyRefresh(refresh)) {
    throw new UsageError(`--refresh-residency must be one of ${RESIDENCY_REFRESH_MODES.join(', ')}, got "${refresh}"`);
  }
  if (o.allowHost !== true) {
    const locked = policy === BASELINE_POLICY && o.bystander !== false ? (thresholdBytes ?? DEFAULT_THRESHOLD_BYTES) : 0;
    const balloonKernel = isBalloonKernel(balloonSysfsDir);
    const hazard = hostHazard({ balloonKernel, balloonSysfsDir, sizeBytes, lockedBytes: locked, memAvailableBytes: balloonKernel ? 0 : readMemAvailableBytes(meminfoPath) });
    if (hazard !== null) throw new UsageError(hazard);
  }
  return {
    spec,
    policy,
    sizeBytes,
    thresholdBytes,
    sampleMs: o.sampleMs === undefined ? 100 : parsePositiveInt(o.sampleMs, '--sample-ms'),
    traceFile: o.trace ?? null,
    traceSample: o.traceSample === undefined ? 1 : parsePositiveInt(o.traceSample, '--trace-sample'),
    bystander: o.bystander ?? true,
    bystanderMethod: m as BystanderMethod | undefined,
    region,
    mode: policy === BASELINE_POLICY ? null : o.reactive === true ? 'reactive' : 'proactive',
    pin: policy !== BASELINE_POLICY && o.pin !== false,
    scanBudget: policy === BASELINE_POLICY ? null : o.scanBudget === undefined ? DEFAULT_ADAPTIVE_SCAN_INTERVAL_OPTIONS.cpuBudget : parseCpuShare(o.scanBudget, '--scan-budget'),
    refreshResidency: policy === BASELINE_POLICY ? null : (refresh ?? DEFAULT_RESIDENCY_REFRESH),
  };
}

const msg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export interface RunDeps {
  log: (line: string) => void;
  /** /sys/kernel/mm/balloon (tests may point elsewhere). */
  sysfsDir?: string;
  /** The agent's window on the kernel (default: src/kernel's createKernelPort). */
  kernelPort?: KernelPort;
  /** Keeps the agent's arrays resident (default: src/kernel's pinArrays when kernelPort is not given). */
  pin?: AgentSessionOptions['pin'];
  /** Keeps the agent's code resident (default: src/kernel's pinCode when kernelPort is not given). */
  pinCode?: AgentSessionOptions['pinCode'];
  /** Profiler paths and I/O (default: /proc/self/pagemap and the page_idle bitmap). */
  profilerOptions?: Partial<ProfilerOptions>;
  /** The profiler's scan interval (default: the agent's adaptive defaults, starting at 1 s). */
  scanInterval?: Partial<AdaptiveScanIntervalOptions>;
  /**
   * Called once the agent listens and the workload starts (tests send signals from here);
   * scans() counts the agent's scans folded into its history so far (0 without an agent).
   */
  onStarted?: (info: { region: WorkloadRegion; controller: BalloonController | undefined; scans: () => number }) => void;
}

/** Executes a checked plan. Cleans up (unregisters, frees, stops the bystander) whatever happens. */
export async function executeRun(plan: RunPlan, deps: RunDeps): Promise<RunResult> {
  const sysfsDir = deps.sysfsDir ?? DEFAULT_PROC_PATHS.balloonSysfs;
  const { spec } = plan;
  const cleanups: (() => Promise<void> | void)[] = [];
  const agentErrors: string[] = [];
  const balloon = plan.policy !== BASELINE_POLICY;
  const answers: RunAnswer[] = [];
  // The controller's clock is Date.now(); answers are reported relative to the workload's start.
  let runStartedAt = Date.now();
  try {
    if (plan.traceFile !== null) {
      const trace = sampleReferences(referenceString(spec), plan.traceSample);
      await writeFile(plan.traceFile, encodeReferenceString(trace));
      deps.log(`reference string: ${trace.length} page numbers (uint32, little-endian) written to ${plan.traceFile}`);
    }

    let thresholdBytes: number;
    let thresholdSource: RunResult['thresholdSource'];
    const tunables = await readBalloonCounters(sysfsDir);
    const fromSysfs = 'error' in tunables ? null : (tunables.tunables['threshold_bytes'] ?? null);
    const answerTimeoutMs = 'error' in tunables ? null : (tunables.tunables['answer_timeout_ms'] ?? null);
    if (plan.thresholdBytes !== null) [thresholdBytes, thresholdSource] = [plan.thresholdBytes, 'option'];
    else if (fromSysfs !== null) [thresholdBytes, thresholdSource] = [fromSysfs, 'sysfs'];
    else [thresholdBytes, thresholdSource] = [DEFAULT_THRESHOLD_BYTES, 'default'];

    let agent: AgentSession | undefined;
    const kernel = balloon && deps.kernelPort === undefined ? await import('../kernel/index.js') : undefined;
    const port: KernelPort | undefined = balloon ? (deps.kernelPort ?? kernel!.createKernelPort({ keepAlive: false })) : undefined;
    if (port !== undefined) {
      // Fails first, with the kernel's advice (ENOSYS: boot the VM), before anything is allocated.
      // The probe does not stay registered: the agent registers once it listens for signals.
      await probeRegistration(port);
      if (plan.thresholdBytes !== null && plan.thresholdBytes !== fromSysfs) {
        const file = `${sysfsDir}/threshold_bytes`;
        try {
          await writeFile(file, `${plan.thresholdBytes}\n`);
        } catch (err) {
          throw new Error(`cannot set the balloon threshold in ${file} (${(err as NodeJS.ErrnoException).code ?? msg(err)}): run as root inside the VM, or leave out --threshold`);
        }
        if (fromSysfs !== null) cleanups.push(() => writeFile(file, `${fromSysfs}\n`).catch(() => undefined));
      }
    }

    let bystander: Bystander | null = null;
    if (!balloon && plan.bystander && thresholdBytes > 0) {
      bystander = await startBystander(Math.ceil(thresholdBytes / PAGE_BYTES) * PAGE_BYTES, plan.bystanderMethod);
      const b = bystander;
      cleanups.push(() => b.stop());
      deps.log(`bystander holds ${b.bytes} bytes (${b.method})`);
    }

    const freeMemory = new FreeMemoryReader();
    cleanups.push(() => freeMemory.close());
    const region: WorkloadRegion = await allocWorkloadRegion(spec.pages, balloon ? 'addon' : plan.region);
    cleanups.push(() => region.free());

    if (balloon && port !== undefined && region.address !== null) {
      const pin = plan.pin ? (deps.pin ?? kernel?.pinArrays) : undefined;
      const pinCode = plan.pin ? (deps.pinCode ?? (kernel === undefined ? undefined : () => kernel.pinCode())) : undefined;
      const session = await AgentSession.start({
        kernel: port,
        regions: [{ start: region.address, length: BigInt(region.size) }],
        policy: createPolicy(plan.policy),
        ...(pin === undefined ? {} : { pin }),
        ...(pinCode === undefined ? {} : { pinCode }),
        ...(deps.profilerOptions === undefined ? {} : { profiler: deps.profilerOptions }),
        scanInterval: { ...deps.scanInterval, cpuBudget: plan.scanBudget ?? DEFAULT_ADAPTIVE_SCAN_INTERVAL_OPTIONS.cpuBudget },
        controller: {
          // Half the kernel's answer timeout: late enough for a slow guest, early enough that
          // the kernel never gives up on us and swaps by itself.
          ...(answerTimeoutMs !== null ? { deadlineMs: Math.max(200, answerTimeoutMs / 2) } : {}),
          proactive: { enabled: plan.mode === 'proactive' },
          refreshResidency: plan.refreshResidency ?? DEFAULT_RESIDENCY_REFRESH,
          // The proactive mode keeps MemFree (what the kernel compares) above the threshold plus a margin.
          memory: { thresholdPages: Math.floor(thresholdBytes / PAGE_BYTES), freePages: () => Math.floor(freeMemory.read() / PAGE_BYTES) },
          onAnswer: (a) => {
            let freeBytesAfter: number | null = null;
            try {
              freeBytesAfter = freeMemory.read();
            } catch {
              // The sampler reports an unreadable /proc/meminfo.
            }
            answers.push({
              sentMs: a.sentAt - runStartedAt,
              startMs: a.startedAt - runStartedAt,
              firstCallMs: a.firstCallAt === null ? null : a.firstCallAt - runStartedAt,
              endMs: a.endedAt - runStartedAt,
              pagesWanted: a.pagesWanted,
              freePagesAtSignal: a.freePagesAtSignal,
              freeBytesAtSignal: a.freePagesAtSignal * PAGE_BYTES,
              selections: a.selections,
              swapOutCalls: a.swapOutCalls,
              pagesFreed: a.pagesFreed,
              freeBytesAfter,
              pagesAsked: a.pagesAsked,
              coalesced: a.coalesced,
              signalSeq: a.signalSeq,
              followUp: a.followUp,
              sentByPosition: a.sentByPosition,
              latency: a.latency,
            });
          },
        },
      });
      agent = session;
      cleanups.push(() => session.stop());
      const r = session.residency;
      if (r !== null) {
        deps.log('error' in r ? `the agent's arrays stay swappable: ${r.error}` : `the agent's arrays are resident (${(r.pinnedBytes / 2 ** 20).toFixed(1)} MiB locked)`);
        if (r.codeError !== undefined) deps.log(`the agent's code stays evictable: ${r.codeError}`);
        else if (r.codeBytes !== undefined) deps.log(`the agent's code stays resident once used (${(r.codeBytes / 2 ** 20).toFixed(1)} MiB of mappings locked on fault)`);
      }
    }

    const sampler = new FreeMemorySampler({ intervalMs: plan.sampleMs, read: () => freeMemory.read() });
    const counters0 = await readBalloonCounters(sysfsDir);
    // This (main) thread's CPU and the agent's timed work, over the same span as the process's usage.
    const mainCpu = threadCpuClock();
    const main0 = mainCpu?.now() ?? null;
    const timing0 = agent?.timing;
    const usage0 = readProcessUsage();
    const snap0 = readSystemSnapshot();
    sampler.start();
    cleanups.push(() => sampler.stop());
    const t0 = performance.now();
    runStartedAt = Date.now();
    let lastLog = t0;
    // The references end where the check of every page begins: the swap figures cover the
    // references only (what MIN and other implementations of the workload are compared on);
    // the check reads back every page in swap, whatever the policy, and is reported apart.
    let snapRan: SystemSnapshot | undefined;
    const running = runWorkload(spec, region, {
      beforeVerify: () => {
        snapRan = readSystemSnapshot();
      },
      onProgress: (done, total) => {
        const now = performance.now();
        if (now - lastLog > 5000) {
          lastLog = now;
          deps.log(`${spec.name}: ${((100 * done) / total).toFixed(0)}% of ${total} references`);
        }
      },
    });
    const session = agent;
    deps.onStarted?.({ region, controller: session?.controller, scans: () => session?.scans ?? 0 });
    const run = await running;
    const wallMs = performance.now() - t0;
    sampler.stop();
    // Stop answering (the region is still there, so signals keep coming) and let the answer
    // in progress, and any call past its deadline, finish before the counters are read, so
    // that the agent's and the kernel's accounts cover the same calls.
    if (agent !== undefined) {
      await agent.stop();
      agentErrors.push(...agent.errors);
    }
    const snap1 = readSystemSnapshot();
    const usage = diffProcessUsage(usage0, readProcessUsage());
    const main1 = mainCpu?.now() ?? null;
    const timing1 = agent?.timing;
    const counters1 = await readBalloonCounters(sysfsDir);
    if (sampler.error !== undefined) agentErrors.push(`free-memory sampler: ${msg(sampler.error)}`);
    const delta = diffSnapshots(snap0, snapRan ?? snap1);
    const check = snapRan === undefined ? null : diffSnapshots(snapRan, snap1);
    const stats = agent?.controller.stats ?? null;
    const kernelCounters = 'error' in counters0 || 'error' in counters1 ? null : diffCounters(counters0.counters, counters1.counters);
    return {
      workload: spec.name,
      policy: plan.policy,
      region: region.kind,
      sizeBytes: region.size,
      pages: spec.pages,
      passes: spec.passes,
      seed: spec.seed,
      references: run.references,
      thresholdBytes,
      thresholdSource,
      wallMs,
      runMs: run.runMs,
      verifyMs: run.verifyMs,
      cpu: { userMs: usage.userMs, systemMs: usage.systemMs, totalMs: usage.userMs + usage.systemMs },
      cpuBreakdown: cpuBreakdown({
        source: mainCpu?.source ?? run.cpu.source,
        processMs: usage.userMs + usage.systemMs,
        mainThreadMs: main0 === null || main1 === null ? null : main1 - main0,
        workload: run.cpu,
        agent:
          timing0 === undefined || timing1 === undefined
            ? null
            : {
                scanThread: timing1.scanThread,
                scans: stageDelta(timing0.scans, timing1.scans),
                folds: stageDelta(timing0.folds, timing1.folds),
                prepares: stageDelta(timing0.prepares, timing1.prepares),
                refreshes: stageDelta(timing0.refreshes, timing1.refreshes),
                selections: stageDelta(timing0.selections, timing1.selections),
              },
      }),
      majorFaults: usage.majorFaults,
      minorFaults: usage.minorFaults,
      pswpin: delta.vmstat.pswpin,
      pswpout: delta.vmstat.pswpout,
      verifySwap: check === null ? null : { pswpin: check.vmstat.pswpin, pswpout: check.vmstat.pswpout, pgmajfault: check.vmstat.pgmajfault },
      pgmajfault: delta.vmstat.pgmajfault,
      vmstat: delta.vmstat,
      swapDevices: delta.swapDevices,
      swapBusyMs: delta.swapBusyMs,
      thresholdDeficitMiBs: sampler.deficitMiBs(thresholdBytes, bystander?.bytes ?? 0),
      peakResidentBytes: process.resourceUsage().maxRSS * 1024,
      freeMemory: { intervalMs: sampler.intervalMs, samples: sampler.series.length, minFreeBytes: sampler.minFreeBytes(), series: sampler.series },
      // Every balloon run has a controller (its region is the addon's), which counts the signals,
      // those answered and those that arrived while it stopped (still registered).
      mode: plan.mode,
      scanBudget: plan.scanBudget,
      refreshResidency: plan.refreshResidency,
      sigballoonCount: stats === null ? 0 : stats.signalsReceived + stats.signalsAfterStop,
      swapOutCalls: stats?.swapOutCalls ?? 0,
      pagesRequested: stats?.pagesRequested ?? 0,
      pagesFreed: stats?.pagesFreed ?? 0,
      controller: stats === null ? null : { ...stats },
      answers,
      signalLatency: summarizeSignalLatency(answers),
      scans: agent?.scans ?? null,
      accessMap: agent?.accessMap(runStartedAt) ?? null,
      agentResidency: agent?.residency ?? null,
      agentErrors,
      integrity: run.integrity,
      kernelCounters,
      kernelCountersError: 'error' in counters1 ? counters1.error : 'error' in counters0 ? counters0.error : null,
      bystander: bystander === null ? null : { method: bystander.method, bytes: bystander.bytes },
      traceFile: plan.traceFile,
    };
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        deps.log(`cleanup: ${msg(err)}`);
      }
    }
  }
}
