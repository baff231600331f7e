import { AgentError } from '../../errors.js';
import { PageList } from './page-list.js';
import { NO_VICTIM, type ReferencePolicy } from './reference-policy.js';

export interface LirsOptions {
  /** Share of memory for resident HIR pages (the paper's Lhirs; 1% there), at least one page. */
  hirFraction: number;
}

export const DEFAULT_LIRS_OPTIONS: LirsOptions = { hirFraction: 0.01 };

/**
 * LIRS, the Low Inter-reference Recency Set (Jiang and Zhang,
 * SIGMETRICS'02), as the paper describes it:
 * - a page's IRR is the number of other distinct pages referenced between
 *   its last two references, its recency the number since its last one;
 * - memory is split into Llirs pages for LIR pages (low IRR: never evicted
 *   while LIR) and Lhirs pages for resident HIR pages (list Q, evicted in
 *   order of reference);
 * - stack S holds, in recency order, the LIR pages and the HIR pages
 *   (resident or not) more recent than the least recent LIR page; it is
 *   pruned so that its bottom is always an LIR page;
 * - an HIR page referenced while in S has an IRR below the recency of the
 *   bottom LIR page: it becomes LIR and that bottom page becomes a resident
 *   HIR page at the end of Q.
 * S is not bounded (the paper's basic algorithm).
 */
export class LirsReference implements ReferencePolicy {
  readonly name = 'lirs';
  private readonly stack: PageList;
  private readonly queue: PageList;
  private readonly resident: Uint8Array;
  private readonly lir: Uint8Array;
  private readonly lirCapacity: number;
  private lirCount = 0;
  private residentCount = 0;

  constructor(private readonly memoryPages: number, pageCount: number, options: Partial<LirsOptions> = {}) {
    const o = { ...DEFAULT_LIRS_OPTIONS, ...options };
    if (!(o.hirFraction > 0 && o.hirFraction < 1)) throw new AgentError('LIRS hirFraction must be between 0 and 1', { ...o });
    const hirCapacity = Math.max(1, Math.round(memoryPages * o.hirFraction));
    this.lirCapacity = Math.max(0, memoryPages - hirCapacity);
    this.stack = new PageList(pageCount);
    this.queue = new PageList(pageCount);
    this.resident = new Uint8Array(pageCount);
    this.lir = new Uint8Array(pageCount);
  }

  /** Whether a page has LIR status (for tests). */
  isLir(page: number): boolean {
    return this.lir[page] === 1;
  }

  reference(page: number): number {
    const { stack, queue } = this;
    if (this.resident[page]) {
      if (this.lir[page]) {
        stack.moveToFront(page);
        this.prune();
      } else if (stack.has(page) && this.lirCapacity > 0) {
        stack.moveToFront(page);
        queue.remove(page);
        this.promote(page);
      } else {
        if (stack.has(page)) stack.remove(page);
        stack.pushFront(page);
        queue.moveToFront(page);
      }
      return NO_VICTIM;
    }

    let victim = NO_VICTIM;
    if (this.residentCount >= this.memoryPages) {
      victim = queue.popBack();
      this.resident[victim] = 0;
      this.residentCount--;
      // A victim still in S stays there as a non-resident HIR page; otherwise it is forgotten.
    }
    this.resident[page] = 1;
    this.residentCount++;
    if (this.lirCount < this.lirCapacity) {
      // Filling up: the first Llirs distinct pages become LIR.
      if (stack.has(page)) stack.moveToFront(page);
      else stack.pushFront(page);
      this.lir[page] = 1;
      this.lirCount++;
    } else if (stack.has(page) && this.lirCapacity > 0) {
      stack.moveToFront(page);
      this.promote(page);
    } else {
      if (stack.has(page)) stack.moveToFront(page);
      else stack.pushFront(page);
      queue.pushFront(page);
    }
    return victim;
  }

  /** `page` (at the top of S, resident, out of Q) becomes LIR; the bottom LIR page becomes a resident HIR page. */
  private promote(page: number): void {
    this.lir[page] = 1;
    const bottom = this.stack.back();
    this.lir[bottom] = 0;
    this.stack.remove(bottom);
    this.queue.pushFront(bottom);
    this.prune();
  }

  /** Removes HIR pages from the bottom of S until an LIR page is there. */
  private prune(): void {
    const { stack } = this;
    for (let bottom = stack.back(); bottom !== -1 && !this.lir[bottom]; bottom = stack.back()) stack.remove(bottom);
  }
}
