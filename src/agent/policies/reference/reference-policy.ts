/** Returned by ReferencePolicy.reference when nothing was evicted. */
export const NO_VICTIM = -1;

/**
 * A replacement policy that sees every reference (unlike the agent's
 * policies, which see periodic access scans): the literature's algorithms,
 * run in the simulator as anchors to measure the agent's policies against.
 * It manages a memory of `memoryPages` pages itself.
 */
export interface ReferencePolicy {
  readonly name: string;
  /**
   * One reference to `page`. Returns the page evicted to make room for it
   * (only when `page` was not resident and memory was full), else NO_VICTIM.
   */
  reference(page: number): number;
}
