import { afterEach, describe, expect, it } from 'vitest';
import type { BalloonSignal, KernelPort } from '../../../src/agent/kernel-port.js';
import { allocRegion, BalloonSyscallError, createKernelPort, removeAllBalloonSignalListeners } from '../../../src/kernel/index.js';
import { addon } from '../../../src/kernel/addon.js';
import { raiseBalloonSignal } from '../../../src/kernel/testing.js';

afterEach(() => removeAllBalloonSignalListeners());

describe('createKernelPort', () => {
  // Typed as the agent's KernelPort: the typecheck proves the two fit together.
  const port: KernelPort = createKernelPort({ keepAlive: false });

  it('forwards SIGBALLOON requests as { pagesWanted, freePages, sentAtNs, seq }, stamped and numbered when the handler ran', async () => {
    const got: BalloonSignal[] = [];
    const off = port.onSignal((s) => got.push(s));
    if (addon().haveUapiHeader) {
      const before = process.hrtime.bigint();
      raiseBalloonSignal({ pages: 256, freePages: 1000 });
      // Keep the event loop busy: the stamp must be the handler's, not the listener's.
      const busyUntil = Date.now() + 50;
      while (Date.now() < busyUntil);
      const afterBusy = process.hrtime.bigint();
      const deadline = Date.now() + 5000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual([{ pagesWanted: 256, freePages: 1000, sentAtNs: expect.any(BigInt), seq: expect.any(Number) }]);
      expect(got[0]!.seq, 'the handler\'s count of this signal').toBe(addon().signalStats().received);
      const sentAtNs = got[0]!.sentAtNs!;
      expect(sentAtNs >= before && sentAtNs < afterBusy - 25_000_000n, `${before} <= ${sentAtNs} < ${afterBusy} - 25 ms`).toBe(true);
    } else {
      expect(() => raiseBalloonSignal({ pages: 256, freePages: 1000 })).toThrow(RangeError);
    }
    off();
  });

  it('register, unregister and swapOut reject with ENOSYS on this kernel', async () => {
    const r = allocRegion(16 * 4096);
    try {
      await expect(port.register([{ start: r.address, length: BigInt(r.size) }])).rejects.toBeInstanceOf(BalloonSyscallError);
      await expect(port.unregister()).rejects.toMatchObject({ code: 'ENOSYS', syscall: 'balloon_ctl' });
      await expect(port.swapOut([{ start: r.address, length: 4096n }], 0)).rejects.toMatchObject({
        code: 'ENOSYS',
        syscall: 'balloon_swapout',
      });
      await expect(port.register([{ start: 1, length: 2 } as unknown as { start: bigint; length: bigint }])).rejects.toThrow(TypeError);
    } finally {
      r.free();
    }
  });
});
