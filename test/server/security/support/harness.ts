// A real management-server security stack for tests: a temporary SQLite file with every migration,
// the security plugin on a Fastify instance (logging through pino into the secret scanner), a clock
// the test moves, and browser-like agents that keep their cookie and CSRF token. close() fails the
// test when any registered secret leaked into a log line or a response body.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';
import pino from 'pino';
import type { AlarmSettings } from '../../../../src/server/alarms/service.ts';
import { anchorFileIn, verifyChains, writeCheckpoint } from '../../../../src/server/audit/anchors.ts';
import { type SecurityDb, type SettingsOverrides, securityDb } from '../../../../src/server/auth/context.ts';
import type { OidcSettings } from '../../../../src/server/auth/oidc-config.ts';
import { hashPassword } from '../../../../src/server/auth/passwords.ts';
import { createOperator, type Operator } from '../../../../src/server/auth/store.ts';
import { type ComposedServer, composeServer } from '../../../../src/server/compose.ts';
import type { Role, Scope } from '../../../../src/server/http/principal.ts';
import type { NotifySettings } from '../../../../src/server/notify/dispatcher.ts';
import { openStore, type Store } from '../../../../src/server/storage/db.ts';
import { loadOrCreateInstallationKey } from '../../../../src/server/storage/installation-key.ts';
import { type FixturePerson, fixturePeople, fixtureRoutes } from './fixture-routes.ts';
import { SecretScanner } from './secret-scanner.ts';

export const ORIGIN = 'https://monban.test';
export const RP_ID = 'monban.test';
export const T0 = Date.parse('2026-11-22T00:00:00Z');

export class TestClock {
  constructor(public ms: number) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function strongPassword(): string {
  return `pw-${randomBytes(15).toString('base64url')}`;
}

export interface HarnessOptions {
  settings?: SettingsOverrides;
  alarmSettings?: Partial<AlarmSettings>;
  /** alarm notification channels (src/server/notify/) */
  notify?: NotifySettings;
  /** serve HTTPS with this certificate (for tests that listen, e.g. single sign-on) */
  https?: { key: string | Buffer; cert: string | Buffer };
  /** OpenID Connect single sign-on */
  oidc?: OidcSettings;
}

export class Harness {
  readonly scanner = new SecretScanner();
  readonly clock = new TestClock(T0);
  installationKey!: Buffer;
  readonly people: FixturePerson[] = fixturePeople();
  app!: FastifyInstance;
  server!: ComposedServer;
  store!: Store;
  db!: SecurityDb;
  dir!: string;

