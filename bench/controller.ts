// Read → unlock through the controller (DESIGN.md §7: p99 ≤ wire time + 2 ms): a card read at an
// OSDP reader on a simulated 115200-baud line with Secure Channel, through the control panel, the
// reader loop and the real ControllerAgent — credential hashed with the site key, decided by the
// core against a signed snapshot of 100,000 people, the access event journaled with an fsync — until
// the agent tells the lock output to release. Measured from the POLL that collects the read being
// written, minus the wire time of that POLL and its reply. The same run measures the decision and
// journal alone (agent.present, no reader) as the floor the reader path adds to. It runs twice: with
// the journal on the disk, as in production (the access event is fsynced before the lock moves, so
// the device's fsync time is in the figure), and, where there is a tmpfs, in memory — the share of
// the software itself.
// Runnable alone: node --import tsx bench/controller.ts

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialIdHash } from '../src/contracts/credential-key.ts';
import { Sealer } from '../src/contracts/envelope.ts';
import { ControllerAgent } from '../src/controller/agent.ts';
import { OsdpReaderPort } from '../src/controller/drivers/osdp-reader.ts';
import { ReaderLoop } from '../src/controller/reader-loop.ts';
import { type Channel, serialLinePair } from '../src/osdp/channel.ts';
import { ControlPanel } from '../src/osdp/cp.ts';
import { runControlPanel } from '../src/osdp/cp-driver.ts';
import { REPLY } from '../src/osdp/messages.ts';
import { PeripheralDevice } from '../src/osdp/pd.ts';
import { attachPd } from '../src/osdp/pd-driver.ts';
import { fmt, type LatencyStats, latencyStats, type Progress, table, verdict } from './stats.ts';

export interface ControllerBenchReport {
  people: number;
  /** where the journal was: the disk (fsync reaches the device), or memory (tmpfs: software alone) */
  journal: 'disk' | 'memory';
  baud: number;
  /** ms: wire time of POLL + RAW, the rest (measured − wire), and the total */
  wireMs: LatencyStats;
  overheadMs: LatencyStats;
  totalMs: LatencyStats;
  /** ms: agent.present alone (hash, decide, journal with fsync, lock output) */
  decideMs: LatencyStats;
  targetMet: boolean;
}

const random = (n: number) => new Uint8Array(randomBytes(n));

function writeSnapshot(dir: string, people: number, credentialKey: Uint8Array) {
  const server = generateKeyPairSync('ed25519');
  const site = {
    timezone: 'Asia/Tokyo',
    areas: [{ id: 'office' }],
    doors: [{ id: 'D1', from: 'outside', to: 'office', strikeSeconds: 5 }],
    schedules: [],
    holidayCalendars: [],
    levels: [{ id: 'staff', doors: ['D1'] }],
    groups: [],
    people: Array.from({ length: people }, (_, i) => ({
      id: `p${i}`,
      levels: ['staff'],
      credentials: [{ type: 'card', id: credentialIdHash(credentialKey, 'card', `C-${i}`) }],
    })),
  };
  const now = Date.now();
  const body = {
    kind: 'snapshot',
    version: 1,
    issuedAt: now,
    maxAgeMinutes: 24 * 60,
    fallback: 'keep_deciding',
    emergency: [],
    offlineDeny: [],
    site,
  };
  const envelope = new Sealer('server', server.privateKey).seal(
    'monban/bench/server/commands/ctl-b',
    body,
    now,
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ base: envelope, deltas: [] }));
  return server.publicKey;
}

