// Chunked snapshot transfer end to end (issue 11 §1): a real server over a real SQLite file, its
// embedded broker, and a controller agent; chunks of 1 KiB (MONBAN_SNAPSHOT_CHUNK_KIB=1) so a site
// of a few thousand people takes hundreds of them. Rules shown here:
// - the controller stopped part-way through its first transfer and started again (after the server
//   counted its link lost) resumes it: the server sends exactly the chunks it lacked, and it then
//   grants a valid card;
// - a change to a door reaches it as a delta (not the whole snapshot again), and is in force.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerAgent } from '../../../src/controller/agent.ts';
import type { ControllerIdentity } from '../../../src/controller/identity.ts';
import type { TransferStats } from '../../../src/controller/snapshot-transfer.ts';
import { serverConfig } from '../../../src/server/config.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';
import { openStore } from '../../../src/server/storage/db.ts';
import { cardOf, personId, seedBigSite } from '../../support/big-site.ts';
import { api, seedAdminToken, waitFor } from '../../support/fleet.ts';

const PEOPLE = 3_000;
const STOP_AFTER = 20;

describe('snapshot transfer through a real server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-xfer-'));
  let server: RunningServer;
  let identity: ControllerIdentity;
  let agent: ControllerAgent;
  let call: ReturnType<typeof api>;

  function newAgent(onTransfer?: (stats: TransferStats) => void): ControllerAgent {
    return new ControllerAgent({
      dataDir: join(dir, 'ctl-x'),
      identity,
      softwareVersion: 'test',
      heartbeatMs: 300,
      ...(onTransfer && { onTransfer }),
    });
  }

  beforeAll(async () => {
    const token = await seedAdminToken(dir);
    const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    try {
      await seedBigSite(store, { people: PEOPLE, controllers: ['ctl-x'] });
    } finally {
      await store.close();
    }
    server = await startServer(
      serverConfig({
        MONBAN_DATA_DIR: dir,
        MONBAN_PORT: '0',
        MONBAN_MQTT_PORT: '0',
        MONBAN_LOG_LEVEL: 'silent',
        MONBAN_SNAPSHOT_CHUNK_KIB: '1',
        MONBAN_HEARTBEAT_SECONDS: '1',
        MONBAN_LINK_TIMEOUT_SECONDS: '2',
      }),
      { logger: pino({ level: 'silent' }), print: () => {}, background: false },
    );
    call = api(server.url, readFileSync(join(dir, 'tls', 'server.crt'), 'utf8'), token);
    const service = server.controllers!;
    const { token: enrollment } = await service.createEnrollment('ctl-x');
    const keys = generateKeyPairSync('ed25519');
    const answer = await service.enroll(
      'ctl-x',
      enrollment,
      keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    identity = {
      controllerId: 'ctl-x',
      site: answer!.site,
      mqttUrl: answer!.mqttUrl,
      mqttProtocol: answer!.mqttProtocol,
      brokerCa: answer!.brokerCa,
      serverKey: createPublicKey(answer!.serverPublicKey),
      credentialKey: new Uint8Array(Buffer.from(answer!.credentialKey, 'base64')),
      privateKey: keys.privateKey,
    };
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes an interrupted transfer with only the missing chunks', async () => {
    // The controller goes away part-way through its first snapshot (a restart, a power cut).
    let stopping: Promise<void> | undefined;
    const first = newAgent((stats) => {
      if (stats.have >= STOP_AFTER && !stopping) stopping = first.stop();
    });
    agent = first;
    await first.start();
    await waitFor('the interruption', () => stopping !== undefined, 60_000);
    await stopping;
    expect(first.snapshotVersion).toBe(0);
    // What the server was still sending went nowhere; let it finish before the controller is back,
    // and let the server count the link lost (its return must not bring the whole transfer again).
    await server.controllers!.settled();
    await waitFor(
      'the link to be lost',
      () => server.controllers!.fleet().find((c) => c.controllerId === 'ctl-x')?.link === 'lost',
      30_000,
    );

    agent = newAgent();
    await agent.start();
    const before = agent.transferStats!;
    expect(before.stagedAtStart).toBeGreaterThanOrEqual(STOP_AFTER);
    expect(before.stagedAtStart).toBeLessThan(before.total);
    await waitFor('the snapshot', () => agent.snapshotVersion > 0, 60_000, 50);
    const after = agent.transferStats!;
    expect(after.transfer).toBe(before.transfer); // the same transfer, resumed, not a new one
    expect(after.total).toBeGreaterThan(100);
    // Exactly the missing chunks came, each once.
    expect(after.received).toBe(after.total - after.stagedAtStart);
    expect(after.duplicates).toBe(0);
    for (const n of [0, PEOPLE - 1])
      expect(agent.present({ door: 'door-ctl-x', side: 'in', card: cardOf(n) })).toMatchObject({
        result: 'grant',
        person: personId(n),
      });
  }, 120_000);

  it('takes a change to a door as a delta', async () => {
    const version = agent.snapshotVersion;
    const changed = await call('PATCH', '/api/doors/door-ctl-x', { mode: 'locked' });
    expect(changed.status).toBe(200);
    await waitFor('the newer snapshot', () => agent.snapshotVersion > version, 30_000, 50);
    expect(agent.present({ door: 'door-ctl-x', side: 'in', card: cardOf(1) })).toMatchObject({
      result: 'deny',
      reason: 'door_locked',
    });
    // Stored as the whole transferred snapshot and one small delta on it, not a second whole one.
    const chain = JSON.parse(readFileSync(join(dir, 'ctl-x', 'snapshot.json'), 'utf8'));
    expect(chain.base.manifest).toBeDefined();
    expect(chain.deltas).toHaveLength(1);
    expect(chain.deltas[0].body).toMatchObject({ kind: 'snapshot-delta', base: version, upsert: [] });
    expect(chain.deltas[0].body.changes.doors.upsert).toEqual([expect.objectContaining({ mode: 'locked' })]);
  }, 60_000);
});
