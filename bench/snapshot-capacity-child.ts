// One side of the end-to-end capacity transfer (bench/snapshot-capacity.ts), in a process of its own
// so that its memory figures are its own. Writes JSON lines to stdout.
//
//   --role server      builds a snapshot of --people people shaped as the server makes them (64-hex
//                      keyed hashes), packs it as a transfer (contracts/transfer.ts: lines, gzip,
//                      chunks) and publishes the signed manifest and chunks to the controller's topic,
//                      a window of acknowledgements at a time, as the server's SnapshotTransfers does
//   --role controller  a real ControllerAgent: receives the transfer, checks it, installs it
//                      (decompressed and compiled line by line), decides cards, and stops
//   --role restart     a new controller process: loads the stored snapshot from the data dir
//                      (checked, decompressed and compiled line by line), decides cards
//
// Keys and the broker come in the environment (MONBAN_BENCH_*), set by the parent.

import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import v8 from 'node:v8';
import mqtt from 'mqtt';
import type { Json } from '../src/contracts/canonical.ts';
import { credentialIdHash } from '../src/contracts/credential-key.ts';
import { Sealer } from '../src/contracts/envelope.ts';
import { prepareTransfer } from '../src/contracts/transfer.ts';
import { ControllerAgent } from '../src/controller/agent.ts';
import type { ControllerIdentity } from '../src/controller/identity.ts';
import { decide } from '../src/core/decide.ts';
import type { SiteEngine } from '../src/core/engine.ts';
import type { PersonDef } from '../src/core/model.ts';
import { snapshotPerson } from './site-generator.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const role = arg('role', 'server');
const people = Number(arg('people', '2000000'));
const version = Number(arg('version', '2'));
const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const brokerUrl = env('MONBAN_BENCH_BROKER');
const CONTROLLER = 'ctl-cap';
const SITE = 'bench';
const TOPIC = `monban/${SITE}/server/commands/${CONTROLLER}`;
/** the credential key the server hashes card numbers with, and the controller too */
const credentialKey = new Uint8Array(32).fill(7);
/** people 1…KNOWN (active, cards active): their card numbers are known, not only their hashes */
const KNOWN = 10;
const knownCard = (i: number) => `bench-card-${i}`;

const MB = 1024 * 1024;
const memory = () => {
  const m = process.memoryUsage();
  const space = (name: string) =>
    (v8.getHeapSpaceStatistics().find((s) => s.space_name === name)?.physical_space_size ?? 0) / MB;
  // heapTotal: what V8 holds for its heap (RSS counts it), used or not — after a compile, mostly
  // space its young generation grew to (newSpaceMB) and old space not yet given back (oldSpaceMB).
  return {
    rssMB: m.rss / MB,
    heapMB: m.heapUsed / MB,
    heapTotalMB: m.heapTotal / MB,
    newSpaceMB: space('new_space'),
    oldSpaceMB: space('old_space'),
    arrayBuffersMB: m.arrayBuffers / MB,
  };
};
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const gc = () => (globalThis as { gc?: () => void }).gc?.();

const SIZE = { people, doors: 1, levels: 50, groups: 20, areas: 1 };

function person(i: number): PersonDef {
  const p = snapshotPerson(i, SIZE);
  if (i < 1 || i > KNOWN) return p;
  // Known cards: the hash the server would send for them; level-0 opens the door.
  const [card, ...rest] = p.credentials;
  return {
    ...p,
    levels: ['level-0'],
    credentials: [{ ...card!, id: credentialIdHash(credentialKey, 'card', knownCard(i)) }, ...rest],
  };
}

async function server(): Promise<void> {
  const sealer = new Sealer('server', createPrivateKey(env('MONBAN_BENCH_SERVER_KEY')));
  const started = performance.now();
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
    people: Array.from({ length: people }, (_, i) => person(i)),
  };
  const body = {
    kind: 'snapshot',
    version,
    issuedAt: Date.now(),
    maxAgeMinutes: 24 * 60,
    fallback: 'keep_deciding',
    emergency: [],
    offlineDeny: [],
    site,
  } as unknown as Record<string, Json>;
  const builtMs = performance.now() - started;
  const p0 = performance.now();
  const prepared = await prepareTransfer(body);
  const packMs = performance.now() - p0;
  gc();
  const packed = memory();
  const client = await mqtt.connectAsync(brokerUrl, { clientId: 'bench-cap-server', protocolVersion: 4 });
  const s0 = performance.now();
  const seal = (message: Record<string, Json>) => JSON.stringify(sealer.seal(TOPIC, message, Date.now()));
  await client.publishAsync(TOPIC, seal(prepared.manifest as unknown as Record<string, Json>), { qos: 1 });
  const inFlight = new Set<Promise<unknown>>();
  for (const [index, data] of prepared.chunks.entries()) {
    const sent = client.publishAsync(
      TOPIC,
      seal({
        kind: 'snapshot-chunk',
        transfer: prepared.manifest.transfer,
        index,
        data: data.toString('base64'),
      }),
      { qos: 1 },
    );
    inFlight.add(sent);
    void sent.then(() => inFlight.delete(sent));
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const sendMs = performance.now() - s0;
  await client.endAsync();
  say({
    role: 'server',
    people,
    builtMs,
    packMs,
    sendMs,
    rawBytes: prepared.manifest.rawSize,
    compressedBytes: prepared.manifest.size,
    chunks: prepared.chunks.length,
    format: prepared.manifest.format ?? 'json',
    packed,
  });
}

function waitUntil(what: string, probe: () => boolean, timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (probe()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 5);
    };
    check();
  });
}

