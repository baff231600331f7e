import { AgentError } from '../errors.js';
import { PageState, type PageRange } from '../page-state.js';
import type { EvictionPolicy, PolicyState } from './policy.js';
import { indicesToRanges, quickselect } from './select.js';

export interface BalloonPolicyOptions {
  /**
   * Scans of slack in the protection test. A hit is seen only at the next
   * scan, so a page used since the last scan still shows its previous
   * access: a reuse must beat the horizon by more than this to count.
   */
  horizonSlackScans: number;
  /** Evictions for which an evicted protected page is remembered, as a multiple of memory (ARC's B2). */
  ghostHistoryFactor: number;
  /**
   * First call: probation starts at the resident pages already used more
   * than once (true), or at its minimum, LIRS's start (false).
   */
  startFromReuse: boolean;
  /**
   * Protected pages that got there on arrival (used once, nothing since) go
   * before the others and newest first (true), or every protected page goes
   * least recently used first (false: the order before 2026-12-03, kept for
   * the ablation).
   */
  filledNewestFirst: boolean;
  /**
   * Probation's floor is the request, up to this share of memory. A larger
   * request (a guest's answers ask for up to a third of the region at once)
   * then does not cut the protected set down to memory − request: what
   * probation lacks, a selection takes from the protected set in its order.
   * 1 reserves the whole request (the rule before 2026-12-03).
   */
  probationFloorShare: number;
}

/** Defaults measured with the matrix of docs/policies.md. */
export const DEFAULT_BALLOON_POLICY_OPTIONS: BalloonPolicyOptions = {
  horizonSlackScans: 1,
  ghostHistoryFactor: 1,
  startFromReuse: true,
  filledNewestFirst: true,
  probationFloorShare: 1 / 32,
};

/** Status of a page in the policy's own bookkeeping. */
const NONE = 0;
const PROBATION = 1;
const PROTECTED = 2;

/** Counters of the policy's decisions (for tests, the bench and the docs). */
export interface BalloonPolicyStats {
  /** Pages on probation that earned protection (their reuse beat the horizon): probation grows. */
  gains: number;
  /** Tests that ended without that, and protected pages let go that came back: probation shrinks. */
  losses: number;
  promotions: number;
  demotions: number;
  /** Full refreshes of the order (O(pages) each): after each change of the history, and when the queue cannot be taken up again. */
  refreshes: number;
}

/**
 * The project's policy: LIRS's protected set, sized the way ARC sizes its
 * lists, on the per-scan information of the access history (see
 * docs/policies.md for the design and the measurements).
 *
 * - Every resident page is *protected* or on *probation*. Victims come from
 *   probation, least recently used first (last access, then the aging
 *   counter); from the protected set only when probation runs out.
 * - The *horizon* is the oldest last access among resident pages: how far
 *   back memory reaches. A page on probation that is used again, and whose
 *   previous use is more recent than the horizon (its inter-reference
 *   recency fits in memory, LIRS's test), becomes protected; otherwise it
 *   stays on probation, starting a test. All comparisons are between scan
 *   numbers, so they keep their meaning when the scan interval changes.
 * - The probation target p (in pages) adapts as ARC's and CLOCK-Pro's do:
 *   a test that succeeds (the page came back, resident or not, within the
 *   horizon) grows p by one page; a test that fails (the page's last use
 *   fell behind the horizon) or a protected page let go that comes back
 *   within `ghostHistoryFactor` × memory evictions (ARC's B2 hit) shrinks
 *   it. Small p is LIRS (scans and loops larger than memory go through
 *   probation, the protected set stays), large p is LRU (moving working
 *   sets).
 * - The protected set holds memory − p pages (p at least the request, up
 *   to probationFloorShare of memory): beyond that, pages are demoted to
 *   probation; below that, pages used for the first time fill it in order
 *   of arrival (LIRS's start), and pages used again too once p is at its
 *   minimum. Its pages go (demoted, or taken when probation runs out)
 *   filled ones first, newest arrival first, then the earned ones, least
 *   recently used first.
 * Stateful: keep one instance per managed memory.
 */
export class BalloonPolicy implements EvictionPolicy {
  readonly name = 'balloon';
  readonly stats: BalloonPolicyStats = { gains: 0, losses: 0, promotions: 0, demotions: 0, refreshes: 0 };
  private readonly options: BalloonPolicyOptions;

