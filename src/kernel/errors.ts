/**
 * Errors from the kernel: syscall failures become {@link BalloonSyscallError}
 * (`code` = errno name, `errno` = number, `syscall` = name, `op` for
 * balloon_ctl) with a message that says what to do. The cases follow the
 * errors documented in kernel-patch/README.md and the header.
 */
import { constants as osConstants, release as osRelease } from 'node:os';

/** Syscall names as in the kernel header. */
export type BalloonSyscall = 'balloon_ctl' | 'balloon_swapout';
/** balloon_ctl operations. */
export type BalloonCtlOp = 'register' | 'unregister' | 'query';

const errnoNames: ReadonlyMap<number, string> = new Map(
  Object.entries(osConstants.errno).map(([name, value]) => [value, name] as const),
);

/** errno number → name ("ENOSYS"); "E<n>" when unknown. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

const VM_HINT = "boot the project's VM with npm run vm:up and run this inside it";

export interface AdviceContext {
  /** The addon was built without the kernel header. */
  headerMissing?: boolean;
  /** balloon_ctl operation. */
  op?: string;
}

/** What to do about `code` from `syscall`. */
export function adviceFor(syscall: string, code: string, ctx: AdviceContext = {}): string {
  const swapout = syscall === 'balloon_swapout';
  if (syscall === 'mlock' && (code === 'ENOMEM' || code === 'EPERM' || code === 'EAGAIN')) {
    return 'keeping the agent\'s arrays resident needs CAP_IPC_LOCK (run as root, as in the VM) or a larger RLIMIT_MEMLOCK (ulimit -l)';
  }
  if (syscall === 'mlock2' && (code === 'ENOMEM' || code === 'EPERM' || code === 'EAGAIN')) {
    return 'keeping the agent\'s code resident needs CAP_IPC_LOCK (run as root, as in the VM) or a larger RLIMIT_MEMLOCK (ulimit -l)';
  }
  switch (code) {
    case 'ENOSYS':
      return ctx.headerMissing
        ? 'the addon was built without kernel-patch/include/uapi/linux/balloon.h, so it has no syscall numbers: ' +
            `rebuild it (npm run build:native) once the header exists; and the kernel must be the balloon kernel: ${VM_HINT}`
        : `the running kernel has no balloon patch (uname -r: ${osRelease()}); ${VM_HINT}`;
    case 'EPERM':
      return swapout
        ? 'this process is not registered with the balloon: register first (register())'
        : 'not permitted';
    case 'ENOENT':
      return ctx.op === 'unregister'
        ? 'this process is not registered with the balloon, so there is nothing to unregister'
        : 'not registered';
    case 'ENOSPC':
      return 'the kernel already has the maximum number of registered processes (BALLOON_MAX_REGISTERED, 1024)';
    case 'EINVAL':
      return swapout
        ? 'the kernel rejected the call: unknown flags, a range that is unaligned, empty, wrapping or above TASK_SIZE, ' +
            'or memory that is not private anonymous (file-backed, MAP_SHARED, hugetlb, PFN/IO mappings)'
        : 'the kernel rejected the operation or flags (flags must be 0; kernel threads cannot register)';
    case 'ENOMEM':
      return swapout ? 'a range covers an unmapped hole: swap out only mapped memory' : 'the kernel is out of memory';
    case 'E2BIG':
      return 'too many ranges (BALLOON_SWAPOUT_MAX_RANGES) or pages (BALLOON_SWAPOUT_MAX_PAGES) in one call: split the request';
    case 'EFAULT':
      return 'the kernel could not read the ranges or write the result (bad pointer): an addon bug, please report it';
    case 'EINTR':
      return 'interrupted by a fatal signal';
    case 'EAGAIN':
      return 'temporarily unavailable: retry';
    default:
      return 'see kernel-patch/README.md for what this errno means here';
  }
}

/** A failed balloon syscall. */
export class BalloonSyscallError extends Error {
  override name = 'BalloonSyscallError';
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  /** The balloon_ctl operation, when syscall is balloon_ctl. */
  readonly op: string | undefined;
  constructor(syscall: string, errno: number, options: AdviceContext & { cause?: unknown } = {}) {
    const code = errnoName(errno);
    const what = options.op === undefined ? syscall : `${syscall}(${options.op})`;
    super(`${what} failed with ${code}: ${adviceFor(syscall, code, options)}`, { cause: options.cause });
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    this.op = options.op;
  }
}

interface ErrnoLike {
  errno: number;
  syscall: string;
}

function isErrnoLike(err: unknown): err is Error & ErrnoLike {
  return (
    err instanceof Error &&
    typeof (err as Partial<ErrnoLike>).errno === 'number' &&
    typeof (err as Partial<ErrnoLike>).syscall === 'string'
  );
}

/** Converts the addon's errno errors; passes TypeError/RangeError and others through. */
export function translateError(err: unknown, ctx: AdviceContext = {}): unknown {
  if (isErrnoLike(err)) return new BalloonSyscallError(err.syscall, err.errno, { ...ctx, cause: err });
  return err;
}
