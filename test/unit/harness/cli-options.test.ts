import { describe, expect, it } from 'vitest';
import { sizeOption, wholeOption } from '../../../src/harness/cli.js';
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

describe('sizeOption (a script\'s size in the one grammar)', () => {
  it('takes sizes as whole MiB or pages, and zero in any unit where the option can be off', () => {
    expect(sizeOption('--memory', '1.5G', 'MiB', 256, 'hint')).toBe(1536);
    expect(sizeOption('--memory', '4M', 'pages', 16, 'hint')).toBe(1024);
    expect(sizeOption('--memory', '1024p', 'pages', 16, 'hint')).toBe(1024);
    for (const zero of ['0', '0M', '0p', ' 0.0 G ']) expect(sizeOption('--alloc', zero, 'MiB', 0, 'hint')).toBe(0);
  });

  it('refuses, naming the option, a plain number (bytes) below the minimum, with what was meant', () => {
    expect(() => sizeOption('--memory', '1024', 'MiB', 256, 'See the usage.')).toThrow(
      new HarnessError('--memory 1024 is 1 KiB, below the minimum of 256 MiB; a plain number is bytes: did you mean 1024M?', 'See the usage.'),
    );
    expect(() => sizeOption('--alloc', '0M', 'MiB', 1, 'hint')).toThrow(/^--alloc must be positive, got "0M"\.$/);
    expect(() => sizeOption('--alloc', 'lots', 'MiB', 0, 'hint')).toThrow(/^--alloc "lots" is not a size: /);
  });
});
