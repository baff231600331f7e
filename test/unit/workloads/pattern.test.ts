import { describe, expect, it } from 'vitest';
import { applyReferences, verifyRegion, wordSeed, WORDS_PER_PAGE } from '../../../src/workloads/index.js';

function region(pages: number): { words: Uint32Array; writes: Uint32Array } {
  return { words: new Uint32Array(pages * WORDS_PER_PAGE), writes: new Uint32Array(pages) };
}

describe('page contents and the integrity check', () => {
  it('fills a page on its first write and increments one word per cache line after', () => {
    const { words, writes } = region(4);
    applyReferences(words, writes, Uint32Array.from([2, 2, 2, 0]));
    expect(Array.from(writes)).toEqual([1, 0, 3, 0]);
    for (const i of [0, 16, 1008]) expect(words[2 * WORDS_PER_PAGE + i]).toBe((wordSeed(2, i) + 3) >>> 0);
    for (const i of [0, 1, 777, WORDS_PER_PAGE - 1]) {
      if (i % 16 !== 0) expect(words[2 * WORDS_PER_PAGE + i]).toBe((wordSeed(2, i) + 1) >>> 0);
      expect(words[i]).toBe((wordSeed(0, i) + 1) >>> 0);
      expect(words[WORDS_PER_PAGE + i]).toBe(0);
    }
    const r = verifyRegion(words, writes);
    expect(r).toMatchObject({ ok: true, pagesChecked: 4, pagesWritten: 2, badPages: 0, firstBadPage: null });
    expect(r.checksum).toMatch(/^[0-9a-f]{8}$/);
  });

  it('applies a range of references only', () => {
    const { words, writes } = region(2);
    const refs = Uint32Array.from([0, 1, 1]);
    applyReferences(words, writes, refs, 1, 2);
    expect(Array.from(writes)).toEqual([0, 1]);
    expect(verifyRegion(words, writes).ok).toBe(true);
  });

  it('equal runs give equal checksums, different data a different one', () => {
    const a = region(8);
    const b = region(8);
    const refs = Uint32Array.from([0, 1, 1, 5, 7, 7, 7]);
    applyReferences(a.words, a.writes, refs);
    applyReferences(b.words, b.writes, refs);
    expect(verifyRegion(a.words, a.writes).checksum).toBe(verifyRegion(b.words, b.writes).checksum);
    applyReferences(b.words, b.writes, Uint32Array.from([2]));
    expect(verifyRegion(b.words, b.writes).checksum).not.toBe(verifyRegion(a.words, a.writes).checksum);
  });

  it('seeds differ between pages and words', () => {
    expect(wordSeed(0, 0)).not.toBe(wordSeed(1, 0));
    expect(wordSeed(0, 0)).not.toBe(wordSeed(0, 1));
  });

  const written = (): { words: Uint32Array; writes: Uint32Array } => {
    const r = region(8);
    applyReferences(r.words, r.writes, Uint32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 3, 3, 5]));
    expect(verifyRegion(r.words, r.writes).ok).toBe(true);
    return r;
  };

  it('fails on a lost page (zero-filled, as a swap-in of a lost slot)', () => {
    const { words, writes } = written();
    words.fill(0, 3 * WORDS_PER_PAGE, 4 * WORDS_PER_PAGE);
    expect(verifyRegion(words, writes)).toMatchObject({ ok: false, badPages: 1, firstBadPage: 3 });
  });

  it('fails on one flipped bit', () => {
    const { words, writes } = written();
    words[6 * WORDS_PER_PAGE + 512] = words[6 * WORDS_PER_PAGE + 512]! ^ 0x100;
    expect(verifyRegion(words, writes)).toMatchObject({ ok: false, badPages: 1, firstBadPage: 6 });
  });

  it('fails on a flipped bit in a word written once only', () => {
    const { words, writes } = written();
    words[3 * WORDS_PER_PAGE + 5] = words[3 * WORDS_PER_PAGE + 5]! ^ 1;
    expect(verifyRegion(words, writes)).toMatchObject({ ok: false, badPages: 1, firstBadPage: 3 });
  });

  it('fails on a stale copy (an older write) and on swapped pages', () => {
    const { words, writes } = written();
    // page 5 was written twice: its copy after the first write
    for (let i = 0; i < WORDS_PER_PAGE; i += 16) words[5 * WORDS_PER_PAGE + i] = words[5 * WORDS_PER_PAGE + i]! - 1;
    const a = words.slice(1 * WORDS_PER_PAGE, 2 * WORDS_PER_PAGE);
    words.copyWithin(1 * WORDS_PER_PAGE, 2 * WORDS_PER_PAGE, 3 * WORDS_PER_PAGE);
    words.set(a, 2 * WORDS_PER_PAGE);
    expect(verifyRegion(words, writes)).toMatchObject({ ok: false, badPages: 3, firstBadPage: 1 });
  });

  it('fails on data in a page never written', () => {
    const r = region(3);
    applyReferences(r.words, r.writes, Uint32Array.from([0]));
    r.words[2 * WORDS_PER_PAGE + 9] = 1;
    expect(verifyRegion(r.words, r.writes)).toMatchObject({ ok: false, badPages: 1, firstBadPage: 2 });
  });
});
