import { AccessHistory, type ResidencyPages, type ResidencyScope } from './access-history.js';
import { BalloonController, type AnswerRecord, type ControllerOptionsInput, type ControllerStats } from './controller.js';
import { AgentError } from './errors.js';
import type { BalloonSignal, KernelPort, ProfilerPort, SwapOutResult } from './kernel-port.js';
import { PAGE_SIZE_BIG, PageState, type ByteRange, type PageRange } from './page-state.js';
import type { PolicyState } from './policies/policy.js';
import { RegionLayout } from './region-layout.js';
import { tracePageCount } from './trace.js';

/**
 * A unit-level model of one machine under memory pressure, to compare the
 * controller's modes (reactive answers only, or proactive rounds as well)
 * on a reference string, with the real BalloonController in the loop.
 *
 * Time is counted in references. The workload's resident pages use the
 * machine's memory; free = memoryPages − resident. The kernel's watcher
 * runs every watcherEveryReferences: below the threshold it sends
 * threshold − free pages' worth of request, and no new one while the last
 * is unanswered, until answerTimeoutReferences passed (as mm/balloon.c
 * does). A swap-out call takes callLatencyReferences plus
 * pageLatencyReferences per page, and frees the pages when it completes.
 * When a fault finds no free page, the kernel's safety rail writes a page
 * itself (CLOCK over the referenced bits): a fallback page. The profiler
 * scans every scanEveryReferences; in between, refreshResidency() reads the
 * pages' true residency, as pagemap would. Proactive rounds, when enabled, run after
 * every scan. The controller's clocks count references too: its answers'
 * stage times (AnswerRecord.latency) are in references after the watcher
 * sent the signal.
 */
export interface PressureModelOptions {
  /** Pages of memory the workload can use before free memory is 0. */
  memoryPages: number;
  thresholdPages: number;
  scanEveryReferences: number;
  watcherEveryReferences: number;
  answerTimeoutReferences: number;
  callLatencyReferences: number;
  pageLatencyReferences: number;
  /** Controller options (policy, hysteresis, proactive…); deadlines are in references. */
  controller: ControllerOptionsInput;
}

export const DEFAULT_PRESSURE_MODEL_OPTIONS: Omit<PressureModelOptions, 'memoryPages' | 'thresholdPages' | 'controller'> = {
  scanEveryReferences: 256,
  watcherEveryReferences: 256,
  answerTimeoutReferences: 10 * 256,
  callLatencyReferences: 16,
  pageLatencyReferences: 0.25,
};

export interface PressureModelResult {
  references: number;
  coldMisses: number;
  swapIns: number;
  /** Pages the agent freed (reactive answers and proactive rounds). */
  pagesFreed: number;
  proactivePagesFreed: number;
  /** Pages the kernel's safety rail wrote because no page was free. */
  fallbackPages: number;
  signals: number;
  swapOutCalls: number;
  /** Σ max(0, threshold − free) over references, in pages × references. */
  deficit: number;
  /** Mean of max(0, threshold − free), in pages. */
  meanDeficitPages: number;
  minFreePages: number;
  /** Workload pages resident at the end (coldMisses + swapIns − pagesFreed − fallbackPages). */
  residentPages: number;
  answers: AnswerRecord[];
  /** Pages the agent sent, by where they lie in the workload's pages (ControllerStats.sentByPosition). */
  sentByPosition: ControllerStats['sentByPosition'];
}

const Truth = { Absent: 0, Present: 1, Swapped: 2 } as const;

interface PendingCall {
  dueAt: number;
  pages: number[];
  resolve: (result: SwapOutResult) => void;
}

