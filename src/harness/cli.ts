import { parseArgs, type ParseArgsConfig } from 'node:util';
import { describeError, HarnessError } from './errors.js';

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

/** For a script's top level, outside runCli: `compute()`, or its error as one line and exit status 1. */
export function orExit<T>(scope: string, compute: () => T): T {
  try {
    return compute();
  } catch (err) {
    reportCliError(scope, err);
    process.exit(1);
  }
}
