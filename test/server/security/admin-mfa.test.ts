// Rule: admins need a second factor. An admin without one can, after the password, only enrol one
// (TOTP or a passkey); an admin with one gets nothing but the second-factor step until it is passed;
// second-factor failures count towards the lockout. A locked-out or device-less admin is recovered by
// another admin, never by themselves.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.ts';

describe('MFA for admins', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('an admin without MFA can only enrol MFA', async () => {
    const { password } = await h.addOperator('root-admin', 'admin');
    const agent = h.agent();
    const login = await agent.login('root-admin', password);
    expect(login.json().stage).toBe('enrol');
    for (const [method, url] of [
      ['GET', '/api/fixture/people'],
      ['GET', '/api/operators'],
      ['GET', '/api/audit'],
      ['POST', '/api/auth/backup-codes'],
      ['POST', '/api/auth/tokens'],
      ['POST', '/api/auth/password'],
      ['POST', '/api/auth/setup'],
      // A path no route serves is refused like the rest (only rows that say halfSession are reachable).
      ['GET', '/api/no-such-route'],
      ['GET', '/api/auth/session-x'],
    ] as const) {
      const response = await agent.request(method, url, method === 'POST' ? {} : undefined);
      expect(response.statusCode, url).toBe(403);
      expect(response.json().error.code, url).toBe('MFA_ENROLMENT_REQUIRED');
    }
    // The rows a half session may reach: who am I, how to sign in.
    expect((await agent.get('/api/auth/session')).json()).toMatchObject({ stage: 'enrol' });
    expect((await agent.get('/api/auth/config')).statusCode).toBe(200);
    const enrol = await agent.post('/api/auth/totp/enrol');
    const secret = h.scanner.secret('TOTP secret', enrol.json().secret, agent.lastCaptureId);
    expect(enrol.json().uri).toMatch(/^otpauth:\/\/totp\/Monban:root-admin\?/);
    expect((await agent.post('/api/auth/totp/verify', { code: '000000' })).statusCode).toBe(400);
    const verified = await agent.post('/api/auth/totp/verify', { code: await h.totp(secret) });
    expect(verified.json()).toMatchObject({ enrolled: true, stage: 'full' });
    for (const code of verified.json().backupCodes)
      h.scanner.secret('backup code', code, agent.lastCaptureId);
    expect((await agent.get('/api/operators')).statusCode).toBe(200);
  });

  it('an admin with MFA gets only the second-factor step after the password', async () => {
    const { password, totpSecret } = await h.loggedInAdmin('admin');
    const agent = h.agent();
    const login = await agent.login('admin', password);
    expect(login.json()).toMatchObject({ stage: 'mfa', secondFactors: ['totp', 'backup_code'] });
    const blocked = await agent.get('/api/operators');
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error.code).toBe('SECOND_FACTOR_REQUIRED');
    expect((await agent.post('/api/auth/totp/enrol')).statusCode).toBe(403);
    expect((await agent.post('/api/auth/login/totp', { code: await h.totp(totpSecret) })).json().stage).toBe(
      'full',
    );
    expect((await agent.get('/api/operators')).statusCode).toBe(200);
  });

  it('wrong second factors count towards the lockout and end the half session', async () => {
    const { password, totpSecret } = await h.loggedInAdmin('admin');
    const agent = h.agent();
    await agent.login('admin', password);
    const right = await h.totp(totpSecret);
    const wrong = right === '123456' ? '654321' : '123456';
    for (let i = 0; i < 4; i++)
      expect((await agent.post('/api/auth/login/totp', { code: wrong })).statusCode).toBe(401);
    expect((await agent.post('/api/auth/login/backup-code', { code: 'aaaaa-bbbbb' })).statusCode).toBe(401);
    expect((await agent.post('/api/auth/login/totp', { code: right })).statusCode).toBe(401);
    expect((await h.agent().login('admin', password)).json().error.code).toBe('LOGIN_LOCKED');
    const alarms = await h.db.selectFrom('alarms').select('type').execute();
    expect(alarms.map((a) => a.type)).toContain('login_failures');
  });

  it('MFA is optional for non-admins, and can be made optional for admins by setting', async () => {
    const { password } = await h.addOperator('op', 'operator', { departments: ['sales'], sites: [] });
    expect((await h.agent().login('op', password)).json().stage).toBe('full');
    await h.close();
    h = await startHarness({ settings: { requireAdminMfa: false } });
    const admin = await h.addOperator('admin', 'admin');
    expect((await h.agent().login('admin', admin.password)).json().stage).toBe('full');
  });

  it('another admin recovers a locked-out admin who lost their device; nobody recovers themselves', async () => {
    const first = await h.loggedInAdmin('admin1');
    const second = await h.loggedInAdmin('admin2');
    for (let i = 0; i < 5; i++) await h.agent().login('admin1', 'wrong-wrong-wrong-wrong');
    expect((await h.agent().login('admin1', first.password)).statusCode).toBe(429);

    expect((await first.agent.post(`/api/operators/${first.operator.id}/recover`, {})).statusCode).toBe(403);
    const recovered = await second.agent.post(`/api/operators/${first.operator.id}/recover`, {
      unlock: true,
      resetMfa: true,
    });
    expect(recovered.statusCode).toBe(200);
    expect(recovered.json()).toMatchObject({
      lockedUntil: null,
      mfa: { totp: false, webauthn: 0, backupCodes: 0 },
    });
    // the old session is gone; a fresh login must enrol a new factor
    expect((await first.agent.get('/api/auth/session')).statusCode).toBe(401);
    expect((await h.agent().login('admin1', first.password)).json().stage).toBe('enrol');
    const audit = await h.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'operator.recover')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe(second.operator.id);
  });

  it('the last enabled admin cannot be disabled or demoted', async () => {
    const only = await h.loggedInAdmin('admin1');
    const { operator: other } = await h.addOperator('admin2', 'admin');
    expect((await only.agent.patch(`/api/operators/${other.id}`, { disabled: true })).statusCode).toBe(200);
    expect(
      (await only.agent.patch(`/api/operators/${only.operator.id}`, { role: 'auditor' })).statusCode,
    ).toBe(403);
  });
});
