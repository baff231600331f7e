/**
 * Checking what a user typed, for every command and for the experiment
 * files alike (the CLI turns a UsageError into exit code 2).
 */

/** A command line or configuration refused before anything runs. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parsePositiveInt(text: string, what: string): number {
  if (!/^\s*-?\d+\s*$/.test(text)) throw new UsageError(`${what} must be a positive integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer, got "${text}"`);
  return n;
}