  private capacity = 0;
  private status = new Uint8Array(0);
  /** lastAccess as of the previous call (0 = never seen). */
  private seen = new Uint32Array(0);
  /** 1 while a page on probation (resident or evicted) is being tested. */
  private testing = new Uint8Array(0);
  /** 1 from our choice of a page as a victim until we see it present again. */
  private evicted = new Uint8Array(0);
  /** 1 for a page that earned protection, until it starts a new test. */
  private proven = new Uint8Array(0);
  /**
   * 1 for a protected page that got there by arriving while the protected set
   * had room (a first use, no reuse seen), until it is used again or leaves
   * the set. Such pages are let go newest first (enqueue, lowest).
   */
  private filled = new Uint8Array(0);
  /** The status a page had when it was chosen (restore() puts it back). */
  private takenFrom = new Uint8Array(0);
  /** Value of the eviction counter when the page was chosen. */
  private evictedAt = new Float64Array(0);
  private evictions = 0;
  private keys = new Float64Array(0);
  private candidates = new Uint32Array(0);
  /** Pages used for the first time (from the front) and used again (from the back) in this call: at most one entry per page. */
  private arrivals = new Uint32Array(0);
  /** This call's victims. */
  private victims = new Uint32Array(0);
  /**
   * The order of victims as of the last refresh: probation's pages by last
   * access, aging counter and index, packed one per number (see pageScale),
   * then, once probation is exhausted, the protected set's in the same order.
   */
  private queue = new Float64Array(0);
  private queueLength = 0;
  private queueCursor = 0;
  /** Whether the protected set's pages follow probation's in the queue. */
  private queueHasProtected = false;
  /**
   * Where the first take() since the last restore() or refresh started in
   * the queue (-1: none), and whether the queue is still the one it took
   * from (no take went on to the protected set, which replaces the queue's
   * rest): then restore() only moves the cursor back.
   */
  private takeStart = -1;
  private takeRewindable = true;
  /** History version of the last refresh (-1: none yet), and the pages the last call wanted. */
  private refreshedVersion = -1;
  private lastWanted = 0;
  /** Target size of probation, in pages (-1 until the first call). */
  private probationTarget = -1;

  constructor(options: Partial<BalloonPolicyOptions> = {}) {
    this.options = { ...DEFAULT_BALLOON_POLICY_OPTIONS, ...options };
    const o = this.options;
    if (!(o.horizonSlackScans >= 0 && o.ghostHistoryFactor >= 0 && o.probationFloorShare > 0 && o.probationFloorShare <= 1)) {
      throw new AgentError('invalid balloon policy options', { ...o });
    }
  }

  /** Current probation target in pages (-1 before the first call). */
  get probationPages(): number {
    return this.probationTarget;
  }

  reserve(pageCount: number): readonly ArrayBufferView[] {
    this.ensureCapacity(pageCount);
    return [this.status, this.seen, this.testing, this.evicted, this.proven, this.filled, this.takenFrom, this.evictedAt, this.keys, this.candidates, this.arrivals, this.victims, this.queue];
  }

  /**
   * Victims for pagesWanted pages: from the order of the last refresh while
   * the history has not changed since (only releases, which it skips), so
   * that the answers between two scans cost O(pages taken); after a change,
   * a refresh first (one O(pages) pass, and a sort of probation).
   */
  selectVictims(state: PolicyState, pagesWanted: number): PageRange[] {
    if (pagesWanted <= 0) return [];
    this.ensureCapacity(state.pageCount);
    this.lastWanted = pagesWanted;
    let refreshed = false;
    if (state.version !== this.refreshedVersion) {
      if (!this.refresh(state, pagesWanted)) return [];
      refreshed = true;
    }
    let chosen = this.take(state, pagesWanted, 0);
    // The queue ran dry while pages chosen earlier were not released (still present): a refresh takes them back.
    if (chosen < pagesWanted && !refreshed && this.refresh(state, pagesWanted)) {
      for (let i = 0; i < chosen; i++) this.status[this.victims[i]!] = NONE; // not twice in one call
      chosen = this.take(state, pagesWanted, chosen);
    }
    return indicesToRanges(this.victims.subarray(0, chosen).sort());
  }

