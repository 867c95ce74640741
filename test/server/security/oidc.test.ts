// Single sign-on for operators (issue 15 §4): an operator signs in through a real OpenID Connect
// provider (oidc-provider, in this process, over HTTPS) to the real management server listening on
// HTTPS, with a browser played by fetch and a cookie jar kept by hand. The rules:
// - only an existing, enabled operator linked to the provider identity gets in; nobody is created;
// - MFA is still required: proven by the provider (amr/acr) the session is full at once, otherwise
//   the API refuses until the operator's own second factor is done;
// - the sign-in's state is bound to the browser and used once: tampered or replayed callbacks fail;
// - no client secret, authorization code, token or session id appears in any log line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch, Agent as HttpsAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcSettings, Secret } from '../../../src/server/auth/oidc-config.ts';
import { breakGlassAdmin, singleSignOn } from '../../../src/server/doctor/sso.ts';
import { loadOrCreateCertificate } from '../../../src/server/transport/certificate.ts';
import { freePort } from '../../support/fleet.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { type LocalProvider, startLocalProvider } from './support/oidc-provider.ts';

const SLOW = 120_000;

/** A browser: follows redirects itself, keeping each origin's cookies. */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();
  /** every URL visited, in order */
  readonly visited: string[] = [];

  constructor(
    private readonly dispatcher: HttpsAgent,
    private readonly onCookie: (name: string, value: string) => void = () => {},
  ) {}

  cookiesOf(url: string): Map<string, string> {
    const origin = new URL(url).origin;
    const cookies = this.jar.get(origin) ?? new Map<string, string>();
    this.jar.set(origin, cookies);
    return cookies;
  }

  async request(
    url: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    this.visited.push(url);
    const cookies = this.cookiesOf(url);
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      dispatcher: this.dispatcher,
      headers: {
        ...init.headers,
        ...(cookies.size > 0 && { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') }),
        ...(init.body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const gone =
        value === '' ||
        attributes.some((a) => /^max-age=0$/i.test(a)) ||
        attributes.some((a) => /^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now());
      if (gone) cookies.delete(name);
      else {
        cookies.set(name, value);
        this.onCookie(name, value);
      }
    }
    return response;
  }

  /** Follows redirects from `url` until an answer that is not one; returns it and where it was. */
  async follow(url: string) {
    let at = url;
    for (let hops = 0; hops < 20; hops++) {
      const response = await this.request(at);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: at };
      await response.arrayBuffer();
      at = new URL(location, at).href;
    }
    throw new Error('too many redirects');
  }
}

/** The management server on HTTPS with single sign-on at a local provider, and an admin to link. */
class SsoSite {
  dir!: string;
  h!: Harness;
  provider!: LocalProvider;
  monban!: string;
  dispatcher!: HttpsAgent;
  admin!: Awaited<ReturnType<Harness['loggedInAdmin']>>;
  oidc!: OidcSettings;

  async start(claim: string): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'monban-oidc-'));
    const tls = await loadOrCreateCertificate(this.dir);
    this.dispatcher = new HttpsAgent({ connect: { ca: tls.cert } });
    const port = await freePort();
    this.monban = `https://127.0.0.1:${port}`;
    const redirectUrl = `${this.monban}/api/auth/oidc/callback`;
    this.provider = await startLocalProvider({ tls, redirectUrl });
    this.oidc = {
      issuer: this.provider.issuer,
      clientId: this.provider.clientId,
      clientSecret: new Secret(this.provider.clientSecret),
      redirectUrl,
      claim,
      scopes: 'openid email',
      mfaAmr: ['mfa'],
      mfaAcr: ['urn:monban:test:mfa'],
      ca: tls.cert,
    };
    this.h = await startHarness({ https: tls, oidc: this.oidc });
    this.h.scanner.secret('client secret', this.provider.clientSecret);
    await this.h.app.listen({ host: '127.0.0.1', port });
    this.admin = await this.h.loggedInAdmin('root');
    return this;
  }

  async close() {
    // Also fails the file when a registered secret (codes, session ids, the client secret) leaked.
    await this.h?.close();
    await this.provider?.close();
    await this.dispatcher?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A browser whose session ids and authorization codes are registered with the secret scanner. */
  browser(): Browser {
    return new Browser(this.dispatcher, (name, value) => {
      if (name.includes('monban')) this.h.scanner.secret(`cookie ${name}`, value);
    });
  }

  /** Signs in at the provider as this account; returns where the console was left and the callback. */
  async signIn(b: Browser, account: Parameters<LocalProvider['signInAs']>[0]) {
    this.provider.signInAs(account);
    const end = await b.follow(`${this.monban}/api/auth/oidc/start`);
    const callback = b.visited.findLast((u) => u.startsWith(`${this.monban}/api/auth/oidc/callback`));
    const code = callback && new URL(callback).searchParams.get('code');
    if (code) this.h.scanner.secret('authorization code', code);
    return { end: new URL(end.url), callback };
  }

  /** A new admin, linked by the admin API to this subject at the provider. */
  async link(username: string, subject: string) {
    const { operator } = await this.h.addOperator(username, 'admin');
    const answer = await this.admin.agent.request('PUT', `/api/operators/${operator.id}/oidc`, { subject });
    expect(answer.statusCode, answer.body).toBe(200);
    return operator;
  }

  async sessionOf(b: Browser) {
    const response = await b.request(`${this.monban}/api/auth/session`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
}

describe('OpenID Connect single sign-on', () => {
  const sso = new SsoSite();
  beforeAll(() => sso.start('sub'), SLOW);
  afterAll(() => sso.close(), SLOW);

  it('says whether single sign-on is offered, for the sign-in page', async () => {
    const response = await fetch(`${sso.monban}/api/auth/config`, { dispatcher: sso.dispatcher });
    expect(await response.json()).toEqual({ sso: { enabled: true } });
  });

  it(
    'signs in a linked operator whose MFA the provider proved: the session can call the API',
    async () => {
      const operator = await sso.link('alice', 'alice-at-idp');
      const b = sso.browser();
      // A session id planted before the sign-in (fixation) is not the one the sign-in ends with.
      b.cookiesOf(sso.monban).set('__Host-monban_session', 'planted-by-an-attacker');
      const { end } = await sso.signIn(b, { id: 'alice-at-idp', amr: ['pwd', 'mfa'] });
      expect(end.pathname).toBe('/');
      expect(b.cookiesOf(sso.monban).get('__Host-monban_session')).not.toBe('planted-by-an-attacker');
      expect(end.searchParams.get('ssoError')).toBeNull();
      const session = await sso.sessionOf(b);
      expect(session.body).toMatchObject({ stage: 'full', operator: { id: operator.id } });
      const operators = await b.request(`${sso.monban}/api/operators`);
      expect(operators.status).toBe(200);
      const audit = await sso.h.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'login.success')
        .where('target', '=', 'operator:alice')
        .execute();
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0]!.detail)).toMatchObject({
        method: 'oidc',
        mfa: 'provider',
        amr: ['pwd', 'mfa'],
      });
    },
    SLOW,
  );

  it(
    'accepts a configured acr value as proof of MFA too',
    async () => {
      await sso.link('acr-user', 'acr-at-idp');
      const b = sso.browser();
      await sso.signIn(b, { id: 'acr-at-idp', acr: 'urn:monban:test:mfa' });
      expect((await sso.sessionOf(b)).body).toMatchObject({ stage: 'full' });
    },
    SLOW,
  );

  it(
    'without MFA proof, the API refuses until the operator’s own TOTP is done',
    async () => {
      const bob = await sso.h.loggedInAdmin('bob');
      const answer = await sso.admin.agent.request('PUT', `/api/operators/${bob.operator.id}/oidc`, {
        subject: 'bob-at-idp',
      });
      expect(answer.statusCode).toBe(200);
      const b = sso.browser();
      const { end } = await sso.signIn(b, { id: 'bob-at-idp', amr: ['pwd'] });
      expect(end.pathname).toBe('/');
      const session = await sso.sessionOf(b);
      expect(session.body).toMatchObject({ stage: 'mfa' });
      const refused = await b.request(`${sso.monban}/api/operators`);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        'SECOND_FACTOR_REQUIRED',
      );
      const done = await b.request(`${sso.monban}/api/auth/login/totp`, {
        method: 'POST',
        body: { code: await sso.h.totp(bob.totpSecret) },
        headers: { 'x-csrf-token': String(session.body.csrfToken) },
      });
      expect(done.status, await done.clone().text()).toBe(200);
      expect(await done.json()).toMatchObject({ stage: 'full' });
      expect((await b.request(`${sso.monban}/api/operators`)).status).toBe(200);
      const success = await sso.h.db
        .selectFrom('audit_log')
        .select('detail')
        .where('action', '=', 'login.success')
        .where('target', '=', 'operator:bob')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(success.detail)).toMatchObject({ method: 'oidc+totp' });
    },
    SLOW,
  );

  it(
    'without MFA proof and without a second factor, the operator must enrol one first',
    async () => {
      await sso.link('carol', 'carol-at-idp');
      const b = sso.browser();
      await sso.signIn(b, { id: 'carol-at-idp' });
      expect((await sso.sessionOf(b)).body).toMatchObject({ stage: 'enrol' });
      const refused = await b.request(`${sso.monban}/api/operators`);
      expect(refused.status).toBe(403);
    },
    SLOW,
  );

  it(
    'refuses an identity no operator is linked to, and creates nobody',
    async () => {
      const before = await sso.h.db.selectFrom('operators').select('id').execute();
      const b = sso.browser();
      const { end } = await sso.signIn(b, { id: 'stranger-at-idp', amr: ['mfa'] });
      expect(end.pathname).toBe('/sign-in');
      expect(end.searchParams.get('ssoError')).toBe('OIDC_NOT_ALLOWED');
      expect((await sso.sessionOf(b)).status).toBe(401);
      expect(await sso.h.db.selectFrom('operators').select('id').execute()).toHaveLength(before.length);
      const failure = await sso.h.db
        .selectFrom('audit_log')
        .select('detail')
        .where('action', '=', 'login.failure')
        .where('target', '=', 'oidc:stranger-at-idp')
        .executeTakeFirstOrThrow();
      expect(JSON.parse(failure.detail)).toMatchObject({
        factor: 'oidc',
        code: 'OIDC_NOT_ALLOWED',
        reason: 'unknown_identity',
      });
    },
    SLOW,
  );

  it(
    'refuses a disabled operator',
    async () => {
      const dave = await sso.link('dave', 'dave-at-idp');
      const disable = await sso.admin.agent.patch(`/api/operators/${dave.id}`, { disabled: true });
      expect(disable.statusCode).toBe(200);
      const b = sso.browser();
      const { end } = await sso.signIn(b, { id: 'dave-at-idp', amr: ['mfa'] });
      expect(end.searchParams.get('ssoError')).toBe('OIDC_NOT_ALLOWED');
      expect((await sso.sessionOf(b)).status).toBe(401);
    },
    SLOW,
  );

  it(
    'refuses a callback whose state was tampered with',
    async () => {
      await sso.link('erin', 'erin-at-idp');
      const b = sso.browser();
      sso.provider.signInAs({ id: 'erin-at-idp', amr: ['mfa'] });
      // Up to the provider's redirect back, not into it.
      let at = `${sso.monban}/api/auth/oidc/start`;
      while (!at.startsWith(`${sso.monban}/api/auth/oidc/callback`)) {
        const response = await b.request(at);
        await response.arrayBuffer();
        at = new URL(response.headers.get('location')!, at).href;
      }
      const callback = new URL(at);
      sso.h.scanner.secret('authorization code', callback.searchParams.get('code')!);
      callback.searchParams.set('state', `${callback.searchParams.get('state')}x`);
      const { url } = await b.follow(callback.href);
      expect(new URL(url).searchParams.get('ssoError')).toBe('OIDC_STATE_INVALID');
      expect((await sso.sessionOf(b)).status).toBe(401);
    },
    SLOW,
  );

  it(
    'refuses a replayed callback, even with the sign-in’s cookie',
    async () => {
      await sso.link('frank', 'frank-at-idp');
      const b = sso.browser();
      sso.provider.signInAs({ id: 'frank-at-idp', amr: ['mfa'] });
      const start = await b.request(`${sso.monban}/api/auth/oidc/start`);
      const flowCookie = [...b.cookiesOf(sso.monban)].find(([name]) => name.includes('oidc'));
      expect(flowCookie).toBeDefined();
      const { callback } = await (async () => {
        const end = await b.follow(new URL(start.headers.get('location')!).href);
        return { end, callback: b.visited.findLast((u) => u.includes('/api/auth/oidc/callback'))! };
      })();
      sso.h.scanner.secret('authorization code', new URL(callback).searchParams.get('code')!);
      expect((await sso.sessionOf(b)).body).toMatchObject({ stage: 'full' });
      // An attacker with the whole callback and the flow cookie, in a fresh browser.
      const replay = sso.browser();
      replay.cookiesOf(sso.monban).set(flowCookie![0], flowCookie![1]);
      const { url } = await replay.follow(callback);
      expect(new URL(url).searchParams.get('ssoError')).toBe('OIDC_STATE_INVALID');
      expect((await sso.sessionOf(replay)).status).toBe(401);
    },
    SLOW,
  );

  it(
    'refuses a callback in a browser that did not start the sign-in',
    async () => {
      await sso.link('grace', 'grace-at-idp');
      const victim = sso.browser();
      sso.provider.signInAs({ id: 'grace-at-idp', amr: ['mfa'] });
      let at = `${sso.monban}/api/auth/oidc/start`;
      while (!at.startsWith(`${sso.monban}/api/auth/oidc/callback`)) {
        const response = await victim.request(at);
        await response.arrayBuffer();
        at = new URL(response.headers.get('location')!, at).href;
      }
      sso.h.scanner.secret('authorization code', new URL(at).searchParams.get('code')!);
      const other = sso.browser();
      const { url } = await other.follow(at);
      expect(new URL(url).searchParams.get('ssoError')).toBe('OIDC_STATE_INVALID');
    },
    SLOW,
  );

  it(
    'monban doctor discovers the provider, fails one it cannot reach, and finds the break-glass admin',
    async () => {
      expect(await singleSignOn(sso.oidc)).toMatchObject({ status: 'pass' });
      const away = await singleSignOn({ ...sso.oidc, issuer: 'https://127.0.0.1:1' });
      expect(away).toMatchObject({ status: 'fail', detail: expect.stringContaining('not discovered') });
      // root enrolled TOTP at the start: a way in while the provider is down.
      expect(await breakGlassAdmin(sso.h.store)).toMatchObject({ status: 'pass' });
    },
    SLOW,
  );

  it('writes no code, token or secret into the log, and keeps the callback’s query out of it', () => {
    const lines = sso.h.scanner.logLines.join('\n');
    expect(lines).toContain('/api/auth/oidc/callback');
    expect(lines).not.toMatch(/oidc\/callback\?/);
    expect(lines).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./); // no JWT (ID or access token)
    expect(sso.h.scanner.leaks()).toEqual([]);
  });
});

