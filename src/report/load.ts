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
  const simulate = await readJson(path.join(dir, RESULT_FILES.simulate));
  return {
    dir,
    meta: meta !== null && typeof meta === 'object' ? (meta as Partial<ExperimentMeta>) : null,
    // Runs recorded before the fresh-state reset carry no start state.
    runs: (runs as RunRecord[]).map((r) => ({ ...r, startState: r.startState ?? null })),
    simulate: simulate !== null && typeof simulate === 'object' && Array.isArray((simulate as SimulateFile).workloads) ? upgradeSimulate(simulate as SimulateFile) : null,
  };
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
