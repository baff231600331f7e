import { AccessHistory, type HistoryUpdateStats } from './access-history.js';
import type { ProfilerPort } from './kernel-port.js';
import type { PageRange } from './page-state.js';
import type { PolicyState } from './policies/policy.js';
import { Profiler, type ProfilerOptions } from './profiler.js';
import type { RegionLayout } from './region-layout.js';
import type { ByteRange } from './page-state.js';

/**
 * Glue between the Profiler (what was touched) and the AccessHistory (what
 * policies read): the real ProfilerPort used by the controller.
 */
export class ProfiledMemory implements ProfilerPort {
  readonly profiler: Profiler;
  readonly history: AccessHistory;

  constructor(regions: readonly ByteRange[], options: Partial<ProfilerOptions> = {}) {
    this.profiler = new Profiler(regions, options);
    this.history = new AccessHistory(this.profiler.layout.pageCount);
  }

  get layout(): RegionLayout {
    return this.profiler.layout;
  }

  /** One profiler scan folded into the history. */
  scan(): HistoryUpdateStats {
    const result = this.profiler.scan();
    return this.history.update(result.accessed, result.state);
  }

  policyState(): PolicyState {
    return this.history;
  }

  markReleased(ranges: readonly PageRange[]): void {
    for (const range of ranges) for (let page = range.first; page < range.first + range.count; page++) this.history.markSwapped(page);
  }

  close(): void {
    this.profiler.close();
  }
}
