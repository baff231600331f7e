/**
 * The results directory: runs.json (every run's record), runs.csv (one row
 * per run), meta.json and simulate.json. Written after every run (JSON files
 * replaced atomically, the CSV appended), so an interrupted experiment leaves
 * a readable directory.
 */
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeDirectories } from '../shared/make-directories.js';
import type { RunRecord } from './cell.js';

export const RESULT_FILES = { runs: 'runs.json', csv: 'runs.csv', meta: 'meta.json', simulate: 'simulate.json' } as const;

/** `2024-05-01T12-30-05Z`: sortable, no colons. */
export function timestampName(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

/** Writes to a temporary name, then renames: a reader never sees half a file. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, jsonText(value));
  await rename(tmp, file);
}

type Column = [header: string, value: (r: RunRecord) => string | number | boolean | null | undefined];

/** runs.csv: identity, outcome and the main metrics. */
export const CSV_COLUMNS: Column[] = [
  ['index', (r) => r.index],
  ['workload', (r) => r.workload],
  ['policy', (r) => r.policy],
  ['rep', (r) => r.rep],
  ['status', (r) => r.status],
  ['failure', (r) => r.failure],
  ['exit_code', (r) => r.exitCode],
  ['started_at', (r) => r.startedAt],
  ['duration_ms', (r) => r.durationMs],
  ['wall_ms', (r) => r.result?.wallMs.toFixed(1)],
  ['cpu_ms', (r) => r.result?.cpu.totalMs.toFixed(1)],
  ['pswpin', (r) => r.result?.pswpin],
  ['pswpout', (r) => r.result?.pswpout],
  ['major_faults', (r) => r.result?.majorFaults],
  ['swap_busy_ms', (r) => r.result?.swapBusyMs],
  ['threshold_deficit_mibs', (r) => r.result?.thresholdDeficitMiBs.toFixed(3)],
  ['min_free_bytes', (r) => r.result?.freeMemory.minFreeBytes],
  ['sigballoon', (r) => r.result?.sigballoonCount],
  ['swap_out_calls', (r) => r.result?.swapOutCalls],
  ['pages_requested', (r) => r.result?.pagesRequested],
  ['pages_freed', (r) => r.result?.pagesFreed],
  ['answers', (r) => r.result?.answers.length],
  ['integrity_ok', (r) => r.result?.integrity.ok],
  ['peak_resident_bytes', (r) => r.result?.peakResidentBytes],
  ['start_mem_free_bytes', (r) => r.startState?.memFreeBytes],
  ['start_swap_used_bytes', (r) => r.startState?.swapUsedBytes],
  ['start_resets', (r) => r.startState?.attempts],
  ['error', (r) => r.error],
];

export function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvHeader = (): string => `${CSV_COLUMNS.map(([h]) => h).join(',')}\n`;
export const csvRow = (r: RunRecord): string => `${CSV_COLUMNS.map(([, f]) => csvField(f(r))).join(',')}\n`;

export class ResultsWriter {
  readonly runs: RunRecord[] = [];
  private constructor(readonly dir: string) {}

  /** Creates `<parent>/<timestamp>/` (with a suffix if it exists) and the CSV header. */
  static async create(parent: string, startedAt: Date): Promise<ResultsWriter> {
    await makeDirectories(parent);
    const base = path.join(parent, timestampName(startedAt));
    for (let i = 0; ; i++) {
      const dir = i === 0 ? base : `${base}-${i}`;
      try {
        await mkdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      const w = new ResultsWriter(dir);
      await writeFile(path.join(dir, RESULT_FILES.csv), csvHeader());
      await writeJsonAtomic(path.join(dir, RESULT_FILES.runs), []);
      return w;
    }
  }

  file(name: keyof typeof RESULT_FILES): string {
    return path.join(this.dir, RESULT_FILES[name]);
  }

  async addRun(record: RunRecord): Promise<void> {
    this.runs.push(record);
    await appendFile(this.file('csv'), csvRow(record));
    await writeJsonAtomic(this.file('runs'), this.runs);
  }

  writeMeta(meta: unknown): Promise<void> {
    return writeJsonAtomic(this.file('meta'), meta);
  }

  writeSimulate(value: unknown): Promise<void> {
    return writeJsonAtomic(this.file('simulate'), value);
  }
}