  /**
   * Pages chosen earlier and not sent go back to the set they were taken
   * from. While the queue they were taken from stands, its cursor moves
   * back to where the takes since the last restore began: the pages sent
   * are skipped again, the ones given back are taken again in their order.
   * Else the order is rebuilt at the next selection (a full refresh).
   */
  restore(state: PolicyState, ranges: readonly PageRange[]): void {
    const { status, evicted, takenFrom } = this;
    let restored = 0;
    for (const { first, count } of ranges) {
      for (let page = first; page < first + count && page < this.capacity; page++) {
        if (evicted[page] !== 1 || status[page] !== NONE || state.state[page] !== PageState.Present) continue;
        evicted[page] = 0;
        status[page] = takenFrom[page]!;
        restored++;
      }
    }
    if (restored === 0) return;
    if (this.takeRewindable && this.takeStart >= 0) this.queueCursor = Math.min(this.queueCursor, this.takeStart);
    else this.refreshedVersion = -1;
    this.takeStart = -1;
    this.takeRewindable = true;
  }

  /** After a scan: the refresh the next selection would do, done now (with the last call's size). */
  prepare(state: PolicyState): void {
    if (this.lastWanted <= 0 || state.version === this.refreshedVersion) return;
    this.ensureCapacity(state.pageCount);
    this.refresh(state, this.lastWanted);
  }

  /**
   * Brings the policy's bookkeeping up to date with the history (tests,
   * promotions, the probation target, the protected set's size) and orders
   * probation's pages. Returns false when no page is resident.
   */
  private refresh(state: PolicyState, pagesWanted: number): boolean {
    const n = state.pageCount;
    const { status, seen, testing, evicted, proven, filled, evictedAt } = this;
    const { lastAccess } = state;
    const pageState = state.state;
    const PRESENT = PageState.Present;

    // One pass: memory (resident pages) and the horizon, the oldest last access among them as of the previous call.
    let memory = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (let page = 0; page < n; page++) {
      if (pageState[page] !== PRESENT) continue;
      memory++;
      if (status[page] !== NONE && seen[page]! < oldest) oldest = seen[page]!;
    }
    this.refreshedVersion = state.version;
    this.stats.refreshes++;
    this.queueLength = 0;
    this.queueCursor = 0;
    this.queueHasProtected = false;
    this.takeStart = -1;
    this.takeRewindable = true;
    if (memory === 0) return false;
    // Probation's floor: the request, up to a share of memory (options.probationFloorShare).
    const minProbation = Math.min(memory, pagesWanted, Math.ceil(memory * this.options.probationFloorShare));
    const firstCall = this.probationTarget < 0;
    const horizon = oldest === Number.POSITIVE_INFINITY ? 0 : oldest + this.options.horizonSlackScans;
    const ghostHistory = memory * this.options.ghostHistoryFactor;

    let gains = 0;
    let losses = 0;
    let promotions = 0;
    let protectedCount = 0;
    // Scratch buffers, not arrays of numbers: a selection allocates nothing per page, so it
    // triggers no garbage collection over a heap the kernel may have swapped out meanwhile.
    const { arrivals } = this;
    let firstUses = 0;
    let reuses = 0;
    for (let page = 0; page < n; page++) {
      const last = lastAccess[page]!;
      if (pageState[page] !== PRESENT) {
        status[page] = NONE;
        filled[page] = 0;
        if (testing[page] === 1 && seen[page]! <= horizon) {
          testing[page] = 0; // evicted, and not back within the horizon: the test failed
          losses++;
        }
        continue;
      }
      const refaulted = evicted[page] === 1;
      if (refaulted) {
        evicted[page] = 0;
        if (proven[page] === 1 && this.evictions - evictedAt[page]! <= ghostHistory) losses++; // ARC's B2 hit
      }
      const current = status[page]!;
      if (current !== PROTECTED && (refaulted || last !== seen[page] || current === NONE)) {
        filled[page] = 0;
        const previous = this.previousAccess(state, page, refaulted);
        const fits = previous > horizon;
        if (testing[page] === 1) {
          if (fits) gains++;
          else losses++;
        }
        if (fits) {
          status[page] = PROTECTED;
          testing[page] = 0;
          proven[page] = 1;
          promotions++;
        } else {
          if (previous === 0) arrivals[firstUses++] = page;
          else arrivals[n - ++reuses] = page;
          status[page] = PROBATION;
          testing[page] = 1;
          proven[page] = 0;
        }
      } else if (current === PROTECTED && last !== seen[page]) {
        filled[page] = 0; // used again: its place is earned, and recency orders it from now on
      } else if (current === PROBATION && testing[page] === 1 && last <= horizon) {
        testing[page] = 0; // resident, unused, and behind the horizon: the test failed
        losses++;
      }
      seen[page] = last;
      if (status[page] === PROTECTED) protectedCount++;
    }
    this.stats.gains += gains;
    this.stats.losses += losses;
    this.stats.promotions += promotions;
    // The first call starts from what memory holds: pages used once (a scan, a first fill) call for LIRS's
    // small probation, pages already used again for LRU's large one.
    if (firstCall) this.probationTarget = this.options.startFromReuse ? memory - firstUses : minProbation;
    this.probationTarget = Math.min(memory - minProbation, Math.max(minProbation, this.probationTarget + gains - losses));
    const protectedTarget = memory - this.probationTarget;

    // Below its target, the protected set takes pages in order of arrival (first uses always, reuses in LIRS mode):
    // the earliest ones of each list, picked in linear time (a sort of a first fill's 100,000 pages took
    // seconds of an answer's time in a TCG guest).
    if (protectedCount < protectedTarget && firstUses + reuses > 0) {
      const firstUseList = arrivals.subarray(0, firstUses);
      const reuseList = arrivals.subarray(n - reuses, n);
      const lists = this.probationTarget <= minProbation ? [reuseList, firstUseList] : [firstUseList];
      for (const list of lists) {
        if (protectedCount >= protectedTarget) break;
        const earliest = this.earliestArrivals(state, list, protectedTarget - protectedCount);
        const firstUse = list === firstUseList && this.options.filledNewestFirst ? 1 : 0;
        for (let i = 0; i < earliest.length; i++) {
          const page = earliest[i]!;
          status[page] = PROTECTED;
          testing[page] = 0;
          proven[page] = 1;
          filled[page] = firstUse;
          protectedCount++;
        }
      }
    }

    // Above its target, pages go to probation: filled ones newest first, then the least recently used.
    if (protectedCount > protectedTarget) {
      const demoted = this.lowest(state, PROTECTED, protectedCount - protectedTarget);
      for (let i = 0; i < demoted.length; i++) {
        status[demoted[i]!] = PROBATION;
        filled[demoted[i]!] = 0;
      }
      this.stats.demotions += demoted.length;
    }

    this.enqueue(state, PROBATION);
    return true;
  }

