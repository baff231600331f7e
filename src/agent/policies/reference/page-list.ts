const NONE = -1;

/**
 * A doubly linked list of page numbers in typed arrays indexed by page (an
 * intrusive list: O(1) insert, remove and move, no allocation per
 * reference). The front is the most recently inserted end (MRU), the back
 * the oldest (LRU). A page is in the list at most once.
 */
export class PageList {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly member: Uint8Array;
  private head = NONE;
  private tail = NONE;
  size = 0;

  constructor(pageCount: number) {
    this.prev = new Int32Array(pageCount);
    this.next = new Int32Array(pageCount);
    this.member = new Uint8Array(pageCount);
  }

  has(page: number): boolean {
    return this.member[page] === 1;
  }

  /** The oldest page (LRU end), or -1 when empty. */
  back(): number {
    return this.tail;
  }

  /** Inserts a page that is not in the list at the front (MRU end). */
  pushFront(page: number): void {
    this.prev[page] = NONE;
    this.next[page] = this.head;
    if (this.head !== NONE) this.prev[this.head] = page;
    else this.tail = page;
    this.head = page;
    this.member[page] = 1;
    this.size++;
  }

  /** Removes a page that is in the list. */
  remove(page: number): void {
    const p = this.prev[page]!;
    const n = this.next[page]!;
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
    this.member[page] = 0;
    this.size--;
  }

  /** Moves a page that is in the list to the front. */
  moveToFront(page: number): void {
    if (this.head === page) return;
    this.remove(page);
    this.pushFront(page);
  }

  /** Removes and returns the oldest page; the list must not be empty. */
  popBack(): number {
    const page = this.tail;
    this.remove(page);
    return page;
  }
}
