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
    runs: runs as RunRecord[],
    simulate: simulate !== null && typeof simulate === 'object' && Array.isArray((simulate as SimulateFile).workloads) ? (simulate as SimulateFile) : null,
  };
}
