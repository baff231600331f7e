/**
 * SIGBALLOON: the kernel's request to give memory back.
 *
 * The addon's signal handler only copies the siginfo payload into a lock-free
 * ring and wakes a native thread; that thread hands batches to the JavaScript
 * thread that subscribed (through a thread-safe function), so listeners never
 * run inside the signal handler, whichever thread the kernel picked, and events
 * wait (rather than get lost) while the JavaScript thread is busy.
 *
 * One thread of the process (the main thread or one worker) can listen at a
 * time; within it any number of listeners share the one native installation.
 */
import { addon } from './addon.js';
import type { NativeSignalEvent, NativeSignalStats } from './native.js';

/** One SIGBALLOON and its payload. */
export type BalloonSignal = Readonly<NativeSignalEvent>;
export type BalloonSignalListener = (signal: BalloonSignal) => void;
export type BalloonSignalStats = Readonly<NativeSignalStats>;

/** The SIGBALLOON number (from the kernel header; a real-time signal fallback without it). */
export function sigballoon(): number {
  return addon().SIGBALLOON;
}

/** True when {@link sigballoon} comes from kernel-patch/include/uapi/linux/balloon.h. */
export function sigballoonFromHeader(): boolean {
  return addon().sigballoonFromHeader;
}

const listeners = new Set<BalloonSignalListener>();
const keepingAlive = new Set<BalloonSignalListener>();
let installedSignal = 0;
let refd = false;

function updateKeepAlive(): void {
  const want = keepingAlive.size > 0;
  if (want !== refd && installedSignal !== 0) {
    addon().signalKeepAlive(want);
    refd = want;
  }
}

function dispatch(events: NativeSignalEvent[]): void {
  for (const ev of events) {
    for (const listener of [...listeners]) {
      try {
        listener(ev);
      } catch (err) {
        // Same contract as an EventEmitter listener: the error surfaces as an
        // uncaught exception, but only after the other listeners had the event.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

export interface OnBalloonSignalOptions {
  /**
   * Signal number to listen on (default {@link sigballoon}). Only for tests: all
   * listeners of a thread share one signal.
   */
  signal?: number;
  /**
   * Keep the process alive while this listener is subscribed (for a daemon that
   * only waits for signals). Default false: a listener alone does not keep the
   * event loop running, so awaiting a signal needs another handle (a timer, a server).
   */
  keepAlive?: boolean;
}

/**
 * Calls `listener` on this thread for every SIGBALLOON. Returns a function that
 * removes it; when the last listener goes, the previous signal disposition is
 * restored. Installing does not keep the process alive.
 *
 * Throws an Error with code EBUSY when another thread of the process listens.
 */
export function onBalloonSignal(listener: BalloonSignalListener, options: OnBalloonSignalOptions = {}): () => void {
  if (typeof listener !== 'function') throw new TypeError('onBalloonSignal: listener must be a function');
  const native = addon();
  const signal = options.signal ?? native.SIGBALLOON;
  if (!Number.isInteger(signal) || signal < 1 || signal > 64) {
    throw new RangeError(`onBalloonSignal: signal must be an integer in [1, 64], got ${String(signal)}`);
  }
  if (listeners.size > 0 && signal !== installedSignal) {
    throw new RangeError(`onBalloonSignal: this thread already listens on signal ${installedSignal}, not ${signal}`);
  }
  if (options.keepAlive !== undefined && typeof options.keepAlive !== 'boolean') {
    throw new TypeError('onBalloonSignal: keepAlive must be a boolean');
  }
  if (listeners.size === 0) {
    // An installation this module does not know of belongs to an earlier instance of
    // this module in the same thread (module re-evaluation in a test runner): replace it.
    if (native.signalStats().ownedByThisThread) native.signalUninstall();
    native.signalInstall(dispatch, signal);
    installedSignal = signal;
    refd = false;
  }
  const wrapped: BalloonSignalListener = (ev) => listener(ev);
  listeners.add(wrapped);
  if (options.keepAlive === true) keepingAlive.add(wrapped);
  updateKeepAlive();
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    listeners.delete(wrapped);
    keepingAlive.delete(wrapped);
    if (listeners.size === 0) {
      native.signalUninstall();
      installedSignal = 0;
      refd = false;
    } else {
      updateKeepAlive();
    }
  };
}

/** Removes every listener of this thread and restores the previous disposition. */
export function removeAllBalloonSignalListeners(): void {
  listeners.clear();
  keepingAlive.clear();
  if (installedSignal !== 0) {
    addon().signalUninstall();
    installedSignal = 0;
    refd = false;
  }
}

/**
 * Waits until every signal the handler has run for so far reached this
 * thread's listeners (they travel through the native thread and the event
 * loop), or `timeoutMs` passed. After unregistering, this is what makes the
 * listeners' count agree with the kernel's: the kernel sends no more, and
 * those in flight are not lost when the listener is then removed.
 */
export async function settleBalloonSignals(timeoutMs = 2000): Promise<void> {
  const native = addon();
  const start = native.signalStats();
  if (!start.installed || !start.ownedByThisThread) return;
  const target = start.received;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = native.signalStats();
    if (now.delivered + now.dropped >= target || Date.now() >= deadline) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Number of SIGBALLOONs the handler ran for in this process (like the course's nr_signals). */
export function balloonSignalCount(): number {
  return addon().signalCount();
}

/** Handler, delivery and drop counters, and the current installation. */
export function balloonSignalStats(): BalloonSignalStats {
  return addon().signalStats();
}
