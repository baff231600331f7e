import { describe, expect, it } from 'vitest';
import { wholeOption } from '../../../src/harness/cli.js';
import { HarnessError } from '../../../src/harness/errors.js';

describe('wholeOption', () => {
  it('takes whole numbers from the minimum up', () => {
    expect(wholeOption('--busy', '0', 0, 'hint')).toBe(0);
    expect(wholeOption('--cpus', '2', 1, 'hint')).toBe(2);
    expect(wholeOption('--mib', '384', 1, 'hint')).toBe(384);
  });

  it.each(['', ' ', '1.5', 'x', '-1', '1e400', '9007199254740993'])('refuses "%s", naming the option and the hint', (text) => {
    const error = (() => {
      try {
        wholeOption('--alloc', text, 0, 'See the usage.');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(HarnessError);
    expect((error as HarnessError).message).toBe(`--alloc must be a whole number of at least 0, got "${text}".`);
    expect((error as HarnessError).hint).toBe('See the usage.');
  });

  it('names a positional as typed', () => {
    expect(() => wholeOption('MIB', 'x', 1, 'h')).toThrow('MIB must be a whole number of at least 1, got "x".');
  });

  it('refuses a number below the minimum', () => {
    expect(() => wholeOption('--cpus', '0', 1, 'h')).toThrow('--cpus must be a whole number of at least 1, got "0".');
  });
});
