import { describe, expect, it } from 'vitest';
import { AccessMapRecorder } from '../../../src/agent/access-map.js';

describe('AccessMapRecorder (the scans as a map of accesses)', () => {
  it('counts the accessed pages of each bucket per scan, with the time relative to a start', () => {
    let now = 1000;
    const recorder = new AccessMapRecorder(10, { rows: 4, now: () => now });
    // Buckets of 10 pages in 4: pages 0-2, 3-4, 5-7, 8-9.
    recorder.record(new Uint8Array([1, 1, 0, 0, 1, 0, 0, 0, 1, 1]));
    now = 1500;
    recorder.record(new Uint8Array([0, 0, 0, 1, 1, 1, 1, 1, 0, 0]));
    expect(recorder.since(900)).toEqual({
      pages: 10,
      rows: 4,
      scans: [
        { tMs: 100, accessed: [2, 1, 0, 2] },
        { tMs: 600, accessed: [0, 2, 3, 0] },
      ],
      dropped: 0,
    });
    expect(recorder.since(1200).scans).toEqual([{ tMs: 300, accessed: [0, 2, 3, 0] }]);
  });

  it('has no more rows than pages, and keeps at most maxScans scans, counting the rest', () => {
    const recorder = new AccessMapRecorder(3, { rows: 40, maxScans: 2, now: () => 0 });
    for (let i = 0; i < 5; i++) recorder.record(new Uint8Array([1, 0, 1]));
    expect(recorder.since(0)).toEqual({ pages: 3, rows: 3, scans: [{ tMs: 0, accessed: [1, 0, 1] }, { tMs: 0, accessed: [1, 0, 1] }], dropped: 3 });
  });
});
