// Rule: `monban serve` comes up with everything in front of the data API: HTTPS with a generated
// certificate, a one-time setup token for the first admin (no default password), authentication by
// the security plugin, and an audit record for each write. close() leaves nothing running.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityDb } from '../../../src/server/auth/context.ts';
import { sha256Hex } from '../../../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../../../src/server/auth/store.ts';
import { serverConfig } from '../../../src/server/config.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';

function call(
  url: string,
  ca: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(
      `${url}${path}`,
      {
        method,
        ca,
        headers: {
          ...(options.token && { authorization: `Bearer ${options.token}` }),
          ...(payload && { 'content-type': 'application/json' }),
          connection: 'close',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('startServer', () => {
  let dir: string;
  let server: RunningServer;
  let ca: string;
  const printed: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-serve-'));
    const config = serverConfig({
      MONBAN_DATA_DIR: dir,
      MONBAN_PORT: '0',
      MONBAN_MQTT_PORT: '0',
      MONBAN_LOG_LEVEL: 'silent',
    });
    server = await startServer(config, {
      env: { MONBAN_PUBLIC_ORIGIN: 'https://localhost' },
      logger: pino({ level: 'silent' }),
      print: (line) => printed.push(line),
      background: false,
    });
    ca = readFileSync(join(dir, 'tls', 'server.crt'), 'utf8');
  });
  afterAll(async () => {
    await server.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS, prints a setup token, and answers health without login', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(printed.join('\n')).toMatch(/mbs_[A-Za-z0-9_-]{20,}/);
    const health = await call(server.url, ca, 'GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBeDefined();
    expect((await call(server.url, ca, 'GET', '/api/people')).status).toBe(401);
    const docs = await call(server.url, ca, 'GET', '/api/docs/json');
    expect(JSON.parse(docs.body).openapi).toBe('3.1.0');
  });

  it('authenticates API tokens through the security plugin and audits each write', async () => {
    const db = securityDb(server.store.db);
    const admin = await createOperator(
      db,
      { username: 'root', role: 'admin', passwordHash: 'x' },
      Date.now(),
    );
    const token = `mbn_${'t'.repeat(40)}`;
    await createApiToken(db, {
      name: 'test',
      tokenHash: sha256Hex(token),
      createdBy: admin.id,
      role: 'admin',
      permissions: ['people:read', 'people:write'],
      scope: 'all',
      createdAt: Date.now(),
      expiresAt: null,
    });
    const created = await call(server.url, ca, 'POST', '/api/people', {
      token,
      body: { id: 'p1', name: 'Alice' },
    });
    expect(created.status).toBe(201);
    const audit = await server.store.db.selectFrom('audit_log').selectAll().execute();
    expect(audit.map((a) => [a.action, a.target])).toContainEqual(['person.create', 'person:p1']);
    expect((await call(server.url, ca, 'GET', '/api/credentials', { token })).status).toBe(403);
  });
});
