/** Reads a results directory written by `balloon experiment`. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunRecord } from '../experiment/cell.js';
import type { ExperimentMeta } from '../experiment/index.js';
import type { SimulateFile } from '../experiment/bound.js';
import { RESULT_FILES } from '../experiment/writers.js';
import { UsageError } from '../shared/usage.js';

export interface ResultsData {
  dir: string;
  /** null when meta.json is missing (a copy of runs.json alone still makes a report). */
  meta: Partial<ExperimentMeta> | null;
  runs: RunRecord[];
  simulate: SimulateFile | null;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

export async function loadResults(dir: string): Promise<ResultsData> {
  const runs = await readJson(path.join(dir, RESULT_FILES.runs));
  if (runs === undefined) throw new UsageError(`${dir} is not a results directory of balloon experiment (no ${RESULT_FILES.runs})`);
  if (!Array.isArray(runs)) throw new UsageError(`${path.join(dir, RESULT_FILES.runs)} must hold a list of runs`);
  for (const [i, r] of runs.entries()) {
    const ok = r !== null && typeof r === 'object' && typeof r.workload === 'string' && typeof r.policy === 'string' && (r.status === 'ok' || r.status === 'failed');
    if (!ok) throw new UsageError(`${path.join(dir, RESULT_FILES.runs)}: run ${i} has no workload, policy and status`);
  }
  const meta = await readJson(path.join(dir, RESULT_FILES.meta));
  const simulateFile = path.join(dir, RESULT_FILES.simulate);
  const simulate = await readJson(simulateFile);
  if (simulate !== undefined) checkSimulate(simulate, simulateFile);
  return {
    dir,
    meta: meta !== null && typeof meta === 'object' ? (meta as Partial<ExperimentMeta>) : null,
    // Runs recorded before the fresh-state reset carry no start state.
    runs: (runs as RunRecord[]).map((r) => ({ ...r, startState: r.startState ?? null })),
    simulate: simulate === undefined ? null : upgradeSimulate(simulate as SimulateFile),
  };
}

const what = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v);

/**
 * simulate.json, when present, must be the MIN bound balloon experiment
 * writes: an object whose `workloads` lists, per workload, its name and MIN's
 * swap-ins and swap-outs. Anything else is refused with the file and what is
 * wrong, rather than dropped (the report would lose its MIN column silently).
 */
export function checkSimulate(value: unknown, file: string): asserts value is SimulateFile {
  const shape = 'an object with "workloads": [{ "workload", "minSwapIns", "minSwapOuts", ... }], the MIN bound of balloon experiment';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${file} must hold ${shape}; it holds ${what(value)}`);
  const workloads = (value as { workloads?: unknown }).workloads;
  if (!Array.isArray(workloads)) throw new UsageError(`${file} must hold ${shape}; its "workloads" is ${workloads === undefined ? 'missing' : what(workloads)}`);
  for (const [i, w] of workloads.entries()) {
    const b = w as Partial<Record<'workload' | 'minSwapIns' | 'minSwapOuts', unknown>> | null;
    const count = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;
    if (b === null || typeof b !== 'object' || typeof b.workload !== 'string' || !count(b.minSwapIns) || !count(b.minSwapOuts)) {
      throw new UsageError(`${file}: workload ${i} has no workload name, minSwapIns and minSwapOuts (${shape})`);
    }
  }
}

/**
 * A version 1 simulate.json (one planned budget for every workload, before
 * MIN was simulated with the runs' memory) in today's shape: each workload
 * gets that memory, marked as planned.
 */
export function upgradeSimulate(file: SimulateFile): SimulateFile {
  if (file.version !== undefined && file.version >= 2) return file;
  return {
    ...file,
    workloads: file.workloads.map((w) => ({ ...w, memoryPages: w.memoryPages ?? file.memoryPages ?? 0, memorySource: w.memorySource ?? 'planned' })),
  };
}
