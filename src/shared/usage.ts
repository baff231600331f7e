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

/** A share of one CPU: a number in (0, 1], or a percentage in (0, 100]% ("0.05", "5%"). */
export function parseCpuShare(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(text);
  const n = m === null ? Number.NaN : Number(m[1]) / (m[2] === '%' ? 100 : 1);
  if (!(n > 0 && n <= 1)) throw new UsageError(`${what} must be a share of one CPU in (0, 1] or a percentage in (0, 100]%, got "${text}"`);
  return n;
}