  /**
   * Takes victims from the queue into victims[from..pagesWanted): probation
   * least recently used first, then the protected set's (queued at their
   * first need). Pages released since the refresh (not present, or already
   * taken) are skipped. Returns the number of victims.
   */
  private take(state: PolicyState, pagesWanted: number, from: number): number {
    const { victims, queue, status, evicted, evictedAt } = this;
    const pageState = state.state;
    const scale = this.pageScale(state.pageCount);
    let chosen = from;
    if (this.takeStart < 0) this.takeStart = this.queueCursor;
    for (;;) {
      while (chosen < pagesWanted && this.queueCursor < this.queueLength) {
        const packed = queue[this.queueCursor++]!;
        const page = packed % scale;
        if (status[page] === NONE || pageState[page] !== PageState.Present) continue;
        victims[chosen++] = page;
        this.takenFrom[page] = status[page]!;
        status[page] = NONE;
        evicted[page] = 1;
        evictedAt[page] = ++this.evictions;
      }
      if (chosen >= pagesWanted || this.queueHasProtected) break;
      this.enqueue(state, PROTECTED);
      this.queueHasProtected = true;
      this.takeRewindable = false;
    }
    return chosen;
  }

  /**
   * Replaces the queue's rest with the present pages of a status in the
   * order they go: least recently used first; for the protected set, its
   * filled pages before the others, newest arrival first.
   */
  private enqueue(state: PolicyState, wanted: number): void {
    const { queue, status, filled } = this;
    const { lastAccess, age } = state;
    const pageState = state.state;
    const scale = this.pageScale(state.pageCount);
    // The protected set's filled pages first, newest first; then (and on probation, all) by recency.
    const newestFirst = wanted === PROTECTED;
    let length = 0;
    if (newestFirst) {
      for (let page = 0; page < state.pageCount; page++) {
        if (status[page] !== wanted || pageState[page] !== PageState.Present || filled[page] !== 1) continue;
        queue[length++] = lastAccess[page]! * scale + page;
      }
      queue.subarray(0, length).sort().reverse();
    }
    const start = length;
    for (let page = 0; page < state.pageCount; page++) {
      if (status[page] !== wanted || pageState[page] !== PageState.Present || (newestFirst && filled[page] === 1)) continue;
      queue[length++] = (lastAccess[page]! * 256 + age[page]!) * scale + page;
    }
    queue.subarray(start, length).sort();
    this.queueLength = length;
    this.queueCursor = 0;
  }