describe('OpenID Connect single sign-on, matched by a verified e-mail (MONBAN_OIDC_CLAIM=email)', () => {
  const sso = new SsoSite();
  beforeAll(() => sso.start('email'), SLOW);
  afterAll(() => sso.close(), SLOW);

  async function withEmail(username: string, email: string) {
    const { operator } = await sso.h.addOperator(username, 'admin');
    const patch = await sso.admin.agent.patch(`/api/operators/${operator.id}`, { email });
    expect(patch.statusCode, patch.body).toBe(200);
    return operator;
  }

  it(
    'signs in the operator whose e-mail the provider verified, whatever its letter case',
    async () => {
      const operator = await withEmail('hana', 'hana@example.com');
      const b = sso.browser();
      await sso.signIn(b, {
        id: 'hana-at-idp',
        amr: ['mfa'],
        claims: { email: 'Hana@Example.com', email_verified: true },
      });
      expect((await sso.sessionOf(b)).body).toMatchObject({ stage: 'full', operator: { id: operator.id } });
    },
    SLOW,
  );

  it(
    'refuses an e-mail the provider did not verify',
    async () => {
      await withEmail('ichiro', 'ichiro@example.com');
      const b = sso.browser();
      const { end } = await sso.signIn(b, {
        id: 'ichiro-at-idp',
        amr: ['mfa'],
        claims: { email: 'ichiro@example.com', email_verified: false },
      });
      expect(end.searchParams.get('ssoError')).toBe('OIDC_NOT_ALLOWED');
      expect((await sso.sessionOf(b)).status).toBe(401);
    },
    SLOW,
  );
});

describe('OpenID Connect single sign-on, not configured', () => {
  it(
    'offers no SSO and refuses to start one',
    async () => {
      const h = await startHarness();
      try {
        expect((await h.inject({ method: 'GET', url: '/api/auth/config' })).json()).toEqual({
          sso: { enabled: false },
        });
        const start = await h.inject({ method: 'GET', url: '/api/auth/oidc/start' });
        expect(start.statusCode).toBe(404);
        expect(start.json().error.code).toBe('OIDC_NOT_CONFIGURED');
        // Admins with a password only: doctor warns that nobody would get in without the provider.
        await h.addOperator('only-password', 'admin');
        expect(await breakGlassAdmin(h.store)).toMatchObject({ status: 'warn' });
      } finally {
        await h.close();
      }
    },
    SLOW,
  );
});
