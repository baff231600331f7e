import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeReferenceString } from '../../../src/agent/trace.js';
import { UsageError } from '../../../src/cli/errors.js';
import { formatSimulate } from '../../../src/cli/format.js';
import { defaultScanEvery, planSimulate, readTraceFile, runSimulate, simulateProgress } from '../../../src/cli/simulate.js';
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

describe('simulate progress', () => {
  const row = (policy: string, swapIns: number) => ({ policy, swapIns }) as Parameters<ReturnType<typeof simulateProgress>>[0];

  it('stays silent for a short run', () => {
    const lines: string[] = [];
    let t = 0;
    const onRow = simulateProgress((l) => lines.push(l), 10_000, () => t);
    t = 500;
    onRow(row('min', 3), 1, 8);
    expect(lines).toEqual([]);
  });

  it('announces a long trace, then reports each row once a second has passed', () => {
    const lines: string[] = [];
    let t = 0;
    const onRow = simulateProgress((l) => lines.push(l), 2_000_000, () => t);
    t = 400;
    onRow(row('min', 1_234), 1, 8);
    t = 2_500;
    onRow(row('fifo', 56_789), 2, 8);
    expect(lines).toEqual([
      'simulating 2,000,000 references against every policy, anchor and MIN: this takes a while',
      '2/8 fifo done (56,789 swap-ins), 2.5 s',
    ]);
  });
});