/** The agent as both controller processes make it, and how they time its decisions. */
function controllerParts(onTransfer: (s: { have: number; total: number }) => void, alarms: string[]) {
  const identity: ControllerIdentity = {
    controllerId: CONTROLLER,
    site: SITE,
    mqttUrl: brokerUrl,
    mqttProtocol: 4,
    brokerCa: undefined,
    serverKey: createPublicKey(env('MONBAN_BENCH_SERVER_PUBLIC')),
    credentialKey,
    privateKey: generateKeyPairSync('ed25519').privateKey,
  };
  const dataDir = env('MONBAN_BENCH_DATA');
  const make = () =>
    new ControllerAgent({
      dataDir,
      identity,
      softwareVersion: 'bench',
      heartbeatMs: 10 * 60_000,
      onTransfer,
      onEvent: (e) => {
        const detail = String((e as { detail?: unknown }).detail ?? '');
        // Only the policy's own alarms: no server heartbeats come here, so the link is "lost".
        if (e.type === 'alarm' && /snapshot|transfer/.test(detail)) alarms.push(detail);
      },
    });
  const decideKnown = (agent: ControllerAgent) => {
    let grants = 0;
    for (let i = 1; i <= KNOWN; i++)
      if (
        agent.present({ door: 'D1', side: i % 2 === 0 ? 'in' : 'out', card: knownCard(i) }).result === 'grant'
      )
        grants++;
    const unknown = agent.present({ door: 'D1', side: 'in', card: 'not-a-card' }).result;
    return { grants, unknown };
  };
  /** Decision times (µs, through the agent: lookup, decide, journal) of known and unknown cards. */
  const decideTimes = (agent: ControllerAgent) => {
    const times: number[] = [];
    for (let n = 0; n < 2_000; n++) {
      const i = 1 + (n % (KNOWN + 1));
      const card = i > KNOWN ? `unknown-${n}` : knownCard(i);
      const t0 = performance.now();
      agent.present({ door: 'D1', side: n % 2 === 0 ? 'in' : 'out', card });
      times.push((performance.now() - t0) * 1000);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    return { p50: at(0.5), p99: at(0.99), max: times[times.length - 1]! };
  };
  /**
   * The core decision alone (core/decide.ts) on the agent's compiled policy, for cards of people
   * spread over the whole store (their keyed hashes regenerated as the server made them).
   */
  const decideCore = (agent: ControllerAgent) => {
    const { policy, state } = (agent as unknown as { engine: SiteEngine }).engine;
    const keys = Array.from({ length: 20_000 }, (_, n) => {
      const i = KNOWN + 1 + ((n * 7919) % (people - KNOWN - 1));
      return `card:${person(i).credentials[0]!.id}`;
    });
    const now = Date.now();
    const times: number[] = [];
    let granted = 0;
    for (let round = 0; round < 5; round++)
      for (const [n, credential] of keys.entries()) {
        const t0 = performance.now();
        const d = decide(policy, state, { door: 'D1', side: n % 2 === 0 ? 'in' : 'out', credential }, now);
        times.push((performance.now() - t0) * 1000);
        if (d.result === 'grant') granted++;
      }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    return { p50: at(0.5), p99: at(0.99), granted: granted / 5, of: keys.length };
  };
  return { make, decideKnown, decideTimes, decideCore };
}

async function controller(): Promise<void> {
  let firstChunkAt = 0;
  let lastChunkAt = 0;
  let lastChunkCpu = process.cpuUsage();
  const alarms: string[] = [];
  const { make, decideKnown, decideTimes, decideCore } = controllerParts((s) => {
    if (firstChunkAt === 0) firstChunkAt = performance.now();
    if (s.have === s.total) {
      lastChunkAt = performance.now();
      lastChunkCpu = process.cpuUsage();
    }
  }, alarms);
  gc();
  const baseline = memory();
  const agent = make();
  await agent.start();
  await waitUntil('the broker', () => agent.health().brokerConnected);
  say({ role: 'controller', ready: true });
  await waitUntil('the policy', () => agent.snapshotVersion === version || alarms.length > 0);
  const installedAt = performance.now();
  const installCpu = process.cpuUsage(lastChunkCpu);
  if (agent.snapshotVersion !== version) throw new Error(`not installed: ${alarms.join('; ')}`);
  const installed = memory();
  gc();
  const installedAfterGc = memory();
  const decided = decideKnown(agent);
  const decisionUs = decideTimes(agent);
  const coreDecisionUs = decideCore(agent);
  await agent.stop();
  say({
    role: 'controller',
    people,
    receiveMs: lastChunkAt - firstChunkAt,
    installMs: installedAt - lastChunkAt,
    installCpuMs: (installCpu.user + installCpu.system) / 1000,
    decisionUs,
    coreDecisionUs,
    baseline,
    installed,
    installedAfterGc,
    decided,
    alarms,
  });
}

/** A controller process started again: it loads the stored snapshot from its data dir. */
async function restart(): Promise<void> {
  const { make, decideKnown, decideTimes, decideCore } = controllerParts(() => {}, []);
  gc();
  const baseline = memory();
  const r0 = performance.now();
  const c0 = process.cpuUsage();
  const agent = make();
  const restartMs = performance.now() - r0;
  const restartCpu = process.cpuUsage(c0);
  const afterRestart = memory();
  gc();
  const afterRestartGc = memory();
  say({
    role: 'restart',
    people,
    restartMs,
    restartCpuMs: (restartCpu.user + restartCpu.system) / 1000,
    restartedVersion: agent.snapshotVersion,
    restartBaseline: baseline,
    afterRestart,
    afterRestartGc,
    decidedAfterRestart: decideKnown(agent),
    decisionUsAfterRestart: decideTimes(agent),
    coreDecisionUsAfterRestart: decideCore(agent),
  });
  await agent.stop();
}

await (role === 'server' ? server() : role === 'restart' ? restart() : controller());
