import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeReferenceString } from '../../../src/agent/trace.js';
import { UsageError } from '../../../src/cli/errors.js';
import { formatSimulate } from '../../../src/cli/format.js';
import { defaultScanEvery, planSimulate, readTraceFile, runSimulate } from '../../../src/cli/simulate.js';
import { makeSpec, referenceString } from '../../../src/workloads/index.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-simulate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('balloon simulate (in process)', () => {
  it('--trace replays a file as balloon run --trace writes it: the same figures as the workload itself', () => {
    const spec = makeSpec('zipf', 128, 3, 4);
    const file = path.join(tmp, 'zipf.trace');
    const trace = referenceString(spec);
    writeFileSync(file, encodeReferenceString(trace));
    const fromTrace = runSimulate({ trace: file, memory: '64' });
    const fromWorkload = runSimulate({ workload: 'zipf', pages: '128', passes: '3', seed: '4', memory: '64' });
    expect(fromTrace).toMatchObject({ workload: 'trace', traceFile: file, references: trace.length, pages: 128, passes: 0, seed: 0 });
    expect(fromTrace.results).toEqual(fromWorkload.results);
    expect(formatSimulate(fromTrace).split('\n')[0]).toBe(`trace ${file}: 128 pages, ${trace.length} references, memory 64 pages`);
  });

  it('--sample and --scan-every reach the simulation; the scan interval defaults to a quarter of memory', () => {
    expect(defaultScanEvery(1024)).toBe(256);
    expect(defaultScanEvery(2)).toBe(1);
    const every = runSimulate({ workload: 'sweep', memory: '32', sample: '2', scanEvery: '5' });
    expect(every).toMatchObject({ sample: 2, scanEveryReferences: 5, references: (64 * 3) / 2 });
    expect(planSimulate({ workload: 'sweep', memory: '32' }).scanEveryReferences).toBe(8);
  });

  it('chooses the anchors and policies it is asked for', () => {
    const out = runSimulate({ workload: 'loop', memory: '16' }, ['balloon'], ['lirs']);
    expect(out.results.map((r) => r.policy)).toEqual(['balloon', 'lirs', 'min']);
  });

  it('trace file errors are UsageErrors (exit 2) naming the file', () => {
    expect(() => readTraceFile(path.join(tmp, 'nope'))).toThrow(UsageError);
    writeFileSync(path.join(tmp, 'three'), new Uint8Array(3));
    expect(() => readTraceFile(path.join(tmp, 'three'))).toThrowError(`trace file ${path.join(tmp, 'three')} is 3 bytes, not a multiple of 4`);
  });
});
