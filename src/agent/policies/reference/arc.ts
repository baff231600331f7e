import { PageList } from './page-list.js';
import { NO_VICTIM, type ReferencePolicy } from './reference-policy.js';

/**
 * ARC, the Adaptive Replacement Cache (Megiddo and Modha, FAST'03), as the
 * paper describes it for a cache of c pages:
 * - T1 holds resident pages seen once recently, T2 resident pages seen at
 *   least twice; B1 and B2 are their ghost lists (pages evicted from T1 or
 *   T2, numbers only), with |T1| + |B1| ≤ c and |T1| + |T2| + |B1| + |B2| ≤ 2c.
 * - p is the target size of T1. A hit in B1 means T1 was too small: p grows
 *   by max(1, |B2| / |B1|); a hit in B2 shrinks it by max(1, |B1| / |B2|).
 * - REPLACE evicts the LRU page of T1 into B1 when |T1| exceeds p (or equals
 *   it on a B2 hit), otherwise the LRU page of T2 into B2.
 */
export class ArcReference implements ReferencePolicy {
  readonly name = 'arc';
  private readonly t1: PageList;
  private readonly t2: PageList;
  private readonly b1: PageList;
  private readonly b2: PageList;
  /** Target size of T1, in pages (real-valued, as in the paper). */
  private p = 0;

  constructor(private readonly memoryPages: number, pageCount: number) {
    this.t1 = new PageList(pageCount);
    this.t2 = new PageList(pageCount);
    this.b1 = new PageList(pageCount);
    this.b2 = new PageList(pageCount);
  }

  /** Current target size of T1 (for tests). */
  get recencyTarget(): number {
    return this.p;
  }

  reference(page: number): number {
    const c = this.memoryPages;
    const { t1, t2, b1, b2 } = this;
    // Case I: a hit in the cache.
    if (t1.has(page)) {
      t1.remove(page);
      t2.pushFront(page);
      return NO_VICTIM;
    }
    if (t2.has(page)) {
      t2.moveToFront(page);
      return NO_VICTIM;
    }
    // Case II: a ghost hit in B1; T1 deserves more room.
    if (b1.has(page)) {
      this.p = Math.min(c, this.p + (b1.size >= b2.size ? 1 : b2.size / b1.size));
      const victim = this.replace(false);
      b1.remove(page);
      t2.pushFront(page);
      return victim;
    }
    // Case III: a ghost hit in B2; T2 deserves more room.
    if (b2.has(page)) {
      this.p = Math.max(0, this.p - (b2.size >= b1.size ? 1 : b1.size / b2.size));
      const victim = this.replace(true);
      b2.remove(page);
      t2.pushFront(page);
      return victim;
    }
    // Case IV: a page in no list.
    let victim = NO_VICTIM;
    if (t1.size + b1.size === c) {
      if (t1.size < c) {
        b1.popBack();
        victim = this.replace(false);
      } else {
        victim = t1.popBack(); // B1 is empty: the page leaves the directory altogether
      }
    } else {
      const total = t1.size + t2.size + b1.size + b2.size;
      if (total >= c) {
        if (total >= 2 * c) b2.popBack();
        victim = this.replace(false);
      }
    }
    t1.pushFront(page);
    return victim;
  }

  /** Evicts one resident page into its ghost list and returns it. */
  private replace(hitInB2: boolean): number {
    const { t1, t2 } = this;
    if (t1.size > 0 && (t1.size > this.p || (hitInB2 && t1.size === this.p) || t2.size === 0)) {
      const victim = t1.popBack();
      this.b1.pushFront(victim);
      return victim;
    }
    const victim = t2.popBack();
    this.b2.pushFront(victim);
    return victim;
  }
}
