// Rule: protected assets never appear in any log line or response (R-SEC-4). Every secret a flow
// uses — passwords (right and wrong), the setup token, TOTP secrets and codes, backup codes, API
// tokens, session ids, the installation key — is registered with the scanner, which captures every
// log line (pino, through a destination stream) and every response body; a secret may appear only in
// the one response that issues it. Every security test file closes with this check; this one runs
// all the flows together, including failures, and checks that the scanner itself catches a leak.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureFirstAdminSetup } from '../../../src/server/auth/setup.ts';
import { type Harness, ORIGIN, RP_ID, startHarness, strongPassword } from './support/harness.ts';
import { SecretScanner } from './support/secret-scanner.ts';
import { SoftAuthenticator } from './support/soft-authenticator.ts';

describe('secret scanner', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close(); // fails on any leak
  });

  it('finds a secret logged or echoed, naming where but not what', () => {
    const scanner = new SecretScanner();
    const logger = pino({}, scanner.logStream);
    scanner.secret('demo password', 'tsukimi-dango-ni-ocha');
    logger.info({ body: { password: 'tsukimi-dango-ni-ocha' } }, 'login');
    const issued = scanner.captureResponse('POST /issue', '{"token":"mbn_abcdef123456"}');
    scanner.secret('demo token', 'mbn_abcdef123456', issued);
    scanner.captureResponse('GET /echo', 'your token is mbn_abcdef123456');
    expect(scanner.leaks()).toEqual(['demo password in log line 1', 'demo token in response #2 (GET /echo)']);
    expect(() => scanner.assertClean()).toThrow(/demo password in log line 1/);
    expect(() => scanner.assertClean()).not.toThrow(/tsukimi/);
  });

  it('no secret of any login, enrolment, token or failure flow leaks', async () => {
    // setup token → first admin
    const printed: string[] = [];
    const setup = await ensureFirstAdminSetup(h.db, h.app.log as never, {
      clock: h.clock,
      print: (l) => printed.push(l),
    });
    h.scanner.secret('setup token', setup!.token);
    const adminPassword = h.scanner.secret('admin password', strongPassword());
    const created = await h.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { token: setup!.token, username: 'admin', password: adminPassword },
    });
    expect(created.statusCode).toBe(201);
    await h.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { token: setup!.token, username: 'admin2', password: adminPassword },
    });

    // wrong passwords, malformed bodies carrying secrets
    const wrong = h.scanner.secret('wrong password', 'wrong-but-close-password');
    await h.agent().login('admin', wrong);
    await h.agent().login('nobody', wrong);
    await h.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'admin', password: wrong, extra: wrong },
    });
    await h.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: `{"password":"${wrong}"`,
    });

    // password → TOTP enrolment → backup codes
    const agent = h.agent();
    await agent.login('admin', adminPassword);
    const enrol = await agent.post('/api/auth/totp/enrol');
    const totpSecret = h.scanner.secret('TOTP secret', enrol.json().secret, agent.lastCaptureId);
    const code = await h.totp(totpSecret);
    const verified = await agent.post('/api/auth/totp/verify', { code });
    for (const c of verified.json().backupCodes) h.scanner.secret('backup code', c, agent.lastCaptureId);

    // passkey on top
    const key = new SoftAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    const options = (await agent.post('/api/auth/webauthn/register/options')).json();
    await agent.post('/api/auth/webauthn/register/verify', { response: key.register(options) });

    // new operator with a password, a weak one refused
    const opPassword = h.scanner.secret('operator password', strongPassword());
    await agent.post('/api/operators', {
      username: 'op',
      role: 'operator',
      scope: { departments: ['sales'] },
      password: opPassword,
    });
    await agent.post('/api/operators', {
      username: 'op-weak',
      role: 'auditor',
      password: h.scanner.secret('weak', 'password1234'),
    });

    // API token issued, used, misused, revoked
    const tokenResponse = await agent.post('/api/auth/tokens', { name: 'hr', permissions: ['people:read'] });
    const token = h.scanner.secret('API token', tokenResponse.json().token, agent.lastCaptureId);
    await h.inject({
      method: 'GET',
      url: '/api/fixture/people',
      headers: { authorization: `Bearer ${token}` },
    });
    await h.inject({ method: 'GET', url: '/api/operators', headers: { authorization: `Bearer ${token}` } });
    await agent.get('/api/auth/tokens');
    await agent.delete(`/api/auth/tokens/${tokenResponse.json().id}`);
    await h.inject({
      method: 'GET',
      url: '/api/fixture/people',
      headers: { authorization: `Bearer ${token}` },
    });

    // second factor failures and success, code replay
    h.clock.advance(30_000);
    const second = h.agent();
    await second.login('admin', adminPassword);
    await second.post('/api/auth/login/totp', { code });
    await second.post('/api/auth/login/totp', { code: await h.totp(totpSecret) });
    const third = h.agent();
    await third.login('admin', adminPassword);
    await third.post('/api/auth/login/backup-code', { code: verified.json().backupCodes[0] });

    // everything read back through the API
    for (const url of ['/api/auth/session', '/api/operators', '/api/audit?limit=500', '/api/alarms'])
      expect((await agent.get(url)).statusCode, url).toBe(200);

    expect(h.scanner.logLines.length).toBeGreaterThan(20);
    expect(h.scanner.responses.length).toBeGreaterThan(20);
  });
});
