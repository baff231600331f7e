/**
 * Helpers for tests and benchmarks: make this process send itself a
 * SIGBALLOON-like signal with a chosen payload, as the kernel would. Not for
 * production code.
 */
import { addon } from './addon.js';
import type { NativeTestPayload, NativeTesting } from './native.js';

/** The addon's test helpers, which only the testing build has. */
function helpers(): NativeTesting {
  const t = addon().testing;
  if (t === undefined) {
    throw new Error(
      'the addon loaded has no test helpers: they are in build/Release/balloon_testing.node (native/testing.cc); ' +
        'load it with BALLOON_ADDON=build/Release/balloon_testing.node (the unit tests and npm run bench:host do)',
    );
  }
  return t;
}

export type TestSignalPayload = NativeTestPayload;

function checkPayload(fn: string, payload: TestSignalPayload): void {
  if (typeof payload !== 'object' || payload === null) throw new TypeError(`${fn}: payload must be an object`);
  if (payload.value !== undefined && typeof payload.value !== 'bigint') {
    throw new TypeError(`${fn}: payload.value must be a bigint`);
  }
  for (const key of ['signo', 'code', 'pages', 'freePages'] as const) {
    const v = payload[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v))) {
      throw new TypeError(`${fn}: payload.${key} must be an integer`);
    }
  }
}

/** A process-directed signal (rt_sigqueueinfo): the kernel picks the thread. */
export function raiseBalloonSignal(payload: TestSignalPayload = {}): void {
  checkPayload('raiseBalloonSignal', payload);
  helpers().raise(payload);
}

/** A signal directed at one thread (rt_tgsigqueueinfo); default: the calling thread. */
export function raiseBalloonSignalOnThread(payload: TestSignalPayload = {}, tid?: number): void {
  checkPayload('raiseBalloonSignalOnThread', payload);
  helpers().raiseThread(payload, tid);
}

/**
 * Starts a native thread (no JavaScript on it) that sends itself `count` signals
 * with values payload.value, payload.value + 1, …; waits for it and returns its tid.
 */
export function raiseBalloonSignalsFromNativeThread(count: number, payload: TestSignalPayload = {}): number {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('count must be a non-negative integer');
  checkPayload('raiseBalloonSignalsFromNativeThread', payload);
  return helpers().raiseFromNativeThread(count, payload);
}

/** Kernel thread id of the calling thread. */
export function currentThreadId(): number {
  return helpers().gettid();
}

/** Whether the calling thread blocks `signal`. */
export function isSignalBlocked(signal: number): boolean {
  return helpers().isBlocked(signal);
}

/** Build facts of the loaded addon. */
export function addonBuildInfo(): { napiVersion: number; haveUapiHeader: boolean; sigballoon: number; sigballoonFromHeader: boolean } {
  const a = addon();
  return {
    napiVersion: a.napiVersion,
    haveUapiHeader: a.haveUapiHeader,
    sigballoon: a.SIGBALLOON,
    sigballoonFromHeader: a.sigballoonFromHeader,
  };
}

/** This process's disposition of `signal` ('handler' when any handler is installed). */
export function signalDisposition(signal: number): 'default' | 'ignore' | 'handler' {
  return helpers().disposition(signal);
}

/** Sets `signal` to SIG_DFL or SIG_IGN. */
export function setSignalDisposition(signal: number, disposition: 'default' | 'ignore'): void {
  helpers().setDisposition(signal, disposition);
}
