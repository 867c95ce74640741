// Rule: the management server puts its defences in order: the allow-list answers 403 before any
// login or database work, every response (errors included) carries the security headers, and the
// background clock watch and session cleanup stop when the server closes. Settings come from the
// environment with safe defaults and errors that name the variable.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecurityServices,
  registerManagementSecurity,
  securityEnv,
} from '../../../src/server/auth/index.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { SecretScanner } from './support/secret-scanner.ts';

describe('management security stack', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  const scanner = new SecretScanner();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-mgmt-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    const logger = pino({ level: 'info' }, scanner.logStream);
    app = Fastify({ loggerInstance: logger }) as unknown as FastifyInstance;
    await registerManagementSecurity(app, {
      services: createSecurityServices({ db: store.db, logger, installationKey: randomBytes(32) }),
      allowList: ['127.0.0.0/8', '::1/128'],
      background: true,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses addresses off the allow-list before authentication, with headers', async () => {
    const refused = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '198.51.100.1',
      payload: { username: 'a', password: 'b' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('ADDRESS_NOT_ALLOWED');
    expect(refused.headers['strict-transport-security']).toContain('max-age=31536000');
    const throttled = await store.db
      .withTables<{ login_throttle: { username: string } }>()
      .selectFrom('login_throttle')
      .selectAll()
      .execute();
    expect(throttled).toEqual([]);
    const audit = await store.db.selectFrom('audit_log').selectAll().execute();
    expect(audit).toEqual([]);
  });

  it('serves the API to allowed addresses with security headers on errors too', async () => {
    // The security stack alone serves no route (every one is a row of the route table): the refusal
    // of a path it does not know carries the headers too.
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/password',
      remoteAddress: '127.0.0.1',
      payload: {},
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('security settings from the environment', () => {
  it('has safe defaults', () => {
    expect(securityEnv({})).toEqual({
      settings: {
        lockout: { maxFailures: 5, durationMs: 900_000 },
        session: { idleMs: 1_800_000, absoluteMs: 43_200_000, secureCookie: true },
        requireAdminMfa: true,
        pinCodeLength: 6,
      },
      allowList: [],
      tls: {},
      publicOrigin: undefined,
    });
  });

  it('reads every variable and names the wrong one', () => {
    const env = securityEnv({
      MONBAN_PUBLIC_ORIGIN: 'https://monban.example.jp:8443',
      MONBAN_ALLOW_CIDRS: '10.0.0.0/8, 2001:db8::/32',
      MONBAN_LOCKOUT_FAILURES: '3',
      MONBAN_LOCKOUT_MINUTES: '30',
      MONBAN_TLS_CERT: '/etc/monban/server.crt',
      MONBAN_TLS_KEY: '/etc/monban/server.key',
    });
    expect(env.settings.webauthn).toEqual({
      rpId: 'monban.example.jp',
      origins: ['https://monban.example.jp:8443'],
    });
    expect(env.allowList).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(env.settings.lockout).toEqual({ maxFailures: 3, durationMs: 1_800_000 });
    expect(() => securityEnv({ MONBAN_LOCKOUT_FAILURES: 'many' })).toThrow(/^MONBAN_LOCKOUT_FAILURES/);
    expect(() => securityEnv({ MONBAN_TLS_CERT: '/x' })).toThrow(/MONBAN_TLS_KEY/);
    expect(() => securityEnv({ MONBAN_PUBLIC_ORIGIN: 'ftp://x' })).toThrow(/^MONBAN_PUBLIC_ORIGIN/);
  });
});
