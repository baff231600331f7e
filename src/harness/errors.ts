/**
 * An error the user can act on: what went wrong and what to do about it.
 * CLIs print it as one line: `<scope>: <message> <hint>` and exit non-zero.
 */
export class HarnessError extends Error {
  readonly hint: string;
  readonly details: string | undefined;

  constructor(message: string, hint: string, details?: string) {
    super(message);
    this.name = 'HarnessError';
    this.hint = hint;
    this.details = details;
  }
}

/** Formats any error as the one line the CLIs print (plus optional details below it). */
export function describeError(err: unknown): { line: string; details?: string } {
  if (err instanceof HarnessError) {
    const line = `${err.message}${err.hint ? ` ${err.hint}` : ''}`;
    return err.details ? { line, details: err.details } : { line };
  }
  if (err instanceof Error) return { line: err.message, ...(err.stack ? { details: err.stack } : {}) };
  return { line: String(err) };
}
