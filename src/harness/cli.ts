import { describeError } from './errors.js';

/**
 * Runs a CLI's main function: one clear error line on failure (details, such
 * as a command's output, below it), exit status 1.
 */
export async function runCli(scope: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    const { line, details } = describeError(err);
    if (details && process.env.BALLOON_QUIET_DETAILS !== '1') process.stderr.write(`${details}\n`);
    process.stderr.write(`${scope}: error: ${line.replace(/^[a-z:]+: /, '')}\n`);
    process.exitCode = 1;
  }
}
