import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BalloonSyscallError, errnoName } from '../../../src/kernel/index.js';
import { translateError } from '../../../src/kernel/errors.js';

const E = constants.errno;

describe('balloon syscall errors', () => {
  it('names errno values', () => {
    expect(errnoName(E.ENOSYS)).toBe('ENOSYS');
    expect(errnoName(E.E2BIG)).toBe('E2BIG');
    expect(errnoName(9999)).toBe('E9999');
  });

  it('says what to do for each documented errno', () => {
    const cases: Array<[string, number, string | undefined, RegExp]> = [
      ['balloon_swapout', E.EPERM, undefined, /register first/],
      ['balloon_ctl', E.ENOENT, 'unregister', /not registered/],
      ['balloon_ctl', E.ENOSPC, 'register', /maximum number of registered processes/],
      ['balloon_ctl', E.EINVAL, 'register', /flags must be 0/],
      ['balloon_swapout', E.EINVAL, undefined, /not private anonymous/],
      ['balloon_swapout', E.ENOMEM, undefined, /unmapped hole/],
      ['balloon_swapout', E.E2BIG, undefined, /split the request/],
      ['balloon_swapout', E.EFAULT, undefined, /bad pointer/],
      ['balloon_swapout', E.EINTR, undefined, /fatal signal/],
      ['mlock', E.ENOMEM, undefined, /needs CAP_IPC_LOCK .* or a larger RLIMIT_MEMLOCK/],
      ['mlock', E.EPERM, undefined, /needs CAP_IPC_LOCK/],
      ['balloon_ctl', E.ENOSYS, 'query', /no balloon patch \(uname -r: .+\); boot the project's VM with npm run vm:up/],
    ];
    for (const [syscall, errno, op, message] of cases) {
      const err = new BalloonSyscallError(syscall, errno, op === undefined ? {} : { op });
      expect(err).toMatchObject({ code: errnoName(errno), errno, syscall, op });
      expect(err.message).toMatch(message);
      expect(err.message.startsWith(`${op === undefined ? syscall : `${syscall}(${op})`} failed with ${errnoName(errno)}: `)).toBe(true);
    }
    expect(new BalloonSyscallError('balloon_ctl', E.ENOSYS, { headerMissing: true }).message).toMatch(/npm run build:native/);
  });

  it('translates only errno-shaped errors', () => {
    const raw = Object.assign(new Error('x'), { code: 'EPERM', errno: E.EPERM, syscall: 'balloon_swapout' });
    const translated = translateError(raw);
    expect(translated).toBeInstanceOf(BalloonSyscallError);
    expect((translated as Error).cause).toBe(raw);
    const range = new RangeError('bad');
    expect(translateError(range)).toBe(range);
  });
});
