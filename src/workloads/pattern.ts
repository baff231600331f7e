/**
 * The data every workload writes, and its check. A page is 1024 32-bit words.
 * The first write fills the whole page with wordSeed(p, i) + 1; every later
 * write increments one word per 64-byte cache line (words 0, 16, 32, ...:
 * read-modify-write, like the course test, at a CPU cost that leaves the
 * memory system the bottleneck). So after `w` writes word i of page p holds
 * wordSeed(p, i) + (i % 16 === 0 ? w : 1) mod 2^32, and a page never written
 * is all zeroes. Any lost page (zero-filled on swap-in), page mixed up with
 * another one, stale copy (an older write count) or flipped word fails the
 * check, which reads every word of every page.
 */

export const PAGE_BYTES = 4096;
export const WORDS_PER_PAGE = PAGE_BYTES / 4;
/** Words between two incremented words: one per 64-byte cache line. */
export const INCREMENT_STRIDE = 16;

/** Expected value of word i of page p after w ≥ 1 writes. */
export function expectedWord(page: number, word: number, writes: number): number {
  return (wordSeed(page, word) + ((word & (INCREMENT_STRIDE - 1)) === 0 ? writes : 1)) >>> 0;
}

/** A deterministic 32-bit hash of (page, word). */
export function wordSeed(page: number, word: number): number {
  let h = Math.imul(page ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(word + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 15;
  return h >>> 0;
}

/**
 * Applies references[from, to) to the region: one write per reference.
 * `writes` counts the writes per page (the checksum's reference data, kept
 * outside the region).
 */
export function applyReferences(words: Uint32Array, writes: Uint32Array, references: Uint32Array, from = 0, to = references.length): void {
  for (let r = from; r < to; r++) {
    const page = references[r]!;
    const w = writes[page]!;
    writePage(words, page, w);
    writes[page] = w + 1;
  }
}

function writePage(words: Uint32Array, page: number, w: number): void {
  const base = page * WORDS_PER_PAGE;
  if (w === 0) {
    for (let i = 0; i < WORDS_PER_PAGE; i++) words[base + i] = wordSeed(page, i) + 1;
  } else {
    for (let i = 0; i < WORDS_PER_PAGE; i += INCREMENT_STRIDE) words[base + i] = words[base + i]! + 1;
  }
}

export interface IntegrityResult {
  ok: boolean;
  pagesChecked: number;
  /** Pages written at least once. */
  pagesWritten: number;
  badPages: number;
  /** First page that failed, or null. */
  firstBadPage: number | null;
  /** Checksum of the good pages' contents (for reports: equal runs give equal checksums). */
  checksum: string;
}

/** One page's checksum contribution when it holds what `w` writes leave, else -1. */
function checkPage(words: Uint32Array, page: number, w: number): number {
  const base = page * WORDS_PER_PAGE;
  let good = true;
  let sum = 0;
  if (w === 0) {
    for (let i = 0; i < WORDS_PER_PAGE; i++) if (words[base + i] !== 0) good = false;
  } else {
    for (let line = 0; line < WORDS_PER_PAGE; line += INCREMENT_STRIDE) {
      for (let k = 0; k < INCREMENT_STRIDE; k++) {
        const i = line + k;
        const v = words[base + i]!;
        if (v !== ((wordSeed(page, i) + (k === 0 ? w : 1)) >>> 0)) good = false;
        sum = (sum + Math.imul(v, (page << 10) + i + 1)) >>> 0;
      }
    }
  }
  return good ? sum : -1;
}

/** Checks every page of the region against its write count. */
export function verifyRegion(words: Uint32Array, writes: Uint32Array, pages = writes.length): IntegrityResult {
  let badPages = 0;
  let firstBadPage: number | null = null;
  let pagesWritten = 0;
  let sum = 0;
  for (let page = 0; page < pages; page++) {
    const w = writes[page]!;
    if (w !== 0) pagesWritten++;
    // A small per-page function: the JIT optimizes it after a few pages.
    const pageSum = checkPage(words, page, w);
    if (pageSum < 0) {
      badPages++;
      firstBadPage ??= page;
    } else {
      sum = (sum + pageSum) >>> 0;
    }
  }
  return {
    ok: badPages === 0,
    pagesChecked: pages,
    pagesWritten,
    badPages,
    firstBadPage,
    checksum: sum.toString(16).padStart(8, '0'),
  };
}
