// An identity provider deprovisions a person through SCIM on the real server (HTTPS, embedded broker
// over TLS, SQLite) and the person's card is denied at an enrolled controller within a second: the
// SCIM change is a service-layer write whose person.left event sends a signed revoke-person command.
// Deleting the user through SCIM does the same for a second person; a group membership provisioned
// through SCIM is what grants the door in the first place.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerAgent } from '../../src/controller/agent.ts';
import { serverConfig } from '../../src/server/config.ts';
import { ScimTokens } from '../../src/server/scim/tokens.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { api, apiOk, seedAdminToken, waitFor } from '../support/fleet.ts';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('SCIM deprovisioning reaches the doors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-scim-'));
  let server: RunningServer;
  let agent: ControllerAgent;
  let call: ReturnType<typeof api>;
  let scim: ReturnType<typeof api>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const adminToken = await seedAdminToken(dir);
    server = await startServer(
      serverConfig({
        MONBAN_DATA_DIR: dir,
        MONBAN_PORT: '0',
        MONBAN_MQTT_PORT: '0',
        MONBAN_LOG_LEVEL: 'silent',
      }),
      { logger: pino({ level: 'silent' }), print: () => {}, background: false },
    );
    const ca = readFileSync(join(dir, 'tls', 'server.crt'), 'utf8');
    call = api(server.url, ca, adminToken);
    // As an administrator would at POST /api/directory/scim-token.
    const { token } = await new ScimTokens(server.store.db).issue('test-admin', Date.now());
    scim = api(server.url, ca, token);
    const ok = apiOk(call);
    const scimOk = apiOk(scim);
    await ok('POST', '/api/areas', { id: 'lab', name: 'Lab' });
    await ok('POST', '/api/controllers', { id: 'ctl-1', name: 'ctl-1' });
    await ok('POST', '/api/doors', {
      id: 'LAB',
      name: 'Lab',
      fromArea: 'outside',
      toArea: 'lab',
      controllerId: 'ctl-1',
    });
    await ok('POST', '/api/access-levels', { id: 'lab', name: 'Lab', doors: ['LAB'] });
    for (const [name, card] of [
      ['aiko', 'C-5001'],
      ['ren', 'C-5002'],
    ] as const) {
      const user = await scimOk('POST', '/scim/v2/Users', {
        userName: `${name}@example.com`,
        displayName: name,
        active: true,
      });
      ids[name] = user.id;
      await ok('POST', '/api/credentials', {
        id: `${name}-card`,
        personId: user.id,
        type: 'card',
        identifier: card,
      });
    }
    // The IdP's group, to which the administrator attaches the level.
    const group = await scimOk('POST', '/scim/v2/Groups', {
      displayName: 'Lab staff',
      members: [{ value: ids.aiko }, { value: ids.ren }],
    });
    await ok('PATCH', `/api/groups/${group.id}`, { levels: ['lab'] });

    const service = server.controllers!;
    const { token: enrollment } = await service.createEnrollment('ctl-1');
    const keys = generateKeyPairSync('ed25519');
    const answer = (await service.enroll(
      'ctl-1',
      enrollment,
      keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    ))!;
    agent = new ControllerAgent({
      dataDir: join(dir, 'ctl-1'),
      identity: {
        controllerId: 'ctl-1',
        site: answer.site,
        mqttUrl: answer.mqttUrl,
        mqttProtocol: answer.mqttProtocol,
        brokerCa: answer.brokerCa,
        serverKey: createPublicKey(answer.serverPublicKey),
        credentialKey: new Uint8Array(Buffer.from(answer.credentialKey, 'base64')),
        privateKey: keys.privateKey,
      },
      softwareVersion: 'test',
      heartbeatMs: 200,
    });
    await agent.start();
    await waitFor(
      'the snapshot with both people',
      () =>
        agent.snapshotVersion > 0 &&
        agent.present({ door: 'LAB', side: 'in', card: 'C-5001' }).result === 'grant' &&
        agent.present({ door: 'LAB', side: 'out', card: 'C-5002' }).result === 'grant',
      20_000,
    );
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const deniedWithin = async (card: string, side: 'in' | 'out') => {
    const start = performance.now();
    await waitFor(
      `${card} to be denied`,
      () => agent.present({ door: 'LAB', side, card }).result === 'deny',
      5_000,
      5,
    );
    return performance.now() - start;
  };

  it('denies the card of a user set inactive through SCIM within a second', async () => {
    const before = agent.snapshotVersion;
    const start = performance.now();
    const answer = await scim('PATCH', `/scim/v2/Users/${ids.aiko}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(answer.status).toBe(200);
    const elapsed = performance.now() - start + (await deniedWithin('C-5001', 'out'));
    expect(elapsed).toBeLessThan(1000);
    expect(agent.present({ door: 'LAB', side: 'in', card: 'C-5001' })).toMatchObject({ result: 'deny' });
    // The other member still passes: only the deprovisioned person lost access.
    expect(agent.present({ door: 'LAB', side: 'in', card: 'C-5002' }).result).toBe('grant');
    expect(agent.snapshotVersion).toBeGreaterThanOrEqual(before);
  });

  it('denies the card of a user deleted through SCIM within a second', async () => {
    const start = performance.now();
    expect((await scim('DELETE', `/scim/v2/Users/${ids.ren}`)).status).toBe(204);
    const elapsed = performance.now() - start + (await deniedWithin('C-5002', 'out'));
    expect(elapsed).toBeLessThan(1000);
    expect((await call('GET', `/api/people/${ids.ren}`)).status).toBe(404);
  });
});
