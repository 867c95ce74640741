// A card revoked on the server is denied at two controllers within a second, over the embedded
// broker and over the real Mosquitto on 127.0.0.1:1883 (skipped, saying so, when it is not running).
// Forged and replayed commands are rejected and raise an alarm.
import { generateKeyPairSync } from 'node:crypto';
import { createConnection } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialIdHash } from '../../src/contracts/credential-key.ts';
import { Sealer } from '../../src/contracts/envelope.ts';
import { ServerLink } from '../../src/controller/server-link.ts';
import { SiteEngine } from '../../src/core/engine.ts';
import type { CoreEvent } from '../../src/core/events.ts';
import { ControllerHub } from '../../src/server/mqtt/controller-hub.ts';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../src/server/mqtt/embedded-broker.ts';
import { at, site } from '../support/sites.ts';

const mosquittoUp = await new Promise<boolean>((resolve) => {
  const socket = createConnection({ host: '127.0.0.1', port: 1883 });
  socket.once('connect', () => {
    socket.destroy();
    resolve(true);
  });
  socket.once('error', () => resolve(false));
});

const siteKey = new Uint8Array(32).fill(3);
const serverKeys = generateKeyPairSync('ed25519');
const controllerKeys = { 'ctl-1': generateKeyPairSync('ed25519'), 'ctl-2': generateKeyPairSync('ed25519') };
const T0 = at('2026-01-05T09:00');

function siteEngine(): SiteEngine {
  return new SiteEngine(
    site({
      areas: [{ id: 'room' }],
      doors: [{ id: 'D1', from: 'outside', to: 'room' }],
      levels: [{ id: 'all', doors: ['D1'] }],
      people: [{ id: 'alice', levels: ['all'], credentials: [{ type: 'card', id: 'C-1001' }] }],
    }),
    T0,
  );
}

async function scenario(url: string, siteName: string) {
  const events: Record<string, CoreEvent[]> = { 'ctl-1': [], 'ctl-2': [] };
  const engines = { 'ctl-1': siteEngine(), 'ctl-2': siteEngine() };
  const links = (['ctl-1', 'ctl-2'] as const).map(
    (id) =>
      new ServerLink({
        url,
        site: siteName,
        controllerId: id,
        controllerKey: controllerKeys[id].privateKey,
        serverKey: serverKeys.publicKey,
        credentialHashKey: siteKey,
        engine: engines[id],
        now: () => T0 + 1000,
        record: (e) => events[id]!.push(e),
      }),
  );
  const hub = new ControllerHub({
    url,
    site: siteName,
    serverKey: serverKeys.privateKey,
    controllerKeys: (id) =>
      (controllerKeys as Record<string, { publicKey: import('node:crypto').KeyObject }>)[id]?.publicKey,
    now: () => T0 + 1000,
  });
  await Promise.all([...links.map((l) => l.start()), hub.start()]);
  const present = (id: 'ctl-1' | 'ctl-2') =>
    engines[id].present({ door: 'D1', side: 'in', credential: 'card:C-1001' }, T0 + 2000).reason;
  expect(present('ctl-1')).toBe('granted');
  expect(present('ctl-2')).toBe('granted');

  const start = performance.now();
  const hash = credentialIdHash(siteKey, 'card', 'C-1001');
  await Promise.all(
    ['ctl-1', 'ctl-2'].map((id) => hub.command(id, { kind: 'command', command: 'revoke', credential: hash })),
  );
  const deadline = start + 1000;
  while (
    performance.now() < deadline &&
    !(engines['ctl-1'].state.revoked.size > 0 && engines['ctl-2'].state.revoked.size > 0)
  ) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const elapsed = performance.now() - start;
  expect(elapsed).toBeLessThan(1000);
  expect(present('ctl-1')).toBe('credential_inactive');
  expect(present('ctl-2')).toBe('credential_inactive');

  // A forger with its own key, and a replay of a genuine command: both rejected with an alarm.
  const forger = await mqtt.connectAsync(url, { clientId: 'intruder', protocolVersion: 4 });
  const topic = `monban/${siteName}/server/commands/ctl-1`;
  const forged = new Sealer('server', generateKeyPairSync('ed25519').privateKey, 1000).seal(
    topic,
    { kind: 'command', command: 'unlock-door', door: 'D1' },
    0,
  );
  await forger.publishAsync(topic, JSON.stringify(forged), { qos: 1 });
  const genuine = new Sealer('server', serverKeys.privateKey, 0).seal(
    topic,
    { kind: 'command', command: 'unlock-door', door: 'D1' },
    0,
  );
  await forger.publishAsync(topic, JSON.stringify(genuine), { qos: 1 }); // sequence 1: already used
  const alarmsBy = performance.now() + 1000;
  while (performance.now() < alarmsBy && events['ctl-1']!.filter((e) => e.type === 'alarm').length < 2)
    await new Promise((resolve) => setTimeout(resolve, 5));
  const alarms = events['ctl-1']!.filter((e) => e.type === 'alarm').map((e) =>
    e.type === 'alarm' ? e.detail : '',
  );
  expect(alarms).toEqual(['command rejected: bad_signature', 'command rejected: replayed']);
  // Neither the forged nor the replayed unlock was carried out.
  expect(events['ctl-1']!.some((e) => e.type === 'operator' && e.action === 'unlock-door')).toBe(false);

  await forger.endAsync();
  await Promise.all([...links.map((l) => l.stop()), hub.stop()]);
  return elapsed;
}

describe('revocation over MQTT', () => {
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
  });
  afterAll(async () => {
    await broker.close();
  });

  it('reaches both controllers within 1 s through the embedded broker', async () => {
    expect(await scenario(broker.url, `embedded${Date.now()}`)).toBeLessThan(1000);
  });

  it.skipIf(!mosquittoUp)(
    'reaches both controllers within 1 s through Mosquitto on 127.0.0.1:1883',
    async () => {
      expect(await scenario('mqtt://127.0.0.1:1883', `mosquitto${Date.now()}`)).toBeLessThan(1000);
    },
  );
  if (!mosquittoUp)
    it('Mosquitto test skipped: no broker on 127.0.0.1:1883 (start it with `mosquitto -d`)', () => {});
});
