export { UsageError } from '../shared/usage.js';

/** One line: what went wrong, without stack or continuation lines. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
