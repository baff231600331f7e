import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { makeDirectoriesSync } from '../shared/make-directories.js';
import { describeError, HarnessError } from './errors.js';
import { parseSizeMiB, parseSizePages, SizeError } from './sizes.js';

/** Prints an error as the CLIs do: details (such as a command's output) first, then one line `<scope>: error: …`. */
function reportCliError(scope: string, err: unknown): void {
  const { line, details } = describeError(err);
  if (details && process.env.BALLOON_QUIET_DETAILS !== '1') process.stderr.write(`${details}\n`);
  process.stderr.write(`${scope}: error: ${line.replace(/^[a-z:]+: /, '')}\n`);
}

/**
 * Runs a CLI's main function: one clear error line on failure (details, such
 * as a command's output, below it), exit status 1.
 */
export async function runCli(scope: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    reportCliError(scope, err);
    process.exitCode = 1;
  }
}

/**
 * A script's options (node:util parseArgs): an unknown or malformed option
 * is one error line with `hint` (where the usage is), exit status 1, instead
 * of a stack.
 */
export function parseScriptOptions<T extends ParseArgsConfig>(scope: string, hint: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/\.?$/, '.');
    reportCliError(scope, new HarnessError(message, hint));
    process.exit(1);
  }
}

/** A value as a whole number of at least `min`, or a HarnessError naming it as typed (`--busy`, or a positional such as `MIB`). */
export function wholeOption(label: string, text: string, min: number, hint: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new HarnessError(`${label} must be a whole number of at least ${min}, got "${text}".`, hint);
  return n;
}

/**
 * A size option of a script in the one size grammar (src/harness/sizes.ts: a plain number is
 * bytes, K/M/G/T powers of 1024, p pages), as whole MiB or whole 4 KiB pages, at least `min` of
 * them; zero (`0`, `0M`, `0p`) is accepted when min is 0 (an option that can be off). Errors are a HarnessError
 * naming the option as typed, after `scope` (e.g. `bench: `) when given.
 */
export function sizeOption(label: string, text: string, unit: 'MiB' | 'pages', min: number, hint: string, scope = ''): number {
  if (min === 0 && /^\s*0+(?:\.0+)?\s*(?:[kmgt](?:i?b)?|b|p|pages?)?\s*$/i.test(text)) return 0;
  try {
    return unit === 'MiB' ? parseSizeMiB(text, label, Math.max(1, min)) : parseSizePages(text, label, Math.max(1, min));
  } catch (err) {
    if (err instanceof SizeError) throw new HarnessError(`${scope}${err.message}${err.message.endsWith('?') ? '' : '.'}`, hint);
    throw err;
  }
}

/**
 * An output file option (`--out FILE`): its directory is made now, before
 * the script's work, so that a place where nothing can be written is one
 * error line at the start instead of lost results at the end. Returns the
 * file.
 */
export function outFileOption(label: string, file: string, hint: string): string {
  const dir = path.dirname(path.resolve(file));
  try {
    makeDirectoriesSync(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOTDIR' || e.code === 'EEXIST' ? 'it (or a parent) is a file' : `${e.code ?? String(err)}${e.path !== undefined && e.path !== dir ? ` at ${e.path}` : ''}`;
    throw new HarnessError(`${label} ${file}: cannot make its directory ${dir} (${why}); choose a place where files can be written.`, hint);
  }
  return file;
}

/** For a script's top level, outside runCli: `compute()`, or its error as one line and exit status 1. */
export function orExit<T>(scope: string, compute: () => T): T {
  try {
    return compute();
  } catch (err) {
    reportCliError(scope, err);
    process.exit(1);
  }
}
