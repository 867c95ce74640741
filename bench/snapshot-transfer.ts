// Snapshot transfer at DESIGN.md §7 size (issue 11 §1): a 100,000-person controller snapshot shaped
// as the server builds it (64-hex keyed credential hashes, PIN hashes), sent through a real MQTT
// broker (the embedded one, plain TCP on loopback) both ways — chunked (signed manifest, gzip,
// 256 KiB chunks, each hashed) and as one whole signed message, the baseline, in the same process:
// - pack: canonical JSON + gzip + chunks + hashes, against canonical JSON + signing one message;
// - wire: from the first publish to the body verified and parsed at a subscriber (envelopes opened,
//   chunk and whole hashes checked, decompressed), against the whole message opened and parsed;
// - controller: into a real ControllerAgent until the new policy is installed (compiled);
// - resume: a controller stopped after half the chunks, started again: checking what it staged,
//   and the time and bytes to finish with the missing half only.
// MONBAN_BENCH_TRANSFER_PEOPLE sets the size (default 100,000).

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { canonicalJson, type Json } from '../src/contracts/canonical.ts';
import { Opener, Sealer } from '../src/contracts/envelope.ts';
import type { SnapshotManifest } from '../src/contracts/messages.ts';
import {
  chunkBounds,
  chunkMatches,
  DEFAULT_CHUNK_SIZE,
  openTransferred,
  type PreparedTransfer,
  prepareTransfer,
} from '../src/contracts/transfer.ts';
import { ControllerAgent } from '../src/controller/agent.ts';
import type { ControllerIdentity } from '../src/controller/identity.ts';
import { TransferReceiver } from '../src/controller/snapshot-transfer.ts';
import { startEmbeddedBroker } from '../src/server/mqtt/embedded-broker.ts';
import { snapshotPerson } from './site-generator.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';

export interface SnapshotTransferReport {
  people: number;
  chunkSize: number;
  chunks: number;
  /** canonical JSON of the snapshot body, and its gzip */
  rawBytes: number;
  compressedBytes: number;
  /** what goes on the wire (MQTT payloads): chunked, and as one whole message */
  wireBytes: { chunked: number; whole: number };
  /** the figures below are in milliseconds */
  pack: { chunked: LatencyStats; whole: LatencyStats };
  wire: { chunked: LatencyStats; whole: LatencyStats };
  controller: { chunked: LatencyStats; whole: LatencyStats };
  resume: { staged: number; resent: number; checkStagedMs: number; finishMs: number; resentBytes: number };
}

const TOPIC = 'monban/bench/server/commands/ctl-t';
const ms = (samples: number[]) => latencyStats(Float64Array.from(samples));
const SIZE = { people: 0, doors: 1, levels: 50, groups: 20, areas: 1 };

function snapshotBody(people: number, version: number): Record<string, Json> {
  const size = { ...SIZE, people };
  const site = {
    timezone: 'Asia/Tokyo',
    areas: [{ id: 'office' }],
    doors: [{ id: 'D1', from: 'outside', to: 'office' }],
    schedules: [],
    holidayCalendars: [],
    levels: Array.from({ length: SIZE.levels }, (_, i) => ({ id: `level-${i}`, doors: ['D1'] })),
    groups: [
      ...Array.from({ length: SIZE.groups }, (_, i) => ({ id: `group-${i}`, levels: [] })),
      { id: 'visitors', levels: [] },
    ],
    people: Array.from({ length: people }, (_, i) => snapshotPerson(i, size)),
  };
  return {
    kind: 'snapshot',
    version,
    issuedAt: Date.now(),
    maxAgeMinutes: 24 * 60,
    fallback: 'keep_deciding',
    emergency: [],
    offlineDeny: [],
    site: JSON.parse(JSON.stringify(site)) as Json,
  };
}

async function time<T>(run: () => Promise<T> | T): Promise<[number, T]> {
  const started = performance.now();
  const value = await run();
  return [performance.now() - started, value];
}

function waitUntil(what: string, probe: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (probe()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 2);
    };
    check();
  });
}

