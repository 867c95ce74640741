// Rule: on a running deployment — `monban serve` in-process with its embedded broker over TLS and two
// controller agents enrolled with one-time tokens, one of them with its clock 5 s ahead — the
// compliance report reads what the controllers' heartbeats reported: every software version, the
// links up, and the clock drift that breaks the 2 s rule, naming that controller. It only reads, so
// it runs beside the server.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerAgent } from '../../../src/controller/agent.ts';
import { complianceReport } from '../../../src/server/compliance/run.ts';
import { serverConfig } from '../../../src/server/config.ts';
import { linkStatus } from '../../../src/server/controllers/link-store.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';
import { SYSTEM_ACTOR } from '../../../src/server/services/index.ts';
import { seedAdminToken, waitFor } from '../../support/fleet.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-compliance-live-'));
// The controllers' own data directories live apart from the server's (as on real hosts).
const agentsDir = mkdtempSync(join(tmpdir(), 'monban-compliance-agents-'));
const config = serverConfig({
  MONBAN_DATA_DIR: dir,
  MONBAN_PORT: '0',
  MONBAN_MQTT_PORT: '0',
  MONBAN_LOG_LEVEL: 'silent',
});
let server: RunningServer;
const agents: ControllerAgent[] = [];

async function enroll(controllerId: string, clockOffsetMs: number): Promise<void> {
  const service = server.controllers!;
  const { token } = await service.createEnrollment(controllerId);
  const keys = generateKeyPairSync('ed25519');
  const answer = await service.enroll(
    controllerId,
    token,
    keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  const agent = new ControllerAgent({
    dataDir: join(agentsDir, controllerId),
    identity: {
      controllerId,
      site: answer!.site,
      mqttUrl: answer!.mqttUrl,
      mqttProtocol: answer!.mqttProtocol,
      brokerCa: answer!.brokerCa,
      serverKey: createPublicKey(answer!.serverPublicKey),
      credentialKey: new Uint8Array(Buffer.from(answer!.credentialKey, 'base64')),
      privateKey: keys.privateKey,
    },
    softwareVersion: `monban-test-${controllerId}`,
    heartbeatMs: 200,
    now: () => Date.now() + clockOffsetMs,
  });
  agents.push(agent);
  await agent.start();
}

beforeAll(async () => {
  await seedAdminToken(dir);
  server = await startServer(config, {
    logger: pino({ level: 'silent' }),
    print: () => {},
    background: false,
  });
  for (const id of ['ctl-on-time', 'ctl-ahead'])
    await server.services.controllers.create({ id, name: id, site: null, description: null }, SYSTEM_ACTOR);
  await enroll('ctl-on-time', 0);
  await enroll('ctl-ahead', 5_000);
  // Both have reported a heartbeat (version and clock offset) once their links are up.
  await waitFor(
    'both heartbeats',
    async () => {
      for (const id of ['ctl-on-time', 'ctl-ahead']) {
        const s = await linkStatus(server.store.db, id, Date.now(), config.controllers.linkTimeoutMs);
        if (s?.link !== 'up' || s.clockOffsetMs === null) return undefined;
      }
      return true;
    },
    30_000,
  );
}, 120_000);

afterAll(async () => {
  for (const agent of agents) await agent.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(agentsDir, { recursive: true, force: true });
});

describe('compliance report beside a running server', () => {
  it('reads the controllers’ versions, links and clock drift from their heartbeats', async () => {
    const report = await complianceReport({ config, env: {} });
    const check = (id: string) => report.items.flatMap((i) => i.checks).find((c) => c.id === id)!;
    expect(check('controllers')).toMatchObject({
      status: 'pass',
      value: { en: 'version known 2/2, up 2/2' },
      count: { ok: 2, total: 2 },
    });
    expect(
      check('controllers')
        .details.map((d) => d.en)
        .sort(),
    ).toEqual(['ctl-ahead: monban-test-ctl-ahead (up)', 'ctl-on-time: monban-test-ctl-on-time (up)']);
    const clocks = check('controller-clocks');
    expect(clocks).toMatchObject({ status: 'warn', value: { en: 'no, 1/2' } });
    expect(clocks.details[0]!.en).toMatch(/^largest: ctl-ahead \d{4} ms$/);
    // the first start made a certificate and owner-only files, and the server keeps checkpoints
    expect(check('https')).toMatchObject({
      status: 'warn',
      value: { en: expect.stringMatching(/^yes, self-signed/) },
    });
    expect(check('data-dir').status).toBe('pass');
    expect(check('audit-chain').status).toBe('pass');
  }, 60_000);
});
