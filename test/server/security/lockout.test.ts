// Rule: five consecutive failed logins lock the username for 15 minutes (configurable); while locked
// even the right password is refused; the lock raises a login_failures alarm; a success resets the
// count. Unknown usernames and wrong passwords get the same answer, so logins reveal no usernames.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.ts';

describe('login lockout', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('locks after 5 failures for 15 minutes, refusing even the right password, and raises an alarm', async () => {
    const { password } = await h.addOperator('yamada', 'auditor');
    const agent = h.agent();
    for (let i = 0; i < 5; i++) {
      const response = await agent.login('yamada', `wrong-password-${i}-xxxxxx`);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('LOGIN_FAILED');
    }
    const locked = await agent.login('yamada', password);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe('LOGIN_LOCKED');
    expect(locked.headers['retry-after']).toBe('900');
    expect(agent.cookie).toBeUndefined();

    const alarms = await h.db.selectFrom('alarms').selectAll().where('type', '=', 'login_failures').execute();
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.source).toBe('operator:yamada');

    h.clock.advance(14 * 60_000);
    expect((await agent.login('yamada', password)).statusCode).toBe(429);
    h.clock.advance(60_000);
    const ok = await agent.login('yamada', password);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().stage).toBe('full');
  });

  it('counts only consecutive failures: a success resets the count', async () => {
    const { password } = await h.addOperator('suzuki', 'auditor');
    const agent = h.agent();
    for (let i = 0; i < 4; i++) await agent.login('suzuki', 'not-the-password-at-all');
    expect((await agent.login('suzuki', password)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) await agent.login('suzuki', 'not-the-password-at-all');
    expect((await h.agent().login('suzuki', password)).statusCode).toBe(200);
  });

  it('answers unknown usernames exactly like wrong passwords, lockout included', async () => {
    await h.addOperator('tanaka', 'auditor');
    const agent = h.agent();
    const wrong = await agent.login('tanaka', 'definitely-wrong-password');
    const unknown = await agent.login('nobody-here', 'definitely-wrong-password');
    expect(unknown.statusCode).toBe(wrong.statusCode);
    expect(unknown.json()).toEqual(wrong.json());
    for (let i = 0; i < 4; i++) await agent.login('nobody-here', 'definitely-wrong-password');
    expect((await agent.login('nobody-here', 'x-definitely-wrong')).json().error.code).toBe('LOGIN_LOCKED');
  });

  it('is configurable, and failures are recorded atomically under concurrency', async () => {
    await h.close();
    h = await startHarness({ settings: { lockout: { maxFailures: 3, durationMs: 60_000 } } });
    const { password } = await h.addOperator('sato', 'auditor');
    await Promise.all(Array.from({ length: 6 }, () => h.agent().login('sato', 'wrong-wrong-wrong-wrong')));
    const row = await h.db
      .selectFrom('login_throttle')
      .selectAll()
      .where('username', '=', 'sato')
      .executeTakeFirstOrThrow();
    expect(Number(row.failures)).toBeGreaterThanOrEqual(3);
    expect(Number(row.locked_until)).toBe(h.clock.now() + 60_000);
    expect((await h.agent().login('sato', password)).statusCode).toBe(429);
    h.clock.advance(60_000);
    expect((await h.agent().login('sato', password)).statusCode).toBe(200);
  });

  it('audits every failure and success with actor, source address and time', async () => {
    const { operator, password } = await h.addOperator('kato', 'auditor');
    await h.agent('192.0.2.7').login('kato', 'wrong-wrong-wrong-wrong');
    await h.agent('192.0.2.8').login('kato', password);
    const rows = await h.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    const failure = rows.find((r) => r.action === 'login.failure')!;
    const success = rows.find((r) => r.action === 'login.success')!;
    expect(failure).toMatchObject({ actor: operator.id, source: '192.0.2.7', target: 'operator:kato' });
    expect(success).toMatchObject({ actor: operator.id, source: '192.0.2.8', at: h.clock.now() });
  });

  it('limits login attempts per source address, whatever the usernames', async () => {
    await h.close();
    h = await startHarness({ settings: { loginRateLimit: { perAddress: 3, windowMs: 60_000 } } });
    const { password } = await h.addOperator('mori', 'auditor');
    for (let i = 0; i < 3; i++)
      expect((await h.agent('203.0.113.9').login(`user${i}`, 'wrong-wrong-wrong-1')).statusCode).toBe(401);
    const limited = await h.agent('203.0.113.9').login('mori', password);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect((await h.agent('203.0.113.10').login('mori', password)).statusCode).toBe(200);
    h.clock.advance(60_000);
    expect((await h.agent('203.0.113.9').login('mori', password)).statusCode).toBe(200);
  });
});
