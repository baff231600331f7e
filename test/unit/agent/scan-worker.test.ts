import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PageState } from '../../../src/agent/page-state.js';
import { ScanWorker } from '../../../src/agent/scan-worker.js';
import { tempDir } from '../../support/temp-dir.js';
import { writeBitmap, writePagemap } from './helpers.js';

const REGION = 0x10000000n;
const regions = [{ start: REGION, length: 4n * 4096n }];

describe('ScanWorker (the profiler on a worker thread)', () => {
  let pagemapPath: string;
  let idleBitmapPath: string;
  let worker: ScanWorker | undefined;
  beforeEach(() => {
    const dir = tempDir('scan-worker-');
    pagemapPath = path.join(dir, 'pagemap');
    idleBitmapPath = path.join(dir, 'bitmap');
    writeBitmap(idleBitmapPath, 4096);
    writePagemap(pagemapPath, REGION, [{ present: true, pfn: 100n }, { swapped: true, swapOffset: 3n }, {}, { present: true, pfn: 101n }]);
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });

  it('scans in the worker into arrays the main thread reads, and closes', async () => {
    worker = await ScanWorker.start(regions, { profiler: { pagemapPath, idleBitmapPath } });
    expect(worker.layout.pageCount).toBe(4);
    const snapshot = await worker.scan();
    expect([...snapshot.state]).toEqual([PageState.Present, PageState.Swapped, PageState.Absent, PageState.Present]);
    expect([...snapshot.accessed]).toEqual([1, 0, 0, 1]); // the first scan calls present pages accessed
    expect(worker.lastCost.wallMs).toBeGreaterThan(0);
    expect([...(await worker.scan()).accessed]).toEqual([0, 0, 0, 0]); // marked idle, untouched since
    await worker.close();
    await worker.close();
    await expect(worker.scan()).rejects.toThrow(/closed/);
  });

  it('passes the profiler\'s error and advice on, and still closes', async () => {
    worker = await ScanWorker.start(regions, { profiler: { pagemapPath: path.join(path.dirname(pagemapPath), 'missing'), idleBitmapPath } });
    await expect(worker.scan()).rejects.toThrow(/pagemap/);
    await worker.close();
  });
});
