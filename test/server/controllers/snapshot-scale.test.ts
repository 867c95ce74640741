// Snapshots at DESIGN.md §7 size (issue 11 §1): a real server over a real SQLite file holding
// 100,000 people who all may use one controller's door. A controller enrolled there receives its
// whole policy — compressed, in chunks of 256 KiB, each checked against the signed manifest (no
// statement runs out of SQL variables, no message comes near a broker limit) — and grants a valid
// card; a change to one person then reaches it as a delta.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerAgent } from '../../../src/controller/agent.ts';
import type { ControllerIdentity } from '../../../src/controller/identity.ts';
import { serverConfig } from '../../../src/server/config.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';
import { openStore } from '../../../src/server/storage/db.ts';
import { cardOf, personId, seedBigSite } from '../../support/big-site.ts';
import { api, seedAdminToken, waitFor } from '../../support/fleet.ts';

const PEOPLE = 100_000;

describe(`a controller at a ${PEOPLE.toLocaleString()}-person site`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-snapshot-scale-'));
  let server: RunningServer;
  let agent: ControllerAgent;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    const token = await seedAdminToken(dir);
    const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    try {
      await seedBigSite(store, { people: PEOPLE, controllers: ['ctl-big'] });
    } finally {
      await store.close();
    }
    server = await startServer(
      serverConfig({
        MONBAN_DATA_DIR: dir,
        MONBAN_PORT: '0',
        MONBAN_MQTT_PORT: '0',
        MONBAN_LOG_LEVEL: 'silent',
      }),
      { logger: pino({ level: 'silent' }), print: () => {}, background: false },
    );
    call = api(server.url, readFileSync(join(dir, 'tls', 'server.crt'), 'utf8'), token);
    const service = server.controllers!;
    const { token: enrollment } = await service.createEnrollment('ctl-big');
    const keys = generateKeyPairSync('ed25519');
    const answer = await service.enroll(
      'ctl-big',
      enrollment,
      keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const identity: ControllerIdentity = {
      controllerId: 'ctl-big',
      site: answer!.site,
      mqttUrl: answer!.mqttUrl,
      mqttProtocol: answer!.mqttProtocol,
      brokerCa: answer!.brokerCa,
      serverKey: createPublicKey(answer!.serverPublicKey),
      credentialKey: new Uint8Array(Buffer.from(answer!.credentialKey, 'base64')),
      privateKey: keys.privateKey,
    };
    agent = new ControllerAgent({
      dataDir: join(dir, 'ctl-big'),
      identity,
      softwareVersion: 'test',
      heartbeatMs: 500,
    });
    await agent.start();
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('receives its policy and grants a valid card', async () => {
    await waitFor('the snapshot', () => agent.snapshotVersion > 0, 120_000, 200);
    // It came chunked: several chunks, every one taken at the first try.
    const stats = agent.transferStats!;
    expect(stats.total).toBeGreaterThan(1);
    expect(stats).toMatchObject({ have: stats.total, received: stats.total, refused: 0, duplicates: 0 });
    for (const n of [0, 32_767, PEOPLE - 1])
      expect(agent.present({ door: 'door-ctl-big', side: 'in', card: cardOf(n) })).toMatchObject({
        result: 'grant',
        person: personId(n),
      });
    expect(agent.present({ door: 'door-ctl-big', side: 'in', card: 'CARD-unknown' })).toMatchObject({
      result: 'deny',
      reason: 'unknown_credential',
    });
  }, 150_000);

  it('takes a change to one person as a delta, and revokes a suspended card at once', async () => {
    const before = agent.snapshotVersion;
    const n = 4_242;
    const suspended = await call('PATCH', `/api/credentials/c-${n}`, { state: 'suspended' });
    expect(suspended.status).toBe(200);
    await waitFor(
      'the suspended card to be denied',
      () => agent.present({ door: 'door-ctl-big', side: 'out', card: cardOf(n) }).result === 'deny',
      30_000,
    );
    await waitFor('a newer snapshot', () => agent.snapshotVersion > before, 60_000, 200);
    expect(agent.present({ door: 'door-ctl-big', side: 'in', card: cardOf(n + 1) }).result).toBe('grant');
  }, 120_000);
});
