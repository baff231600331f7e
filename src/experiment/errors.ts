/** A failure of the target itself (not reachable, not running): exit code 1. */
export class ExperimentError extends Error {
  override name = 'ExperimentError';
}
