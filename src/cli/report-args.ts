/**
 * `balloon report`'s arguments, checked before the report is drawn: a results
 * directory (not one of its files) whose runs.json holds runs, and an output
 * directory that exists or can be made.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { makeDirectories } from '../shared/make-directories.js';
import { UsageError } from './errors.js';

const RUNS_FILE = 'runs.json';

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

/** The results directory `arg` names; refuses a file and a directory without runs. */
export async function checkResultsDir(arg: string): Promise<string> {
  const info = await stat(arg).catch((err: unknown) => {
    throw new UsageError(code(err) === 'ENOENT' ? `${arg}: no such directory` : `${arg}: ${code(err) ?? String(err)}`);
  });
  if (!info.isDirectory()) {
    throw new UsageError(`${arg} is a file; give the results directory it is in: balloon report ${path.dirname(arg)}`);
  }
  const runsFile = path.join(arg, RUNS_FILE);
  let text: string;
  try {
    text = await readFile(runsFile, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT') throw new UsageError(`${arg} is not a results directory of balloon experiment (no ${RUNS_FILE})`);
    throw new UsageError(`cannot read ${runsFile}: ${code(err) ?? String(err)}`);
  }
  let runs: unknown;
  try {
    runs = JSON.parse(text);
  } catch {
    return arg; // the report's loader says what is wrong with it
  }
  if (Array.isArray(runs) && runs.length === 0) {
    throw new UsageError(`${runsFile} holds no runs (the experiment stopped before its first run ended): nothing to report`);
  }
  return arg;
}

/** Makes the output directory (and its parents) when missing; refuses a file, and a place that takes no directory (/proc). */
export async function ensureOutDir(dir: string): Promise<string> {
  try {
    await makeDirectories(dir);
  } catch (err) {
    const where = (err as NodeJS.ErrnoException).path;
    const why =
      code(err) === 'EEXIST' || code(err) === 'ENOTDIR'
        ? 'it (or a parent) is a file'
        : `${code(err) ?? String(err)}${where !== undefined && path.resolve(where) !== path.resolve(dir) ? ` at ${where}` : ''}`;
    throw new UsageError(`--out ${dir}: cannot make the directory (${why})`);
  }
  return dir;
}