export async function runControllerBench(
  progress: Progress = () => {},
  { people = 100_000, reads = 500, journal = 'disk' as 'disk' | 'memory' } = {},
): Promise<ControllerBenchReport> {
  const dir = mkdtempSync(join(journal === 'memory' ? '/dev/shm' : tmpdir(), 'monban-controller-bench-'));
  const credentialKey = new Uint8Array(randomBytes(32));
  progress(`controller: a signed snapshot of ${people.toLocaleString()} people…`);
  const serverKey = writeSnapshot(dir, people, credentialKey);
  let unlockedAt = 0;
  const agent = new ControllerAgent({
    dataDir: dir,
    identity: {
      controllerId: 'ctl-b',
      site: 'bench',
      mqttUrl: 'mqtt://127.0.0.1:9',
      mqttProtocol: 4,
      brokerCa: undefined,
      serverKey,
      credentialKey,
      privateKey: generateKeyPairSync('ed25519').privateKey,
    },
    softwareVersion: 'bench',
    // The release of the lock output: what a relay driver acts on.
    io: {
      setUnlocked: (_door, unlocked) => {
        if (unlocked) unlockedAt = performance.now();
      },
    },
  });
  if (agent.snapshotVersion !== 1) throw new Error('the benchmark snapshot was not installed');

  // The reader on its line, instrumented on the CP's side as in bench/osdp.ts.
  const baud = 115_200;
  const [cpLine, pdLine] = serialLinePair(baud);
  const scbk = random(16);
  const pd = new PeripheralDevice({
    address: 1,
    scbk,
    cUid: random(8),
    id: { vendor: Uint8Array.of(0x4d, 0x42, 0x4e), model: 0, version: 0, serial: 0, firmware: [0, 0, 0] },
    capabilities: [
      { function: 8, compliance: 1, items: 0 },
      { function: 9, compliance: 1, items: 0 },
    ],
    random,
  });
  attachPd(pd, pdLine, () => performance.now());
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
  const loop = new ReaderLoop({ decider: agent, now: Date.now }, [
    { id: 'R1', door: 'D1', side: 'in', port: new OsdpReaderPort(cp, 1) },
  ]);
  loop.start();
  const driver = runControlPanel(cp, { intervalMs: 1 });
  const deadline = performance.now() + 5000;
  while (!cp.isSecure(1)) {
    if (performance.now() > deadline) throw new Error('the reader did not come online');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  const byteMs = (10 * 1000) / baud;
  const wire = new Float64Array(reads);
  const overhead = new Float64Array(reads);
  const total = new Float64Array(reads);
  progress(`controller: ${reads} card reads → unlock over a simulated ${baud}-baud line…`);
  for (let i = 0; i < reads; i++) {
    // The door closes behind the last person: locked again, so the next grant releases it anew.
    agent.doorSensor('D1', true);
    agent.doorSensor('D1', false);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    // The POLL that collects the read and the reply's size, captured when the card event fires.
    const collected = new Promise<{ sent: number; bytes: number }>((resolve) =>
      cp.once('card', () => resolve({ sent: t.commandSent, bytes: t.commandBytes + t.replyBytes })),
    );
    unlockedAt = 0;
    const credential = Uint8Array.from(`C-${(i * 7919) % people}`, (c) => c.charCodeAt(0));
    pd.queue({ code: REPLY.RAW, reader: 0, format: 0, bits: credential.length * 8, data: credential });
    const read = await collected;
    // The card event runs the whole decision synchronously: the lock was told before it returned.
    if (unlockedAt === 0) throw new Error('a read did not unlock the door');
    wire[i] = read.bytes * byteMs;
    total[i] = unlockedAt - read.sent;
    overhead[i] = total[i]! - wire[i]!;
  }
  loop.stop();
  driver.stop();
  await cpLine.close();
  await pdLine.close();

  progress('controller: the same decisions without a reader (hash, decide, journal, lock)…');
  const decide = new Float64Array(reads);
  for (let i = 0; i < reads; i++) {
    agent.doorSensor('D1', true);
    agent.doorSensor('D1', false);
    const start = performance.now();
    agent.present({ door: 'D1', side: 'in', card: `C-${(i * 104_729) % people}` });
    decide[i] = performance.now() - start;
  }
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
  const overheadStats = latencyStats(overhead);
  return {
    people,
    journal,
    baud,
    wireMs: latencyStats(wire),
    overheadMs: overheadStats,
    totalMs: latencyStats(total),
    decideMs: latencyStats(decide),
    targetMet: overheadStats.p99 <= 2,
  };
}

export function formatControllerReport(r: ControllerBenchReport): string {
  return [
    `Read → unlock through the controller: OSDP Secure Channel on a simulated ${r.baud}-baud line, ${r.people.toLocaleString()} people, journal on ${r.journal}, ${r.totalMs.samples} reads\n`,
    table([
      ['', 'p50 ms', 'p99 ms', 'max ms'],
      ...(
        [
          ['wire time (POLL + RAW)', r.wireMs],
          ['software added (reader link, decision, journal fsync)', r.overheadMs],
          ['total (POLL written → lock released)', r.totalMs],
          ['baseline: decision + journal alone', r.decideMs],
        ] as const
      ).map(([name, s]) => [name, fmt(s.p50, 3), fmt(s.p99, 3), fmt(s.max, 3)]),
    ]),
    `\n  target p99 ≤ wire time + 2 ms: +${fmt(r.overheadMs.p99, 3)} ms — ${verdict(r.targetMet)}`,
  ].join('\n');
}

/** The journal in memory as well, where the machine has a tmpfs: the software's own share. */
export const memoryJournalAvailable = (): boolean => existsSync('/dev/shm');

if (import.meta.url === `file://${process.argv[1]}`) {
  const progress = (m: string) => process.stderr.write(`… ${m}\n`);
  console.log(formatControllerReport(await runControllerBench(progress)));
  if (memoryJournalAvailable())
    console.log(`\n${formatControllerReport(await runControllerBench(progress, { journal: 'memory' }))}`);
}
