// OSDP benchmarks (DESIGN.md §7):
//  1. Secure Channel round trips per second through the real ControlPanel and PeripheralDevice on
//     an in-memory loopback (full SC: every command and reply MAC'd, data encrypted), beside the same
//     round trips in plaintext as the baseline of the same run.
//  2. The latency a card read adds over a simulated 115200-baud line: from the CP writing the POLL
//     that collects a waiting card read to the CP's `card` event, minus the pure wire time of the two
//     frames (10 bits per byte). Target: p99 ≤ wire time + 2 ms.
// Runnable alone: node --import tsx bench/osdp.ts

import { randomBytes } from 'node:crypto';
import { type Channel, loopbackPair, serialLinePair } from '../src/osdp/channel.ts';
import { ControlPanel, type PdConfig } from '../src/osdp/cp.ts';
import { runControlPanel } from '../src/osdp/cp-driver.ts';
import { CMD, REPLY } from '../src/osdp/messages.ts';
import { PeripheralDevice } from '../src/osdp/pd.ts';
import { attachPd } from '../src/osdp/pd-driver.ts';
import { fmt, type LatencyStats, latencyStats, type Progress, table, verdict } from './stats.ts';

export interface OsdpBenchReport {
  /** round trips per second and per-round-trip latency in µs */
  secure: { perSecond: number; latency: LatencyStats };
  plaintext: { perSecond: number; latency: LatencyStats };
  /** in ms: wire time of POLL + reply, the overhead above it (measured − wire), and the total */
  cardRead: {
    baud: number;
    wireMs: LatencyStats;
    overheadMs: LatencyStats;
    totalMs: LatencyStats;
    /** p99 of the overhead ≤ 2 ms */
    targetMet: boolean;
  };
}

const random = (n: number) => new Uint8Array(randomBytes(n));
const tick = () => new Promise((resolve) => setImmediate(resolve));

function makePd(scbk: Uint8Array | undefined): PeripheralDevice {
  return new PeripheralDevice({
    address: 1,
    ...(scbk && { scbk }),
    cUid: random(8),
    id: { vendor: Uint8Array.of(0x4d, 0x42, 0x4e), model: 0, version: 0, serial: 0, firmware: [0, 0, 0] },
    capabilities: [
      { function: 8, compliance: 1, items: 0 },
      { function: 9, compliance: 1, items: 0 },
    ],
    random,
  });
}

async function untilOnline(cp: ControlPanel, refresh: boolean): Promise<void> {
  const deadline = performance.now() + 5000;
  while (cp.stateOf(1) !== 'online') {
    if (performance.now() > deadline) throw new Error('the PD did not come online');
    if (refresh) cp.refresh(performance.now());
    await tick();
  }
}

async function roundTrips(config: Partial<PdConfig>, scbk: Uint8Array | undefined, count: number) {
  const [a, b] = loopbackPair();
  attachPd(makePd(scbk), b, () => performance.now());
  // Polling off: every exchange measured is one command and its reply.
  const cp = new ControlPanel({ pds: [{ address: 1, ...config }], random, pollIntervalMs: 1e12 });
  cp.attach(a);
  await untilOnline(cp, true);
  for (let i = 0; i < 200; i++) {
    const warm = cp.send(1, { code: CMD.LSTAT });
    cp.refresh(performance.now());
    await warm;
  }
  const samples = new Float64Array(count);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const reply = cp.send(1, { code: CMD.LSTAT });
    cp.refresh(start);
    await reply;
    samples[i] = (performance.now() - start) * 1000;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (config.scbk && !cp.isSecure(1)) throw new Error('the secure benchmark ran without Secure Channel');
  await a.close();
  await b.close();
  return { perSecond: count / seconds, latency: latencyStats(samples) };
}

