/**
 * Latency of one SIGBALLOON delivery to a JavaScript listener.
 *
 * The process sends itself one signal at a time (rt_sigqueueinfo through the
 * addon's test helper, process-directed, as the kernel would send it) and
 * waits for the listener before sending the next. Two latencies per signal:
 *   send→listener:    from just before the send to the start of the listener;
 *   handler→listener: from the signal handler's timestamp to the listener.
 * Prints median / p99 and writes results/bench-signal.json.
 *
 *   npx tsx scripts/bench-signal.ts [--count 5000] [--warmup 200] [--out results/bench-signal.json]
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { orExit, outFileOption, parseScriptOptions, wholeOption } from '../src/harness/cli.js';
import { balloonSignalStats, onBalloonSignal, sigballoon } from '../src/kernel/index.js';
import { addonBuildInfo, raiseBalloonSignal } from '../src/kernel/testing.js';

const USAGE_HINT = 'See the usage at the top of scripts/bench-signal.ts.';
const { values } = parseScriptOptions('bench:signal', USAGE_HINT, {
  options: {
    count: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '200' },
    out: { type: 'string', default: path.join('results', 'bench-signal.json') },
  },
});
const [count, warmup] = orExit('bench:signal', (): [number, number] => [wholeOption('--count', values.count, 1, USAGE_HINT), wholeOption('--warmup', values.warmup, 0, USAGE_HINT)]);
orExit('bench:signal', () => outFileOption('--out', values.out, USAGE_HINT));

interface Sample {
  sendToListenerNs: bigint;
  handlerToListenerNs: bigint;
}

let resolveNext: ((s: Sample) => void) | undefined;
let sentAt = 0n;
const off = onBalloonSignal((ev) => {
  const now = process.hrtime.bigint();
  const r = resolveNext;
  resolveNext = undefined;
  r?.({ sendToListenerNs: now - sentAt, handlerToListenerNs: now - ev.timestampNs });
}, { keepAlive: true }); // nothing else keeps the event loop alive while we await the listener

async function once(i: number): Promise<Sample> {
  const received = new Promise<Sample>((resolve) => (resolveNext = resolve));
  sentAt = process.hrtime.bigint();
  raiseBalloonSignal({ value: BigInt(i) });
  return received;
}

for (let i = 0; i < warmup; i++) await once(i);
const samples: Sample[] = [];
const statsBefore = balloonSignalStats();
for (let i = 0; i < count; i++) samples.push(await once(warmup + i));
const statsAfter = balloonSignalStats();
off();

function summarize(ns: bigint[]) {
  const us = ns.map((v) => Number(v) / 1000).sort((a, b) => a - b);
  const q = (p: number) => us[Math.min(us.length - 1, Math.max(0, Math.ceil((p / 100) * us.length) - 1))]!;
  const mean = us.reduce((a, b) => a + b, 0) / us.length;
  return { medianUs: q(50), p90Us: q(90), p99Us: q(99), minUs: us[0]!, maxUs: us[us.length - 1]!, meanUs: mean };
}

const sendToListener = summarize(samples.map((s) => s.sendToListenerNs));
const handlerToListener = summarize(samples.map((s) => s.handlerToListenerNs));
const result = {
  benchmark: 'signal-delivery-latency',
  date: new Date().toISOString(),
  count,
  warmup,
  signal: sigballoon(),
  addon: addonBuildInfo(),
  host: { node: process.version, kernel: os.release(), cpus: os.cpus().length, arch: process.arch },
  received: statsAfter.received - statsBefore.received,
  dropped: statsAfter.dropped - statsBefore.dropped,
  sendToListener,
  handlerToListener,
};

const fmt = (s: ReturnType<typeof summarize>) =>
  `median ${s.medianUs.toFixed(1)} µs, p99 ${s.p99Us.toFixed(1)} µs (min ${s.minUs.toFixed(1)}, max ${s.maxUs.toFixed(1)})`;
console.log(`SIGBALLOON (${result.signal}) delivery latency over ${count} signals:`);
console.log(`  send -> JS listener:    ${fmt(sendToListener)}`);
console.log(`  handler -> JS listener: ${fmt(handlerToListener)}`);
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${values.out}`);
