/**
 * Every measured run starts from the same state. Before each run the guest is
 * brought back to what a fresh boot gives a run (docs/bench.md says why this
 * is equivalent): every swap area off and on again (empty, its allocator
 * reset), the page cache and the reclaimable slab dropped, memory compacted.
 * Then the state is read and checked: no swap in use, no process registered
 * with the balloon, and MemFree no lower than the first run's less a small
 * tolerance. A guest that does not get there (after a few tries, a second
 * apart) fails the run instead of measuring it from another state. The state
 * each run started from is recorded with it.
 */
import { parseMeminfo } from '../metrics/parsers.js';
import { shQuote } from '../harness/exec.js';
import type { ExecOptions, Target } from './target.js';

export interface StartState {
  memTotalBytes: number;
  memFreeBytes: number;
  memAvailableBytes: number;
  /** Page cache left after dropping it (pages in use: mapped files, shmem). */
  cachedBytes: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
  /** Processes registered with the balloon; null on a kernel without the patch. */
  balloonRegistered: number | null;
  /** /proc/sys/vm/compact_memory was there and accepted the write. */
  compacted: boolean;
  /** The lowest MemFree the check accepted (the first run's less the tolerance); null for the first run, which sets it. */
  minFreeBytes: number | null;
  /** Resets it took (1 when the first one was enough). */
  attempts: number;
  /** Time the reset and the check took, in ms. */
  resetMs: number;
}

const MARK = '@@balloon-reset ';
const MiB = 1024 * 1024;

/**
 * The guest's side, as one shell script (run as root). Exit 3: swapoff failed
 * (not enough memory to take the swapped pages back), 4: swapon failed.
 */
export function resetScript(): string {
  return [
    'sync',
    `for dev in $(awk 'NR > 1 {print $1}' /proc/swaps); do swapoff "$dev" || { echo "swapoff $dev failed" >&2; exit 3; }; swapon "$dev" || { echo "swapon $dev failed" >&2; exit 4; }; done`,
    'echo 3 > /proc/sys/vm/drop_caches',
    `if echo 1 > /proc/sys/vm/compact_memory 2>/dev/null; then echo '${MARK}compacted'; fi`,
    `echo '${MARK}meminfo'`,
    'cat /proc/meminfo',
    // One registered tgid per line (kernel-patch/README.md); absent without the patch.
    `if [ -e /sys/kernel/mm/balloon/registered ]; then echo '${MARK}registered'; cat /sys/kernel/mm/balloon/registered; fi`,
  ].join('\n');
}

/** The command line: as root, or through `sudo -n` for another login. */
export function resetCommand(target: Pick<Target, 'asRoot'>): string {
  return target.asRoot ? resetScript() : `sudo -n sh -c ${shQuote(resetScript())}`;
}

export type ResetReading = Omit<StartState, 'minFreeBytes' | 'attempts' | 'resetMs'>;

export function parseResetOutput(text: string): ResetReading {
  const sections: Record<string, string[]> = {};
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(MARK)) sections[line.slice(MARK.length).trim()] = current = [];
    else current?.push(line);
  }
  const mem = parseMeminfo((sections['meminfo'] ?? []).join('\n'));
  const need = (k: string): number => {
    const v = mem[k];
    if (v === undefined) throw new Error(`the guest's reset printed no ${k} (output: ${text.trim().slice(0, 200) || 'none'})`);
    return v;
  };
  const registered = sections['registered'];
  return {
    memTotalBytes: need('MemTotal'),
    memFreeBytes: need('MemFree'),
    memAvailableBytes: mem['MemAvailable'] ?? need('MemFree'),
    cachedBytes: mem['Cached'] ?? 0,
    swapTotalBytes: mem['SwapTotal'] ?? 0,
    swapUsedBytes: (mem['SwapTotal'] ?? 0) - (mem['SwapFree'] ?? 0),
    balloonRegistered: registered === undefined ? null : registered.filter((l) => /^\s*\d+\s*$/.test(l)).length,
    compacted: sections['compacted'] !== undefined,
  };
}

/** How far below the first run's MemFree a later run may start: 1% of MemTotal, at least 8 MiB. */
export const freeTolerance = (memTotalBytes: number): number => Math.max(8 * MiB, Math.round(memTotalBytes / 100));

/** Why a reading is not the common starting state, or null when it is. */
export function checkStartState(r: ResetReading, minFreeBytes: number | null): string | null {
  const mib = (n: number): string => (n / MiB).toFixed(1);
  if (r.swapUsedBytes > 0) return `${mib(r.swapUsedBytes)} MiB of swap still in use after swapoff/swapon`;
  if (r.balloonRegistered !== null && r.balloonRegistered > 0) return `${r.balloonRegistered} process(es) still registered with the balloon`;
  if (minFreeBytes !== null && r.memFreeBytes < minFreeBytes) {
    return `MemFree ${mib(r.memFreeBytes)} MiB is below the bound of ${mib(minFreeBytes)} MiB (the first run's MemFree less ${mib(freeTolerance(r.memTotalBytes))} MiB)`;
  }
  return null;
}

export interface FreshStateOptions {
  /** Resets before giving up (default 3). */
  attempts?: number;
  /** Pause between two resets (default 1000 ms): lets the last run's exit finish. */
  pauseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** The state the matrix's runs start from; the first good reading sets the bound for the others. */
export class FreshState {
  private minFreeBytes: number | null = null;
  private readonly attempts: number;
  private readonly pauseMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly target: Pick<Target, 'asRoot' | 'exec'>,
    o: FreshStateOptions = {},
  ) {
    this.attempts = o.attempts ?? 3;
    this.pauseMs = o.pauseMs ?? 1000;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = o.now ?? Date.now;
  }

  /** The lowest MemFree a run may start with (null until the first run set it). */
  get bound(): number | null {
    return this.minFreeBytes;
  }

  /** Resets the guest and checks it; the state to record, or why the run must not start. */
  async prepare(options: ExecOptions = {}): Promise<{ state: StartState } | { error: string }> {
    const t0 = this.now();
    let why = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await this.sleep(this.pauseMs);
      if (options.signal?.aborted) return { error: 'interrupted before the run started' };
      const r = await this.target.exec(resetCommand(this.target), options);
      if (r.exitCode !== 0) {
        why = `the guest's reset failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${r.stderr.trim().split('\n').pop() ?? ''}`.trim();
        continue;
      }
      let reading: ResetReading;
      try {
        reading = parseResetOutput(r.stdout);
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
        continue;
      }
      const bad = checkStartState(reading, this.minFreeBytes);
      if (bad !== null) {
        why = bad;
        continue;
      }
      const state: StartState = { ...reading, minFreeBytes: this.minFreeBytes, attempts: attempt, resetMs: this.now() - t0 };
      this.minFreeBytes ??= reading.memFreeBytes - freeTolerance(reading.memTotalBytes);
      return { state };
    }
    return { error: `not the common starting state after ${this.attempts} resets: ${why}` };
  }
}
