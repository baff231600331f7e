import { PageList } from './page-list.js';
import { NO_VICTIM, type ReferencePolicy } from './reference-policy.js';

/** Exact LRU: evicts the page whose last reference is the oldest. */
export class LruReference implements ReferencePolicy {
  readonly name = 'lru';
  private readonly list: PageList;

  constructor(private readonly memoryPages: number, pageCount: number) {
    this.list = new PageList(pageCount);
  }

  reference(page: number): number {
    if (this.list.has(page)) {
      this.list.moveToFront(page);
      return NO_VICTIM;
    }
    const victim = this.list.size >= this.memoryPages ? this.list.popBack() : NO_VICTIM;
    this.list.pushFront(page);
    return victim;
  }
}
