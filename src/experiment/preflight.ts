/**
 * Before the first run: what the guest is (kernel, command line, memory,
 * balloon tunables), and whether the matrix's sizes fit in it. One ssh call.
 */
import { UsageError } from '../shared/usage.js';
import { DEFAULT_THRESHOLD_BYTES } from '../shared/run-result.js';
import { parseMeminfo } from '../metrics/parsers.js';
import { checkRegionBytes, defaultRegionBytes, formatBytes, PAGE_BYTES, WorkloadArgumentError } from '../workloads/index.js';
import { checkSizes, type ExperimentMatrix } from './matrix.js';
import { shQuote } from '../harness/exec.js';
import { ExperimentError, type Target } from './target.js';

export interface GuestInfo {
  uname: string;
  cmdline: string;
  memTotalBytes: number;
  swapTotalBytes: number;
  memAvailableBytes: number;
  /** Files of /sys/kernel/mm/balloon at the start (writable ones are tunables); null without the patch. */
  balloon: { tunables: Record<string, string>; counters: Record<string, string> } | null;
  node: string;
  /** The checkout is in the guest (bin/balloon.js exists). */
  hasProject: boolean;
}

const MARK = '@@balloon-section ';

/** The guest's side of the preflight, as one shell script. */
export function guestInfoScript(guestDir: string): string {
  const section = (name: string): string => `echo '${MARK}${name}'`;
  return [
    section('uname'), 'uname -a',
    section('cmdline'), 'cat /proc/cmdline',
    section('meminfo'), 'cat /proc/meminfo',
    section('balloon'),
    `for f in /sys/kernel/mm/balloon/*; do [ -f "$f" ] && printf '%s %s %s\\n' "$(stat -c %a "$f")" "\${f##*/}" "$(head -c 200 "$f" 2>/dev/null | tr '\\n' ' ')"; done`,
    section('node'), 'node --version 2>&1',
    section('project'), `test -f ${shQuote(guestDir)}/bin/balloon.js && echo yes || echo no`,
    'true',
  ].join('; ');
}

export function parseGuestInfo(text: string): GuestInfo {
  const sections: Record<string, string[]> = {};
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(MARK)) sections[line.slice(MARK.length).trim()] = current = [];
    else current?.push(line);
  }
  const get = (k: string): string => (sections[k] ?? []).join('\n').trim();
  const mem = parseMeminfo(get('meminfo'));
  if (mem['MemTotal'] === undefined) throw new ExperimentError('the guest\'s /proc/meminfo has no MemTotal line (is the target a Linux machine?)');
  const tunables: Record<string, string> = {};
  const counters: Record<string, string> = {};
  for (const line of sections['balloon'] ?? []) {
    const m = /^([0-7]{3,4}) (\S+) ?(.*)$/.exec(line);
    if (!m) continue;
    const writable = (parseInt(m[1]!, 8) & 0o222) !== 0;
    (writable ? tunables : counters)[m[2]!] = m[3]!.trim();
  }
  const hasBalloon = Object.keys(tunables).length + Object.keys(counters).length > 0;
  return {
    uname: get('uname'),
    cmdline: get('cmdline'),
    memTotalBytes: mem['MemTotal'],
    swapTotalBytes: mem['SwapTotal'] ?? 0,
    memAvailableBytes: mem['MemAvailable'] ?? mem['MemFree'] ?? mem['MemTotal'],
    balloon: hasBalloon ? { tunables, counters } : null,
    node: get('node'),
    hasProject: get('project') === 'yes',
  };
}

export async function readGuestInfo(target: Target): Promise<GuestInfo> {
  const r = await target.exec(guestInfoScript(target.guestDir), { timeoutMs: 120_000 });
  if (r.exitCode !== 0) {
    const why = r.timedOut ? 'timed out' : `exit ${r.exitCode}`;
    throw new ExperimentError(`cannot reach ${target.label} (${why}): ${r.stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`);
  }
  return parseGuestInfo(r.stdout);
}

/** The sizes every run uses, fixed for the whole matrix. */
export interface RunScale {
  sizeBytes: number;
  pages: number;
  /** The threshold runs will see (option, else the guest's sysfs value, else the kernel default). */
  thresholdBytes: number;
  thresholdSource: 'option' | 'sysfs' | 'default';
  /** Memory the simulation gives the workload: MemAvailable minus the threshold, in pages. */
  simulatedMemoryPages: number;
}

/** Refuses sizes that cannot work in this guest, before anything runs. */
export function planScale(matrix: ExperimentMatrix, guest: GuestInfo): RunScale {
  const mem = { memTotalBytes: guest.memTotalBytes, swapTotalBytes: guest.swapTotalBytes };
  let sizeBytes: number;
  try {
    sizeBytes = checkRegionBytes(matrix.sizeBytes ?? defaultRegionBytes(mem), mem, 'size');
  } catch (err) {
    if (err instanceof WorkloadArgumentError) throw new UsageError(`${err.message} (the guest's memory)`);
    throw err;
  }
  checkSizes(matrix, sizeBytes);
  const sysfs = Number(guest.balloon?.tunables['threshold_bytes']);
  let thresholdBytes: number;
  let thresholdSource: RunScale['thresholdSource'];
  if (matrix.thresholdBytes !== null) [thresholdBytes, thresholdSource] = [matrix.thresholdBytes, 'option'];
  else if (Number.isFinite(sysfs) && sysfs > 0) [thresholdBytes, thresholdSource] = [sysfs, 'sysfs'];
  else [thresholdBytes, thresholdSource] = [DEFAULT_THRESHOLD_BYTES, 'default'];
  if (matrix.thresholdBytes !== null && thresholdBytes >= guest.memTotalBytes) {
    throw new UsageError(`threshold ${formatBytes(thresholdBytes)} is not below the guest's memory (MemTotal ${formatBytes(guest.memTotalBytes)})`);
  }
  const pages = sizeBytes / PAGE_BYTES;
  const budget = Math.floor((guest.memAvailableBytes - thresholdBytes) / PAGE_BYTES);
  return { sizeBytes, pages, thresholdBytes, thresholdSource, simulatedMemoryPages: Math.max(1, Math.min(pages, budget)) };
}
