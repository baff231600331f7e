/** A command line the CLI refuses before running anything (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One line: what went wrong, without stack or continuation lines. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
