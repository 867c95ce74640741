// OSDP benchmarks (DESIGN.md §7):
//  1. Secure Channel round trips per second through the real ControlPanel and PeripheralDevice on
//     an in-memory channel, beside the same round trips in plaintext (the baseline in the same run).
//  2. The latency a card read adds over a simulated 115200-baud line: from the POLL that fetches a
//     waiting card read to the control panel's card event, minus the wire time of the two frames.
//     Target: p99 ≤ wire time + 2 ms.
// Runnable alone: node --import tsx bench/osdp.ts

import { randomBytes } from 'node:crypto';
import { type Channel, loopbackPair, serialLinePair } from '../src/osdp/channel.ts';
import { ControlPanel, type PdConfig } from '../src/osdp/cp.ts';
import { CMD, REPLY } from '../src/osdp/messages.ts';
import { PeripheralDevice } from '../src/osdp/pd.ts';
import { attachPd } from '../src/osdp/pd-driver.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';

export interface OsdpBenchReport {
  secure: { perSecond: number; latency: LatencyStats };
  plaintext: { perSecond: number; latency: LatencyStats };
  cardRead: { baud: number; wireMs: LatencyStats; overheadMs: LatencyStats; totalMs: LatencyStats };
}

const random = (n: number) => new Uint8Array(randomBytes(n));

function makePd(scbk: Uint8Array | undefined): PeripheralDevice {
  return new PeripheralDevice({
    address: 1,
    ...(scbk && { scbk }),
    cUid: random(8),
    id: { vendor: new Uint8Array(3), model: 0, version: 0, serial: 0, firmware: [0, 0, 0] },
    capabilities: [{ function: 8, compliance: 1, items: 0 }],
    random,
  });
}

async function untilOnline(cp: ControlPanel): Promise<void> {
  const deadline = performance.now() + 5000;
  while (cp.stateOf(1) !== 'online') {
    if (performance.now() > deadline) throw new Error('the PD did not come online');
    cp.refresh(performance.now());
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function roundTrips(config: Partial<PdConfig>, scbk: Uint8Array | undefined, count: number) {
  const [a, b] = loopbackPair();
  const pd = makePd(scbk);
  attachPd(pd, b, () => performance.now());
  const cp = new ControlPanel({ pds: [{ address: 1, ...config }], random, pollIntervalMs: 1e9 });
  cp.attach(a);
  await untilOnline(cp);
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
  await a.close();
  await b.close();
  return { perSecond: count / seconds, latency: latencyStats(samples) };
}

async function cardReads(baud: number, count: number) {
  const [cpLine, pdLine] = serialLinePair(baud);
  const scbk = random(16);
  const pd = makePd(scbk);
  // Timestamps at each end of the line, to split the latency into time on the wire and time in
  // software (PD answering, CP decoding and raising the event).
  const t = {
    commandSent: 0,
    commandBytes: 0,
    commandArrived: 0,
    replySent: 0,
    replyBytes: 0,
    replyArrived: 0,
  };
  pdLine.onData(() => {
    t.commandArrived = performance.now();
  });
  const pdChannel: Channel = {
    send: (bytes) => {
      t.replySent = performance.now();
      t.replyBytes = bytes.length;
      pdLine.send(bytes);
    },
    onData: (listener) => pdLine.onData(listener),
    close: () => pdLine.close(),
  };
  attachPd(pd, pdChannel, () => performance.now());
  const cpChannel: Channel = {
    send: (bytes) => {
      t.commandSent = performance.now();
      t.commandBytes = bytes.length;
      cpLine.send(bytes);
    },
    onData: (listener) =>
      cpLine.onData((bytes) => {
        t.replyArrived = performance.now();
        listener(bytes);
      }),
    close: () => cpLine.close(),
  };
  const cp = new ControlPanel({ pds: [{ address: 1, scbk }], random, baud, pollIntervalMs: 0 });
  cp.attach(cpChannel);
  let running = true;
  const loop = () => {
    if (!running) return;
    cp.refresh(performance.now());
    setImmediate(loop);
  };
  loop();
  while (cp.stateOf(1) !== 'online') await new Promise((resolve) => setTimeout(resolve, 5));
  const byteMs = (10 * 1000) / baud;
  const wire = new Float64Array(count);
  const overhead = new Float64Array(count);
  const total = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const seen = new Promise<number>((resolve) => cp.once('card', () => resolve(performance.now())));
    pd.queue({
      code: REPLY.RAW,
      reader: 0,
      format: 0,
      bits: 56,
      data: Uint8Array.from('C-10001', (c) => c.charCodeAt(0)),
    });
    const eventAt = await seen;
    const wireMs = (t.commandBytes + t.replyBytes) * byteMs;
    // Software time: the PD from receiving the POLL to sending the reply, the CP from receiving the
    // reply to raising the card event. Time on the simulated line is replaced by the exact wire time.
    const softwareMs = t.replySent - t.commandArrived + (eventAt - t.replyArrived);
    wire[i] = wireMs * 1000;
    overhead[i] = softwareMs * 1000;
    total[i] = (wireMs + softwareMs) * 1000;
  }
  running = false;
  await cpLine.close();
  await pdLine.close();
  const toMs = (s: LatencyStats): LatencyStats => ({
    samples: s.samples,
    p50: s.p50 / 1000,
    p99: s.p99 / 1000,
    p999: s.p999 / 1000,
    max: s.max / 1000,
  });
  return {
    baud,
    wireMs: toMs(latencyStats(wire)),
    overheadMs: toMs(latencyStats(overhead)),
    totalMs: toMs(latencyStats(total)),
  };
}

export async function runOsdpBench(progress: Progress): Promise<OsdpBenchReport> {
  const key = random(16);
  progress('OSDP: 5,000 Secure Channel round trips (CP ↔ PD, in memory)…');
  const secure = await roundTrips({ scbk: key }, key, 5000);
  progress('OSDP: 5,000 plaintext round trips (baseline)…');
  const plaintext = await roundTrips({ allowPlaintext: true }, undefined, 5000);
  progress('OSDP: 200 card reads over a simulated 115200-baud line…');
  const cardRead = await cardReads(115_200, 200);
  return { secure, plaintext, cardRead };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runOsdpBench((m) => process.stderr.write(`… ${m}\n`));
  console.log(JSON.stringify(report, null, 2));
}