  async start(options: HarnessOptions = {}): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'monban-security-'));
    // In the data directory, as a server keeps it, so `monban audit verify --data-dir` finds it.
    this.installationKey = Buffer.from(loadOrCreateInstallationKey(this.dir));
    this.store = await openStore({ sqliteFile: join(this.dir, 'monban.db') });
    this.db = securityDb(this.store.db);
    this.scanner.secret('installation key', this.installationKey.toString('base64'));
    this.scanner.secret('installation key (hex)', this.installationKey.toString('hex'));
    const logger = pino({ level: 'trace' }, this.scanner.logStream);
    // The real management server (service layer, domain events, audit, resource routes, error
    // handler) put together by the composition root as serve.ts does, without the controller link,
    // plus the stand-in routes some tests use.
    this.server = await composeServer({
      store: this.store,
      installationKey: this.installationKey,
      logger,
      clock: this.clock,
      docs: false,
      controllers: false,
      security: {
        settings: {
          webauthn: { rpId: RP_ID, rpName: 'Monban test', origins: [ORIGIN] },
          ...options.settings,
        },
        ...(options.alarmSettings && { alarmSettings: options.alarmSettings }),
        anchorFile: anchorFileIn(this.dir),
        ...(options.oidc && { oidc: options.oidc }),
      },
      ...(options.https && { https: options.https }),
      routes: async (app) => {
        await app.register(fixtureRoutes, { people: this.people });
      },
      ...(options.notify && { notify: options.notify }),
    });
    this.app = this.server.app;
    await this.app.ready();
    return this;
  }

  async inject(options: InjectOptions & { url: string }): Promise<LightMyRequestResponse> {
    const response = await this.app.inject(options);
    // Headers too (a token in a Location header is a leak), except the session cookie being set.
    const { 'set-cookie': _cookie, ...headers } = response.headers;
    const id = this.scanner.captureResponse(
      `${options.method ?? 'GET'} ${options.url}`,
      `${JSON.stringify(headers)}\n${response.body}`,
    );
    (response as LightMyRequestResponse & { captureId: number }).captureId = id;
    return response;
  }

  /** An operator straight into storage (as `monban admin create` would), with a registered password. */
  async addOperator(
    username: string,
    role: Role,
    scope?: Scope,
  ): Promise<{ operator: Operator; password: string }> {
    const password = this.scanner.secret(`password of ${username}`, strongPassword());
    const operator = await createOperator(
      this.db,
      { username, role, ...(scope && { scope }), passwordHash: await hashPassword(password) },
      this.clock.now(),
    );
    return { operator, password };
  }

  agent(address = '127.0.0.1'): Agent {
    return new Agent(this, address);
  }

  /** A totp code for this secret at the harness clock (otplib; the TOTP test checks it against oathtool). */
  totp(secret: string, offsetMs = 0): Promise<string> {
    return generate({ secret, epoch: Math.floor((this.clock.now() + offsetMs) / 1000) });
  }

  /** An admin who enrolled TOTP and is fully logged in. */
  async loggedInAdmin(username = 'admin'): Promise<{
    agent: Agent;
    password: string;
    totpSecret: string;
    backupCodes: string[];
    operator: Operator;
  }> {
    const { operator, password } = await this.addOperator(username, 'admin');
    const agent = this.agent();
    await agent.login(username, password);
    const enrol = await agent.post('/api/auth/totp/enrol');
    const totpSecret = this.scanner.secret(
      `TOTP secret of ${username}`,
      enrol.json().secret,
      agent.lastCaptureId,
    );
    const verify = await agent.post('/api/auth/totp/verify', { code: await this.totp(totpSecret) });
    if (verify.statusCode !== 200) throw new Error(`enrolment failed: ${verify.body}`);
    const backupCodes = (verify.json().backupCodes as string[]).map((code) =>
      this.scanner.secret(`backup code of ${username}`, code, agent.lastCaptureId),
    );
    this.clock.advance(30_000);
    return { agent, password, totpSecret, backupCodes, operator };
  }

  /** Writes a signed checkpoint of the chain heads now, as the server does every minute. */
  checkpoint() {
    return writeCheckpoint(
      this.store.db,
      this.app.security.ctx.anchorKeys,
      anchorFileIn(this.dir),
      this.clock.now(),
    );
  }

  verifyChains() {
    return verifyChains(this.store.db, this.app.security.ctx.anchorKeys, anchorFileIn(this.dir));
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
    this.scanner.assertClean();
  }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  return new Harness().start(options);
}

/** A browser: keeps the session cookie it was given and sends the CSRF token on state changes. */
export class Agent {
  cookie: string | undefined;
  csrfToken: string | undefined;
  lastCaptureId = 0;

  constructor(
    private readonly harness: Harness,
    private readonly address: string,
  ) {}

  async request(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    options: { csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (options.csrf !== false && this.csrfToken && method !== 'GET')
      headers['x-csrf-token'] = this.csrfToken;
    const response = await this.harness.inject({
      method,
      url,
      headers,
      remoteAddress: this.address,
      ...(body !== undefined && { payload: body as Record<string, unknown> }),
    });
    this.lastCaptureId = (response as LightMyRequestResponse & { captureId: number }).captureId;
    for (const set of response.cookies) {
      if (!set.name.includes('monban_session')) continue;
      if (set.value === '' || (set.expires && set.expires.getTime() < Date.now())) this.cookie = undefined;
      else {
        this.cookie = `${set.name}=${set.value}`;
        this.harness.scanner.secret('session id', set.value);
      }
    }
    const csrf = (safeJson(response.body) as { csrfToken?: unknown } | undefined)?.csrfToken;
    if (typeof csrf === 'string') this.csrfToken = csrf;
    return response;
  }

  get(url: string) {
    return this.request('GET', url);
  }

  post(url: string, body: unknown = {}, options?: { csrf?: boolean }) {
    return this.request('POST', url, body, options);
  }

  patch(url: string, body: unknown, options?: { csrf?: boolean }) {
    return this.request('PATCH', url, body, options);
  }

  delete(url: string, options?: { csrf?: boolean }) {
    return this.request('DELETE', url, undefined, options);
  }

  login(username: string, password: string) {
    return this.post('/api/auth/login', { username, password });
  }
}

function safeJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