export async function runSnapshotTransferBench(
  progress: Progress = () => {},
  { people = Number(process.env.MONBAN_BENCH_TRANSFER_PEOPLE ?? 100_000), rounds = 7, agentRounds = 3 } = {},
): Promise<SnapshotTransferReport> {
  const server = generateKeyPairSync('ed25519');
  const sealer = new Sealer('server', server.privateKey);
  progress(`snapshot transfer: a snapshot of ${people.toLocaleString()} people…`);
  const body = snapshotBody(people, 1);

  // Pack: what the server does before the first byte goes out.
  const pack = { chunked: [] as number[], whole: [] as number[] };
  let prepared: PreparedTransfer | undefined;
  let wholePayload = '';
  for (let r = 0; r < rounds; r++) {
    const [c, p] = await time(() => prepareTransfer(body));
    pack.chunked.push(c);
    prepared = p;
    const [w, payload] = await time(() => JSON.stringify(sealer.seal(TOPIC, body, Date.now())));
    pack.whole.push(w);
    wholePayload = payload;
  }
  const t = prepared!;
  const rawBytes = Buffer.byteLength(canonicalJson(body));
  const chunkPayloads = () =>
    t.chunks.map((data, index) =>
      JSON.stringify(
        sealer.seal(
          TOPIC,
          { kind: 'snapshot-chunk', transfer: t.manifest.transfer, index, data: data.toString('base64') },
          Date.now(),
        ),
      ),
    );
  const manifestPayload = () =>
    JSON.stringify(sealer.seal(TOPIC, t.manifest as unknown as Record<string, Json>, Date.now()));
  const chunkedWire =
    Buffer.byteLength(manifestPayload()) + chunkPayloads().reduce((n, p) => n + Buffer.byteLength(p), 0);

  const broker = await startEmbeddedBroker({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'monban-transfer-bench-'));
  const clients: MqttClient[] = [];
  const agents: ControllerAgent[] = [];
  try {
    const sender = await mqtt.connectAsync(broker.url, { clientId: 'bench-server', protocolVersion: 4 });
    const receiver = await mqtt.connectAsync(broker.url, { clientId: 'bench-receiver', protocolVersion: 4 });
    clients.push(sender, receiver);
    const send = (payload: string) => sender.publishAsync(TOPIC, payload, { qos: 1 });

    // Wire: a subscriber that opens every envelope and checks what it carries, as a controller does.
    progress('snapshot transfer: through the broker, chunked and whole…');
    const opener = new Opener((s) => (s === 'server' ? server.publicKey : undefined));
    let done: ((value: unknown) => void) | undefined;
    let staging: { manifest: SnapshotManifest; whole: Buffer; have: number } | undefined;
    receiver.on('message', (_topic, payload) => {
      const opened = opener.open(JSON.parse(payload.toString('utf8')));
      if (!opened.ok) throw new Error(`bench message refused: ${opened.reason}`);
      const message = opened.envelope.body as Record<string, Json>;
      if (message.kind === 'snapshot') done?.(message);
      else if (message.kind === 'snapshot-manifest') {
        const manifest = message as unknown as SnapshotManifest;
        staging = { manifest, whole: Buffer.alloc(manifest.size), have: 0 };
      } else if (message.kind === 'snapshot-chunk' && staging) {
        const data = Buffer.from(message.data as string, 'base64');
        const index = message.index as number;
        if (!chunkMatches(staging.manifest, index, data)) throw new Error('bench chunk refused');
        data.copy(staging.whole, chunkBounds(staging.manifest, index).start);
        if (++staging.have === staging.manifest.chunks.length)
          void openTransferred(staging.manifest, staging.whole).then((b) => done?.(b));
      }
    });
    await receiver.subscribeAsync(TOPIC, { qos: 1 });
    const wire = { chunked: [] as number[], whole: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const [c] = await time(async () => {
        const received = new Promise((resolve) => (done = resolve));
        await send(manifestPayload());
        for (const payload of chunkPayloads()) void send(payload);
        await received;
      });
      wire.chunked.push(c);
      const [w] = await time(async () => {
        const received = new Promise((resolve) => (done = resolve));
        await send(JSON.stringify(sealer.seal(TOPIC, body, Date.now())));
        await received;
      });
      wire.whole.push(w);
    }
    await receiver.endAsync(true);

    // Controller: a real agent, until the policy is installed (decompressed, verified, compiled).
    progress('snapshot transfer: into a controller agent…');
    const identity: ControllerIdentity = {
      controllerId: 'ctl-t',
      site: 'bench',
      mqttUrl: broker.url,
      mqttProtocol: 4,
      brokerCa: undefined,
      serverKey: server.publicKey,
      credentialKey: new Uint8Array(32).fill(1),
      privateKey: generateKeyPairSync('ed25519').privateKey,
    };
    let halfway: (() => void) | undefined;
    const startAgent = async (stopAt?: number) => {
      const agent: ControllerAgent = new ControllerAgent({
        dataDir: join(dir, 'ctl'),
        identity,
        softwareVersion: 'bench',
        heartbeatMs: 60_000,
        ...(stopAt !== undefined && { onTransfer: (s) => s.have >= stopAt && halfway?.() }),
      });
      agents.push(agent);
      await agent.start();
      await waitUntil('the controller to connect', () => agent.health().brokerConnected);
      return agent;
    };
    const stop = async (agent: ControllerAgent) => {
      agents.splice(agents.indexOf(agent), 1);
      await agent.stop();
    };
    const controller = { chunked: [] as number[], whole: [] as number[] };
    let version = 1;
    let agent = await startAgent();
    for (let r = 0; r < agentRounds; r++) {
      for (const mode of ['chunked', 'whole'] as const) {
        const v = ++version;
        const next = { ...body, version: v, issuedAt: Date.now() };
        const [elapsed] = await time(async () => {
          if (mode === 'whole') await send(JSON.stringify(sealer.seal(TOPIC, next, Date.now())));
          else {
            const p = await prepareTransfer(next);
            await send(
              JSON.stringify(sealer.seal(TOPIC, p.manifest as unknown as Record<string, Json>, Date.now())),
            );
            for (const [index, data] of p.chunks.entries())
              void send(
                JSON.stringify(
                  sealer.seal(
                    TOPIC,
                    {
                      kind: 'snapshot-chunk',
                      transfer: p.manifest.transfer,
                      index,
                      data: data.toString('base64'),
                    },
                    Date.now(),
                  ),
                ),
              );
          }
          await waitUntil('the policy', () => agent.snapshotVersion === v);
        });
        controller[mode].push(elapsed);
      }
    }
    await stop(agent);

    // Resume: half the chunks, a restart, then only the missing half.
    progress('snapshot transfer: resuming after a restart…');
    const v = ++version;
    const resumed = await prepareTransfer({ ...body, version: v, issuedAt: Date.now() });
    const half = Math.ceil(resumed.chunks.length / 2);
    const sealChunk = (index: number) =>
      JSON.stringify(
        sealer.seal(
          TOPIC,
          {
            kind: 'snapshot-chunk',
            transfer: resumed.manifest.transfer,
            index,
            data: resumed.chunks[index]!.toString('base64'),
          },
          Date.now(),
        ),
      );
    agent = await startAgent(half);
    const reachedHalf = new Promise<void>((resolve) => (halfway = resolve));
    await send(
      JSON.stringify(sealer.seal(TOPIC, resumed.manifest as unknown as Record<string, Json>, Date.now())),
    );
    for (let i = 0; i < half; i++) await send(sealChunk(i));
    await reachedHalf;
    await stop(agent);
    const check = new TransferReceiver(join(dir, 'ctl', 'transfer'), server.publicKey);
    const [checkStagedMs] = await time(() => check.load());
    const missing = check.missing();
    check.close();
    agent = await startAgent();
    let resentBytes = 0;
    const [finishMs] = await time(async () => {
      for (const i of missing) {
        const payload = sealChunk(i);
        resentBytes += Buffer.byteLength(payload);
        void send(payload);
      }
      await waitUntil('the resumed policy', () => agent.snapshotVersion === v);
    });
    await stop(agent);

    return {
      people,
      chunkSize: DEFAULT_CHUNK_SIZE,
      chunks: t.chunks.length,
      rawBytes,
      compressedBytes: t.manifest.size,
      wireBytes: { chunked: chunkedWire, whole: Buffer.byteLength(wholePayload) },
      pack: { chunked: ms(pack.chunked), whole: ms(pack.whole) },
      wire: { chunked: ms(wire.chunked), whole: ms(wire.whole) },
      controller: { chunked: ms(controller.chunked), whole: ms(controller.whole) },
      resume: {
        staged: resumed.chunks.length - missing.length,
        resent: missing.length,
        checkStagedMs,
        finishMs,
        resentBytes,
      },
    };
  } finally {
    for (const agent of agents) await agent.stop().catch(() => {});
    for (const client of clients) await client.endAsync(true).catch(() => {});
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
