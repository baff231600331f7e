import { describe, expect, it } from 'vitest';
import { decodeReferenceString, encodeReferenceString } from '../../../src/agent/trace.js';

describe('recorded reference strings', () => {
  it('one little-endian uint32 page number per reference, whatever the host order', () => {
    const bytes = encodeReferenceString(Uint32Array.from([1, 0x01020304, 0xffffffff]));
    expect(Array.from(bytes)).toEqual([1, 0, 0, 0, 4, 3, 2, 1, 255, 255, 255, 255]);
    expect(Array.from(decodeReferenceString(bytes))).toEqual([1, 0x01020304, 0xffffffff]);
  });

  it('decodes from a view at any offset (a Buffer from a pool)', () => {
    const backing = new Uint8Array(16);
    backing.set([7, 0, 0, 0, 9, 0, 0, 0], 3);
    expect(Array.from(decodeReferenceString(backing.subarray(3, 11)))).toEqual([7, 9]);
  });

  it('refuses an empty file and a length that is not a whole number of references, naming the file', () => {
    expect(() => decodeReferenceString(new Uint8Array(0), 'trace file t.bin')).toThrowError(/^trace file t\.bin is empty: a trace holds one little-endian uint32 page number per reference/);
    expect(() => decodeReferenceString(new Uint8Array(10), 'trace file t.bin')).toThrowError(
      /^trace file t\.bin is 10 bytes, not a multiple of 4: .* the file is truncated or not a trace$/,
    );
  });
});
