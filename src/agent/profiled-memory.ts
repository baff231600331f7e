import { AccessHistory, absentRanges, type HistoryUpdateStats, type ResidencyPages, type ResidencyScope } from './access-history.js';
import { AgentError } from './errors.js';
import type { ProfilerPort } from './kernel-port.js';
import { PageState, type ByteRange, type PageRange } from './page-state.js';
import type { PolicyState } from './policies/policy.js';
import { Profiler, type ProfilerOptions } from './profiler.js';
import type { RegionLayout } from './region-layout.js';
import { PageFlag } from './pagemap.js';
import { ResidencyReader, type ResidencySource } from './residency.js';

/** What one refreshResidency() changed in the history. */
export interface ResidencyChange {
  /** Pages present again that the history had as swapped or absent: faulted in since, so just used. */
  loaded: number;
  /** Pages the history had as present that are gone: the kernel swapped them out itself. */
  gone: number;
}

/** What the history needs from one scan: per page, accessed since the last scan (1) and its PageState. */
export interface ScanSnapshot {
  accessed: Uint8Array;
  state: Uint8Array;
}

/**
 * Where scans come from: the Profiler on this thread (synchronous), or
 * ScanWorker (scan-worker.ts), which runs it on a worker thread.
 */
export interface ScanSource {
  readonly layout: RegionLayout;
  /** The per-page arrays on this thread (to keep resident). */
  arrays(): ArrayBufferView[];
  scan(): ScanSnapshot | Promise<ScanSnapshot>;
  close(): void | Promise<void>;
}

/**
 * Glue between the profiler (what was touched) and the AccessHistory (what
 * policies read): the real ProfilerPort used by the controller.
 *
 * A page released by a swap-out call stays released in the history while
 * the call runs, and also when the scan being folded had read it before
 * the release: a scan that runs meanwhile still finds it present in
 * pagemap (the kernel had not reached it yet), and must not offer it to
 * the policy again. A scan read before a release is the rule when scans run
 * on a worker thread, concurrently with answers.
 */
export class ProfiledMemory implements ProfilerPort {
  readonly history: AccessHistory;
  /** Swap-out calls covering each page that have not returned yet. */
  private readonly inFlight: Uint16Array;
  private inFlightPages = 0;
  /** Per page, the number of the last markReleased() call that covered it (0: never). */
  private readonly releasedAt: Uint32Array;
  private releases = 0;
  /** Called with each scan as it is folded, after the releases are applied (the session's access map). */
  onFold: ((snapshot: ScanSnapshot) => void) | undefined;
  /** Runs each refreshResidency()'s work (the session times it). */
  timeRefresh: (work: () => ResidencyChange) => ResidencyChange = (work) => work();

  /**
   * residency: where refreshResidency() reads which pages are present
   * between scans (none: it does nothing).
   */
  constructor(
    readonly source: ScanSource,
    private readonly residency?: ResidencySource,
  ) {
    const n = source.layout.pageCount;
    this.history = new AccessHistory(n);
    this.inFlight = new Uint16Array(n);
    this.releasedAt = new Uint32Array(n);
  }

  /** Over a Profiler on this thread. */
  static inThread(regions: readonly ByteRange[], options: Partial<ProfilerOptions> = {}): ProfiledMemory {
    const profiler = new Profiler(regions, options);
    return new ProfiledMemory(profiler, new ResidencyReader(profiler.layout, options));
  }

  get layout(): RegionLayout {
    return this.source.layout;
  }

  /** Pages in swap-out calls that have not returned. */
  get pagesInFlight(): number {
    return this.inFlightPages;
  }

  /** The source's, the history's and the release bookkeeping's per-page arrays on this thread (to keep resident). */
  arrays(): ArrayBufferView[] {
    return [...this.source.arrays(), ...this.history.arrays(), ...(this.residency?.arrays() ?? []), this.inFlight, this.releasedAt];
  }

  /**
   * One scan folded into the history; synchronous, so only for a source on
   * this thread. With a worker's source: `since = releaseCount`, await its
   * scan(), then fold(snapshot, since).
   */
  scan(): HistoryUpdateStats {
    const since = this.releases;
    const snapshot = this.source.scan();
    if (snapshot instanceof Promise) throw new AgentError('this profiler scans on another thread: await its scan(), then fold(snapshot, since)');
    return this.fold(snapshot, since);
  }

  /** markReleased() calls so far: what a scan read now is newer than (fold's `since`). */
  get releaseCount(): number {
    return this.releases;
  }

  /**
   * Folds a scan read after release number `since` (releaseCount when the
   * scan started): pages released later, or still in flight, stay released.
   */
  fold(snapshot: ScanSnapshot, since: number): HistoryUpdateStats {
    const { state } = snapshot;
    if (this.inFlightPages > 0 || this.releases > since) {
      for (let page = 0; page < this.layout.pageCount; page++) {
        if (state[page] === PageState.Present && (this.inFlight[page]! > 0 || this.releasedAt[page]! > since)) state[page] = PageState.Swapped;
      }
    }
    this.onFold?.(snapshot);
    return this.history.update(snapshot.accessed, state);
  }

  policyState(): PolicyState {
    return this.history;
  }

  /**
   * Brings the history's residency up to date from pagemap, between scans
   * (AccessHistory.noteResidency for every page): a page gone (the kernel's
   * fallback swapped it) is no longer offered to the policy; a page that
   * arrived since the last scan counts as just used, and with scope 'all'
   * so does a page back from swap. Pages in a swap-out call are left as
   * they are. Without it, between two scans far apart, the policy chooses
   * among pages that are no longer there and cannot see those written
   * since: answers fall short, or take the pages the last scan saw, the
   * oldest, and the kernel's fallback swaps instead (docs/controller.md).
   * With pages 'unseen', only the pages the history never had present are
   * read (ResidencyPages): after a first write, none, so no read at all.
   */
  refreshResidency(scope: ResidencyScope, pages: ResidencyPages = 'all'): ResidencyChange {
    const residency = this.residency;
    if (residency === undefined) return { loaded: 0, gone: 0 };
    return this.timeRefresh(() => {
      const { history, inFlight } = this;
      const ranges = pages === 'unseen' ? absentRanges(history.state) : [{ first: 0, count: this.layout.pageCount }];
      if (ranges.length === 0) return { loaded: 0, gone: 0 };
      const flags = residency.read(pages === 'unseen' ? ranges : undefined);
      let loaded = 0;
      let gone = 0;
      for (const { first, count } of ranges) {
        for (let page = first; page < first + count; page++) {
          if (inFlight[page]! > 0) continue;
          const change = history.noteResidency(page, (flags[page]! & PageFlag.Present) !== 0, scope);
          if (change > 0) loaded++;
          else if (change < 0) gone++;
        }
      }
      return { loaded, gone };
    });
  }

  markReleased(ranges: readonly PageRange[]): void {
    const release = ++this.releases;
    for (const range of ranges) {
      for (let page = range.first; page < range.first + range.count; page++) {
        this.history.markSwapped(page);
        this.releasedAt[page] = release;
        if (this.inFlight[page]! === 0) this.inFlightPages++;
        this.inFlight[page]!++;
      }
    }
  }

  releaseEnded(ranges: readonly PageRange[]): void {
    for (const range of ranges) {
      for (let page = range.first; page < range.first + range.count; page++) {
        if (this.inFlight[page]! === 0) continue;
        if (--this.inFlight[page]! === 0) this.inFlightPages--;
      }
    }
  }

  close(): void | Promise<void> {
    this.residency?.close();
    return this.source.close();
  }
}