async function cardReads(baud: number, count: number) {
  const [cpLine, pdLine] = serialLinePair(baud);
  const scbk = random(16);
  const pd = makePd(scbk);
  attachPd(pd, pdLine, () => performance.now());
  // The CP's side of the line, instrumented: when each command was written and how long it was, and
  // how long the reply that answered it was.
  const t = { commandSent: 0, commandBytes: 0, replyBytes: 0 };
  const cpChannel: Channel = {
    send: (bytes) => {
      t.commandSent = performance.now();
      t.commandBytes = bytes.length;
      cpLine.send(bytes);
    },
    onData: (listener) =>
      cpLine.onData((bytes) => {
        t.replyBytes = bytes.length;
        listener(bytes);
      }),
    close: () => cpLine.close(),
  };
  const cp = new ControlPanel({
    pds: [{ address: 1, scbk }],
    random,
    baud,
    pollIntervalMs: 0,
    clock: () => performance.now(),
  });
  cp.attach(cpChannel);
  // Replies drive the polling (the CP sends its next POLL as soon as a reply is handled);
  // refresh() is only needed for timeouts, so a coarse timer does, and leaves the CPU to the line.
  const driver = runControlPanel(cp, { intervalMs: 1 });
  await untilOnline(cp, false);
  if (!cp.isSecure(1)) throw new Error('the card-read benchmark ran without Secure Channel');
  const byteMs = (10 * 1000) / baud;
  const wire = new Float64Array(count);
  const overhead = new Float64Array(count);
  const total = new Float64Array(count);
  const credential = Uint8Array.from('C-10001', (c) => c.charCodeAt(0));
  for (let i = 0; i < count; i++) {
    // The read lands at a random point of the polling cycle, as a real card would.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    // Read inside the event: right after it the CP already writes its next POLL.
    const seen = new Promise<{ at: number; sent: number; bytes: number }>((resolve) =>
      cp.once('card', () =>
        resolve({ at: performance.now(), sent: t.commandSent, bytes: t.commandBytes + t.replyBytes }),
      ),
    );
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: credential.length * 8, data: credential });
    const event = await seen;
    const measuredMs = event.at - event.sent;
    const wireMs = event.bytes * byteMs;
    wire[i] = wireMs;
    overhead[i] = measuredMs - wireMs;
    total[i] = measuredMs;
  }
  driver.stop();
  await cpLine.close();
  await pdLine.close();
  const overheadStats = latencyStats(overhead);
  return {
    baud,
    wireMs: latencyStats(wire),
    overheadMs: overheadStats,
    totalMs: latencyStats(total),
    targetMet: overheadStats.p99 <= 2,
  };
}

export async function runOsdpBench(progress: Progress = () => {}): Promise<OsdpBenchReport> {
  const key = random(16);
  progress('OSDP: 5,000 Secure Channel round trips (CP ↔ PD, in memory)…');
  const secure = await roundTrips({ scbk: key }, key, 5000);
  progress('OSDP: 5,000 plaintext round trips (baseline)…');
  const plaintext = await roundTrips({ allowPlaintext: true }, undefined, 5000);
  progress('OSDP: 1,000 card reads over a simulated 115200-baud line…');
  const cardRead = await cardReads(115_200, 1000);
  return { secure, plaintext, cardRead };
}

/** The report as small tables, for running this file alone. */
export function formatOsdpReport(report: OsdpBenchReport): string {
  const { secure, plaintext, cardRead: card } = report;
  return [
    'OSDP round trips, CP ↔ PD in memory (LSTAT → LSTATR)\n',
    table([
      ['link', 'round trips/s', 'p50 µs', 'p99 µs', 'samples'],
      ...(
        [
          ['Secure Channel', secure],
          ['plaintext (baseline)', plaintext],
        ] as const
      ).map(([name, r]) => [
        name,
        fmt(r.perSecond, 0),
        fmt(r.latency.p50),
        fmt(r.latency.p99),
        String(r.latency.samples),
      ]),
    ]),
    `\nOSDP card read over a simulated ${card.baud}-baud line (POLL → RAW, Secure Channel)\n`,
    table([
      ['', 'p50 ms', 'p99 ms', 'max ms'],
      ...(
        [
          ['wire time (POLL + reply)', card.wireMs],
          ['measured − wire time', card.overheadMs],
          ['measured (POLL written → card event)', card.totalMs],
        ] as const
      ).map(([name, s]) => [name, fmt(s.p50, 3), fmt(s.p99, 3), fmt(s.max, 3)]),
    ]),
    `\n  target p99 ≤ wire time + 2 ms: +${fmt(card.overheadMs.p99, 3)} ms — ${verdict(card.targetMet)}`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runOsdpBench((m) => process.stderr.write(`… ${m}\n`));
  console.log(formatOsdpReport(report));
}
