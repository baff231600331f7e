/** Readable output of the commands. */
import type { RunResult } from './run.js';
import type { SimulateOutput } from './simulate.js';

export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

const MiB = 1024 * 1024;
const f1 = (n: number): string => n.toFixed(1);

export function formatRun(r: RunResult): string {
  const rows: [string, string][] = [
    ['workload', `${r.workload} (${r.pages} pages = ${f1(r.sizeBytes / MiB)} MiB, ${r.passes} passes, ${r.references} references, ${r.region} region)`],
    ['policy', r.policy],
    ['threshold', `${f1(r.thresholdBytes / MiB)} MiB (${r.thresholdSource})`],
    ['wall time', `${f1(r.wallMs)} ms (writes ${f1(r.runMs)} ms, check ${f1(r.verifyMs)} ms)`],
    ['CPU time', `${f1(r.cpu.totalMs)} ms (user ${f1(r.cpu.userMs)}, system ${f1(r.cpu.systemMs)})`],
    ['pswpin / pswpout', `${r.pswpin} / ${r.pswpout}`],
    ['swap device busy', `${r.swapBusyMs} ms (${r.swapDevices.map((d) => `${d.swap} on ${d.device ?? '?'}`).join(', ') || 'no swap'})`],
    ['threshold deficit', `${r.thresholdDeficitMiBs.toFixed(2)} MiB·s (${r.freeMemory.samples} samples every ${r.freeMemory.intervalMs} ms, min free ${r.freeMemory.minFreeBytes === null ? '?' : f1(r.freeMemory.minFreeBytes / MiB)} MiB)`],
    ['major faults', `${r.majorFaults} (process), ${r.pgmajfault} (system)`],
    ['SIGBALLOON', String(r.sigballoonCount)],
    ['swap-out calls', String(r.swapOutCalls)],
    ['pages requested / freed', `${r.pagesRequested} / ${r.pagesFreed}`],
    ['integrity', r.integrity.ok ? `pass (${r.integrity.pagesChecked} pages, checksum ${r.integrity.checksum})` : `FAIL: ${r.integrity.badPages} bad pages, first ${r.integrity.firstBadPage}`],
    ['kernel counters', r.kernelCounters === null ? `n/a (${r.kernelCountersError ?? 'unavailable'})` : Object.entries(r.kernelCounters).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${v}`).join(' ') || 'no change'],
    ['bystander', r.bystander === null ? 'none' : `${f1(r.bystander.bytes / MiB)} MiB (${r.bystander.method})`],
  ];
  if (r.agentErrors.length > 0) rows.push(['agent errors', r.agentErrors.join('; ')]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

export function formatSimulate(s: SimulateOutput): string {
  const source = s.traceFile !== null ? `trace ${s.traceFile}: ${s.pages} pages` : `${s.workload}: ${s.pages} pages, ${s.passes} passes`;
  const head = `${source}, ${s.references} references${s.sample > 1 ? ` (every ${s.sample}th)` : ''}, memory ${s.memoryPages} pages`;
  const setting = `agent policies: a scan every ${s.scanEveryReferences} references, ${s.batchPages} page${s.batchPages === 1 ? '' : 's'} per call; anchors and MIN: per reference, one page per fault`;
  const ratio = (r: SimulateOutput['results'][number]): string => (r.swapInsToMin === null ? '-' : `${r.swapInsToMin.toFixed(2)}x`);
  return [
    head,
    setting,
    table(
      ['policy', 'kind', 'faults', 'cold', 'swap-ins', 'vs MIN', 'swap-outs', 'calls', 'ranges'],
      s.results.map((r) => [r.policy, r.kind, r.faults, r.coldMisses, r.swapIns, ratio(r), r.swapOuts, r.policyCalls, r.swapOutRanges]),
    ),
    ...(s.minSwapIns === 0 ? ['MIN makes no swap-in here: compare the counts (no ratio to 0).'] : []),
  ].join('\n');
}