/** Lets every promise chain the controller started run to its next wait on the model. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runPressureModel(trace: Uint32Array, options: Partial<PressureModelOptions> & Pick<PressureModelOptions, 'memoryPages' | 'thresholdPages'>): Promise<PressureModelResult> {
  const o: PressureModelOptions = { ...DEFAULT_PRESSURE_MODEL_OPTIONS, controller: {}, ...options };
  if (!(Number.isInteger(o.memoryPages) && o.memoryPages > 0 && o.thresholdPages >= 0 && o.thresholdPages < o.memoryPages)) {
    throw new AgentError('invalid pressure model: need 0 <= thresholdPages < memoryPages', { memoryPages: o.memoryPages, thresholdPages: o.thresholdPages });
  }
  const pageCount = tracePageCount(trace);
  const base = 1n << 32n;
  const layout = new RegionLayout([{ start: base, length: BigInt(pageCount) * PAGE_SIZE_BIG }]);
  const truth = new Uint8Array(pageCount);
  const everLoaded = new Uint8Array(pageCount);
  const referenced = new Uint8Array(pageCount);
  const clockBit = new Uint8Array(pageCount);
  const history = new AccessHistory(pageCount);
  const inFlight = new Uint16Array(pageCount);
  const scanState = new Uint8Array(pageCount);
  let resident = 0;
  let t = 0;
  const pending: PendingCall[] = [];
  let listener: ((signal: BalloonSignal) => void) | undefined;
  let outstandingSince: number | null = null;

  const kernel: KernelPort = {
    register: async () => {},
    unregister: async () => {},
    onSignal: (l) => {
      listener = l;
      return () => (listener = undefined);
    },
    swapOut: (ranges: readonly ByteRange[]) =>
      new Promise<SwapOutResult>((resolve) => {
        const pages: number[] = [];
        for (const r of ranges) {
          const first = Number((r.start - base) / PAGE_SIZE_BIG);
          for (let page = first; page < first + Number(r.length / PAGE_SIZE_BIG); page++) pages.push(page);
        }
        pending.push({ dueAt: t + o.callLatencyReferences + pages.length * o.pageLatencyReferences, pages, resolve });
      }),
  };
  const profiler: ProfilerPort = {
    layout,
    policyState: (): PolicyState => history,
    markReleased: (ranges: readonly PageRange[]) => {
      for (const r of ranges) for (let p = r.first; p < r.first + r.count; p++) {
        history.markSwapped(p);
        inFlight[p]!++;
      }
    },
    releaseEnded: (ranges: readonly PageRange[]) => {
      for (const r of ranges) for (let p = r.first; p < r.first + r.count; p++) inFlight[p]!--;
    },
    refreshResidency: (scope: ResidencyScope, pages: ResidencyPages = 'all') => {
      for (let p = 0; p < pageCount; p++) {
        if (pages === 'unseen' && history.state[p] !== PageState.Absent) continue;
        if (!inFlight[p]) history.noteResidency(p, truth[p] === Truth.Present, scope);
      }
    },
  };
  const answers: AnswerRecord[] = [];
  const controller = new BalloonController(kernel, profiler, {
    deadlineMs: o.answerTimeoutReferences / 2,
    ...o.controller,
    now: () => t,
    monotonicNs: () => BigInt(t) * 1_000_000n,
    memory: { thresholdPages: o.thresholdPages, freePages: () => o.memoryPages - resident },
    onAnswer: (a) => answers.push(a),
  });
  await controller.start();

  const result: PressureModelResult = {
    references: trace.length,
    coldMisses: 0,
    swapIns: 0,
    pagesFreed: 0,
    proactivePagesFreed: 0,
    fallbackPages: 0,
    signals: 0,
    swapOutCalls: 0,
    deficit: 0,
    meanDeficitPages: 0,
    minFreePages: o.memoryPages,
    residentPages: 0,
    answers,
    sentByPosition: controller.stats.sentByPosition,
  };
  let hand = 0;
  const railEvict = (): void => {
    // CLOCK: the kernel's own choice, second chance for referenced pages.
    for (;;) {
      if (truth[hand] === Truth.Present) {
        if (clockBit[hand]) clockBit[hand] = 0;
        else {
          truth[hand] = Truth.Swapped;
          resident--;
          result.fallbackPages++;
          return;
        }
      }
      hand = (hand + 1) % pageCount;
    }
  };
  const proactive = controller.proactive;

  for (t = 0; t < trace.length; t++) {
    if (pending.length > 0) {
      let completed = false;
      for (let i = 0; i < pending.length; ) {
        const call = pending[i]!;
        if (call.dueAt > t) {
          i++;
          continue;
        }
        pending.splice(i, 1);
        const r: SwapOutResult = { freed: 0, skipped: 0, failed: 0 };
        for (const page of call.pages) {
          if (truth[page] === Truth.Present) {
            truth[page] = Truth.Swapped;
            resident--;
            r.freed++;
          } else r.skipped++;
        }
        if (r.freed > 0) outstandingSince = null;
        call.resolve(r);
        completed = true;
      }
      if (completed) await settle();
    }

    const page = trace[t]!;
    referenced[page] = 1;
    clockBit[page] = 1;
    if (truth[page] !== Truth.Present) {
      if (everLoaded[page]) result.swapIns++;
      else result.coldMisses++;
      if (resident >= o.memoryPages) railEvict();
      truth[page] = Truth.Present;
      everLoaded[page] = 1;
      resident++;
    }
    const free = o.memoryPages - resident;
    if (free < result.minFreePages) result.minFreePages = free;
    if (free < o.thresholdPages) result.deficit += o.thresholdPages - free;

    if ((t + 1) % o.scanEveryReferences === 0) {
      for (let p = 0; p < pageCount; p++) {
        const s = truth[p]!;
        scanState[p] = s === Truth.Present ? (inFlight[p] ? PageState.Swapped : PageState.Present) : s === Truth.Swapped ? PageState.Swapped : PageState.Absent;
      }
      history.update(referenced, scanState);
      referenced.fill(0);
      if (proactive) {
        void controller.proactiveRound();
        await settle();
      }
    }
    // The watcher runs half a period after the scans, not in the same step.
    if ((t + 1 + (o.watcherEveryReferences >> 1)) % o.watcherEveryReferences === 0 && free < o.thresholdPages) {
      if (outstandingSince === null || t - outstandingSince >= o.answerTimeoutReferences) {
        outstandingSince = t;
        result.signals++;
        listener?.({ pagesWanted: o.thresholdPages - free, freePages: free, sentAtNs: BigInt(t) * 1_000_000n, seq: result.signals });
        await settle();
      }
    }
  }
  // The trace is over: calls in flight, and any the controller still makes, complete at once.
  const completeAll = (): void => {
    for (const call of pending.splice(0)) call.resolve({ freed: 0, skipped: call.pages.length, failed: 0 });
  };
  const stopped = controller.stop();
  let done = false;
  void stopped.finally(() => (done = true));
  while (!done) {
    completeAll();
    await settle();
  }
  await stopped;
  result.pagesFreed = controller.stats.pagesFreed;
  result.proactivePagesFreed = controller.stats.proactivePagesFreed;
  result.swapOutCalls = controller.stats.swapOutCalls;
  result.sentByPosition = controller.stats.sentByPosition;
  result.meanDeficitPages = result.deficit / Math.max(1, trace.length);
  result.residentPages = resident;
  return result;
}
