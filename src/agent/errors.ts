/**
 * Errors raised by the agent carry a machine-readable context object so that
 * logs and tests can see *what* was being done (path, region, call) and not
 * only a message.
 */
export class AgentError extends Error {
  readonly context: Readonly<Record<string, unknown>>;

  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.context = context;
  }
}

/** Advice appended to every error about the kernel files the profiler needs. */
export const PROFILER_ADVICE =
  'run the agent as root inside the VM whose kernel has CONFIG_IDLE_PAGE_TRACKING=y ' +
  '(the page_idle bitmap needs it, and reading PFNs from pagemap needs CAP_SYS_ADMIN)';
