// Rule: a session id planted before login is worthless (a new id is issued at login and again when
// the second factor is passed; the old id stops working); the cookie is HttpOnly, Secure and
// SameSite=Strict; ids are stored only hashed; sessions end after the idle timeout, after the
// absolute timeout whatever the activity, at logout, and when the operator is disabled.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/server/auth/secrets.ts';
import { type Harness, startHarness } from './support/harness.ts';

describe('sessions', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('sets a __Host- cookie that is HttpOnly, Secure and SameSite=Strict, stored only as a hash', async () => {
    const { password } = await h.addOperator('ito', 'auditor');
    const response = await h.agent().login('ito', password);
    const cookie = response.cookies.find((c) => c.name === '__Host-monban_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(cookie.value.length).toBeGreaterThanOrEqual(43);
    const rows = await h.db.selectFrom('auth_sessions').select('id_hash').execute();
    expect(rows.map((r) => r.id_hash)).toEqual([sha256Hex(cookie.value)]);
  });

  it('issues a new id at login: a planted (fixated) id is ignored and an earlier one stops working', async () => {
    const { password } = await h.addOperator('ito', 'auditor');
    const victim = h.agent();
    victim.cookie = '__Host-monban_session=attacker-chosen-value-0123456789abcdef';
    await victim.login('ito', password);
    expect(victim.cookie).not.toContain('attacker-chosen');
    expect((await victim.get('/api/auth/session')).statusCode).toBe(200);

    const first = victim.cookie;
    await victim.login('ito', password);
    expect(victim.cookie).not.toBe(first);
    const stale = h.agent();
    stale.cookie = first;
    expect((await stale.get('/api/auth/session')).statusCode).toBe(401);
  });

  it('issues another new id when the second factor is passed', async () => {
    const { password, totpSecret } = await h.loggedInAdmin('admin');
    const agent = h.agent();
    await agent.login('admin', password);
    const halfway = agent.cookie;
    expect((await agent.post('/api/auth/login/totp', { code: await h.totp(totpSecret) })).statusCode).toBe(
      200,
    );
    expect(agent.cookie).not.toBe(halfway);
    const stale = h.agent();
    stale.cookie = halfway;
    expect((await stale.get('/api/auth/session')).statusCode).toBe(401);
  });

  it('ends after the idle timeout and after the absolute timeout', async () => {
    const { password } = await h.addOperator('ito', 'auditor');
    const agent = h.agent();
    await agent.login('ito', password);
    h.clock.advance(29 * 60_000);
    expect((await agent.get('/api/fixture/people')).statusCode).toBe(200);
    h.clock.advance(31 * 60_000);
    expect((await agent.get('/api/fixture/people')).statusCode).toBe(401);

    await agent.login('ito', password);
    for (let hour = 0; hour < 12; hour++) {
      h.clock.advance(20 * 60_000);
      await agent.get('/api/fixture/people');
      h.clock.advance(20 * 60_000);
      await agent.get('/api/fixture/people');
      h.clock.advance(20 * 60_000);
      const response = await agent.get('/api/fixture/people');
      expect(response.statusCode).toBe(hour < 11 ? 200 : 401);
    }
  });

  it('ends at logout and when the operator is disabled', async () => {
    const { agent: admin } = await h.loggedInAdmin();
    const { operator, password } = await h.addOperator('ito', 'auditor');
    const agent = h.agent();
    await agent.login('ito', password);
    const cookie = agent.cookie;
    expect((await agent.post('/api/auth/logout')).statusCode).toBe(200);
    const replay = h.agent();
    replay.cookie = cookie;
    expect((await replay.get('/api/auth/session')).statusCode).toBe(401);

    await agent.login('ito', password);
    expect((await admin.patch(`/api/operators/${operator.id}`, { disabled: true })).statusCode).toBe(200);
    expect((await agent.get('/api/auth/session')).statusCode).toBe(401);
    expect((await h.agent().login('ito', password)).json().error.code).toBe('LOGIN_FAILED');
  });
});