  /**
   * The factor that packs a page's key (last access × 256 + aging counter)
   * and its index into one number, exact in a double: the power of two above
   * the page count (2^21 for the 2^20 pages of 4 GiB), which leaves 2^32 for
   * the key, that is 2^24 scans, far more than any run makes.
   */
  private pageScale(pageCount: number): number {
    return 2 ** Math.max(1, Math.ceil(Math.log2(pageCount + 1)));
  }

  /**
   * The `count` pages of `list` that arrived first: oldest last access, then
   * earliest load (load stamps are unique). In no particular order; `list` is
   * reordered in place.
   */
  private earliestArrivals(state: PolicyState, list: Uint32Array, count: number): Uint32Array {
    if (count >= list.length) return list;
    const { keys } = this;
    const { lastAccess, loadStamp } = state;
    // Exact in a double: scans stay far below 2^20, loads below 2^33.
    for (let i = 0; i < list.length; i++) {
      const page = list[i]!;
      keys[page] = lastAccess[page]! * 2 ** 33 + loadStamp[page]!;
    }
    quickselect(list, list.length, count, keys);
    return list.subarray(0, count);
  }

  /**
   * The `count` present pages of a status that go first: filled pages,
   * newest arrival first, then the oldest last access (ties: aging counter);
   * a view of the candidates buffer, valid until the next call.
   */
  private lowest(state: PolicyState, wanted: number, count: number): Uint32Array {
    const { keys, candidates, status, filled } = this;
    const { lastAccess, age } = state;
    const pageState = state.state;
    const scale = this.pageScale(state.pageCount);
    let found = 0;
    for (let page = 0; page < state.pageCount; page++) {
      if (status[page] !== wanted || pageState[page] !== PageState.Present) continue;
      // Filled pages first (negative keys), newest arrival first; then least recently used first.
      keys[page] = filled[page] === 1 ? -1 - (lastAccess[page]! * scale + page) : lastAccess[page]! * 256 + age[page]!;
      candidates[found++] = page;
    }
    const k = Math.min(count, found);
    if (k < found) quickselect(candidates, found, k, keys);
    return candidates.subarray(0, k);
  }

  /** Scan of the use before the last one (0 = none seen); `refaulted`: chosen by us and present again. */
  private previousAccess(state: PolicyState, page: number, refaulted: boolean): number {
    const last = state.lastAccess[page]!;
    const age = state.age[page]!;
    // Bit 7 - k of the aging counter: used during the interval that ended with scan (scanCount - k).
    for (let k = 0; k < 8; k++) {
      const scan = state.scanCount - k;
      if (scan <= 0) break;
      if (scan < last && (age >> (7 - k)) & 1) return scan;
    }
    const seen = this.seen[page]!;
    if (seen < last && seen > 0) return seen;
    if (refaulted && seen > 0) return seen;
    // Not seen by this policy before: the history's reuse distance tells whether, and about when.
    const reuse = state.reuseScans[page]!;
    return reuse > 0 ? Math.max(1, last - reuse) : 0;
  }

  private ensureCapacity(pageCount: number): void {
    if (pageCount <= this.capacity) return;
    const grown = <T extends Uint8Array | Uint32Array | Float64Array>(old: T, fresh: T): T => {
      fresh.set(old as never);
      return fresh;
    };
    this.status = grown(this.status, new Uint8Array(pageCount));
    this.seen = grown(this.seen, new Uint32Array(pageCount));
    this.testing = grown(this.testing, new Uint8Array(pageCount));
    this.evicted = grown(this.evicted, new Uint8Array(pageCount));
    this.proven = grown(this.proven, new Uint8Array(pageCount));
    this.takenFrom = grown(this.takenFrom, new Uint8Array(pageCount));
    this.filled = grown(this.filled, new Uint8Array(pageCount));
    this.evictedAt = grown(this.evictedAt, new Float64Array(pageCount));
    this.keys = new Float64Array(pageCount);
    this.candidates = new Uint32Array(pageCount);
    this.arrivals = new Uint32Array(pageCount);
    this.victims = new Uint32Array(pageCount);
    this.queue = new Float64Array(pageCount);
    this.queueLength = 0;
    this.queueCursor = 0;
    this.refreshedVersion = -1;
    this.capacity = pageCount;
  }
}
