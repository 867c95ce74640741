// The real server in-process (embedded broker over TLS) with enrolled controller agents, and an
// HTTPS JSON client that can send headers (Idempotency-Key) — for the keys, reservations and
// webhooks tests.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ControllerAgent } from '../../../src/controller/agent.ts';
import type { ControllerIdentity } from '../../../src/controller/identity.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { newSecretToken, sha256Hex } from '../../../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../../../src/server/auth/store.ts';
import { serverConfig } from '../../../src/server/config.ts';
import { PERMISSIONS } from '../../../src/server/http/principal.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';
import { openStore } from '../../../src/server/storage/db.ts';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON each endpoint answers
  json: any;
}

export type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Answer>;

export function client(base: string, ca: string, token: string | undefined): Call {
  return (method, path, body, headers = {}) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          method,
          ca,
          agent: false,
          headers: {
            ...(token && { authorization: `Bearer ${token}` }),
            ...(payload !== undefined && { 'content-type': 'application/json' }),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => {
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = text;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  };
}

export interface KeysServer {
  dir: string;
  server: RunningServer;
  call: Call;
  /** no token: as the public sees it */
  anonymous: Call;
  ca: string;
  enroll(controllerId: string): Promise<ControllerAgent>;
  /** stops an agent (its link falls silent) */
  stopAgent(agent: ControllerAgent): Promise<void>;
  close(): Promise<void>;
}

export async function startKeysServer(prefix: string, env: Record<string, string> = {}): Promise<KeysServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const token = await seedToken(dir);
  const server = await startServer(
    serverConfig({
      MONBAN_DATA_DIR: dir,
      MONBAN_PORT: '0',
      MONBAN_MQTT_PORT: '0',
      MONBAN_LOG_LEVEL: 'silent',
      ...env,
    }),
    { logger: pino({ level: 'silent' }), print: () => {}, background: false },
  );
  const ca = readFileSync(join(dir, 'tls', 'server.crt'), 'utf8');
  const agents: ControllerAgent[] = [];
  return {
    dir,
    server,
    ca,
    call: client(server.url, ca, token),
    anonymous: client(server.url, ca, undefined),
    async enroll(controllerId) {
      const service = server.controllers!;
      const { token: enrollment } = await service.createEnrollment(controllerId);
      const keys = generateKeyPairSync('ed25519');
      const publicKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const answer = (await service.enroll(controllerId, enrollment, publicKey))!;
      const identity: ControllerIdentity = {
        controllerId,
        site: answer.site,
        mqttUrl: answer.mqttUrl,
        mqttProtocol: answer.mqttProtocol,
        brokerCa: answer.brokerCa,
        serverKey: createPublicKey(answer.serverPublicKey),
        credentialKey: new Uint8Array(Buffer.from(answer.credentialKey, 'base64')),
        privateKey: keys.privateKey,
      };
      const agent = new ControllerAgent({
        dataDir: join(dir, controllerId),
        identity,
        softwareVersion: 'test',
        heartbeatMs: 200,
      });
      agents.push(agent);
      await agent.start();
      return agent;
    },
    async stopAgent(agent) {
      agents.splice(agents.indexOf(agent), 1);
      await agent.stop();
    },
    async close() {
      for (const agent of agents) await agent.stop();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The token of a key link (it travels in the URL fragment). */
export const linkToken = (url: string) => new URL(url).hash.slice(1);

/** An admin and an API token with every permission (webhooks need settings:write), as `monban admin create` would. */
async function seedToken(dir: string): Promise<string> {
  const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
  try {
    const db = securityDb(store.db);
    const now = Date.now();
    const admin = await createOperator(db, { username: 'keys-admin', role: 'admin', passwordHash: 'x' }, now);
    const token = newSecretToken('mbn_');
    await createApiToken(db, {
      name: 'keys test',
      tokenHash: sha256Hex(token),
      createdBy: admin.id,
      role: 'admin',
      permissions: [...PERMISSIONS],
      scope: 'all',
      createdAt: now,
      expiresAt: null,
    });
    return token;
  } finally {
    await store.close();
  }
}
