import { fileURLToPath } from 'node:url';

/** What `new Worker(file, { workerData: { entry, … } })` needs to run a module that sits beside the caller. */
export interface WorkerEntry {
  /** The file the Worker starts. */
  file: string;
  /** The .ts module the bootstrap loads through tsx; undefined when `file` is the compiled module itself. */
  entry: string | undefined;
}

/**
 * The worker file for `name` (without extension), a module in the same
 * directory as `callerUrl` (the caller's import.meta.url). From TypeScript
 * sources (tsx, vitest) the worker starts ts-worker-bootstrap.mjs, which
 * loads `name`.ts through tsx (the bootstrap reads workerData.entry); a
 * compiled build starts `name`.js directly.
 */
export function workerEntry(callerUrl: string, name: string): WorkerEntry {
  if (callerUrl.endsWith('.ts')) {
    return { file: fileURLToPath(new URL('./ts-worker-bootstrap.mjs', import.meta.url)), entry: new URL(`./${name}.ts`, callerUrl).href };
  }
  return { file: fileURLToPath(new URL(`./${name}.js`, callerUrl)), entry: undefined };
}
