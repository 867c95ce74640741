// Rule: the route table is the only way a route of the API is declared. The whole server, as `monban
// serve` starts it (console and controller link included), serves exactly the table's rows and what
// OUTSIDE_THE_TABLE lists (the console and its static assets, the two phone pages, the API document,
// SCIM); a route added any other way fails here. Sign-in (setup, login, second factors, password
// change, single sign-on) is in the table.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, OUTSIDE_THE_TABLE } from '../../../src/server/api/routes.ts';
import { composeServer } from '../../../src/server/compose.ts';
import { serverConfig } from '../../../src/server/config.ts';
import { CONSOLE_DIR } from '../../../src/server/http/console.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';

const key = (method: string, url: string) => `${method.toUpperCase()} ${url}`;
/** What a served route is, when it is not a row: the OUTSIDE_THE_TABLE entry it falls under. */
const outside = (url: string) => OUTSIDE_THE_TABLE.find((entry) => entry.matches(url));

/** The routes an app serves that are neither a row of its table nor listed outside it. */
function strays(app: FastifyInstance, store: Store, controllerLink: boolean): string[] {
  const rows = new Set(apiRoutes(store, { controllerLink }).map((r) => key(r.method, r.url)));
  // A HEAD route is the GET of the same URL (Fastify adds it).
  const inTable = (r: { method: string; url: string }) =>
    rows.has(key(r.method, r.url)) || (r.method === 'HEAD' && rows.has(key('GET', r.url)));
  return app.servedRoutes
    .filter((r) => !inTable(r) && outside(r.url) === undefined)
    .map((r) => key(r.method, r.url));
}

describe('one route table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-routes-'));
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer(
      serverConfig({
        MONBAN_DATA_DIR: dir,
        MONBAN_PORT: '0',
        MONBAN_MQTT_PORT: '0',
        MONBAN_LOG_LEVEL: 'silent',
      }),
      { logger: pino({ level: 'silent' }), print: () => {}, background: false },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const table = () =>
    new Set(
      apiRoutes(server.store, { controllerLink: server.controllers !== undefined }).map((r) =>
        key(r.method, r.url),
      ),
    );

  it('serves every row of the table, and nothing else but what is listed outside it', () => {
    const rows = table();
    const served = server.app.servedRoutes;
    const servedKeys = new Set(served.map((r) => key(r.method, r.url)));
    for (const row of rows) expect(servedKeys.has(row), row).toBe(true);
    expect(strays(server.app, server.store, server.controllers !== undefined)).toEqual([]);
    // Nothing under /api but the document is outside the table.
    for (const r of served.filter((r) => r.url.startsWith('/api') && outside(r.url) !== undefined))
      expect(outside(r.url)?.what, key(r.method, r.url)).toBe('the API document and its browser (/api/docs)');
  });

  it('lists each exception for a reason, and the console’s static routes are files of its build', () => {
    for (const entry of OUTSIDE_THE_TABLE) {
      expect(entry.what.length).toBeGreaterThan(10);
      expect(entry.why.length).toBeGreaterThan(10);
      // Each exception is in use: none is a leftover that would let a route slip through.
      expect(
        server.app.servedRoutes.some((r) => entry.matches(r.url)),
        entry.what,
      ).toBe(true);
    }
    const console = OUTSIDE_THE_TABLE[0]!;
    for (const r of server.app.servedRoutes)
      if (console.matches(r.url) && r.url !== '/' && r.url !== '/*')
        expect(existsSync(join(CONSOLE_DIR, r.url)), r.url).toBe(true);
  });

  it('would catch a route declared another way', async () => {
    const other = mkdtempSync(join(tmpdir(), 'monban-routes-stray-'));
    const store = await openStore({ sqliteFile: join(other, 'monban.db') });
    const composed = await composeServer({
      store,
      installationKey: Buffer.alloc(32, 7),
      logger: pino({ level: 'silent' }),
      controllers: false,
      docs: false,
      routes: async (app) => {
        app.get('/api/auth/impostor', async () => ({}));
        app.post('/admin', async () => ({}));
      },
    });
    try {
      await composed.app.ready();
      expect(strays(composed.app, store, false)).toEqual([
        'GET /api/auth/impostor',
        'HEAD /api/auth/impostor',
        'POST /admin',
      ]);
    } finally {
      await composed.close();
      await store.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('lists nothing an API route could hide under', () => {
    for (const url of ['/api/auth/login2', '/api/anything', '/api', '/metrics', '/admin', '/apidocs'])
      expect(outside(url), url).toBeUndefined();
    for (const url of ['/', '/*', '/k/', '/m/manifest.webmanifest', '/api/docs/json', '/scim/v2/Users'])
      expect(outside(url), url).toBeDefined();
  });

  it('has sign-in in the table: setup, login, second factors, password change, single sign-on', () => {
    const rows = table();
    for (const row of [
      'POST /api/auth/setup',
      'POST /api/auth/login',
      'POST /api/auth/login/totp',
      'POST /api/auth/login/backup-code',
      'POST /api/auth/login/webauthn/options',
      'POST /api/auth/login/webauthn/verify',
      'POST /api/auth/password',
      'GET /api/auth/config',
      'GET /api/auth/oidc/start',
      'GET /api/auth/oidc/callback',
      'GET /api/auth/session',
      'POST /api/auth/logout',
    ])
      expect(rows.has(row), row).toBe(true);
  });

  it('lets a half-logged-in session reach only the rows that say so: sign-in, enrolment, who am I', () => {
    const half = apiRoutes(server.store)
      .filter((r) => r.endpoint.halfSession)
      .map((r) => key(r.method, r.url))
      .sort();
    expect(half).toEqual(
      [
        'GET /api/auth/session',
        'GET /api/auth/config',
        'POST /api/auth/logout',
        'POST /api/auth/login',
        'POST /api/auth/login/totp',
        'POST /api/auth/login/backup-code',
        'POST /api/auth/login/webauthn/options',
        'POST /api/auth/login/webauthn/verify',
        'GET /api/auth/oidc/start',
        'GET /api/auth/oidc/callback',
        'POST /api/auth/totp/enrol',
        'POST /api/auth/totp/verify',
        'POST /api/auth/webauthn/register/options',
        'POST /api/auth/webauthn/register/verify',
      ].sort(),
    );
  });
});
