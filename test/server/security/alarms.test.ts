// Rule: the server raises alarms for bursts of failed logins, a login from an address never seen for
// that operator, a large change of the server clock, and bursts of ID registration or deletion.
// Alarms move active → acknowledged → resolved, each step and comment naming who and when; a step
// cannot be taken twice; every step is audited.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClockJumpDetector } from '../../../src/server/alarms/detectors.ts';
import { type Agent, type Harness, startHarness } from './support/harness.ts';

describe('alarms', () => {
  let h: Harness;
  let admin: Agent;
  beforeEach(async () => {
    h = await startHarness({
      settings: { failedLoginBurst: { count: 6, windowMs: 60_000 } },
      alarmSettings: { idChangeBurst: { count: 3, windowMs: 60_000 } },
    });
    ({ agent: admin } = await h.loggedInAdmin());
  });
  afterEach(async () => {
    await h.close();
  });

  async function alarmsOf(type: string) {
    return (await admin.get(`/api/alarms?type=${type}`)).json().items as {
      id: string;
      source: string;
      occurrences: number;
      state: string;
      message: string;
    }[];
  }

  it('raises login_failures for a burst across many usernames (credential stuffing)', async () => {
    for (let i = 0; i < 5; i++) await h.agent().login(`user-${i}`, 'some-wrong-password-1');
    expect(await alarmsOf('login_failures')).toEqual([]);
    await h.agent().login('user-5', 'some-wrong-password-1');
    const alarms = await alarmsOf('login_failures');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.source).toBe('server');
  });

  it('raises unknown_login when an operator logs in from a new address, not at their first login', async () => {
    const { password } = await h.addOperator('ito', 'auditor');
    await h.agent('10.0.0.1').login('ito', password);
    await h.agent('10.0.0.1').login('ito', password);
    expect(await alarmsOf('unknown_login')).toEqual([]);
    await h.agent('203.0.113.50').login('ito', password);
    const alarms = await alarmsOf('unknown_login');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.message).toContain('203.0.113.50');
  });

  it('raises time_drift when the wall clock jumps against the monotonic clock', async () => {
    const detector = new ClockJumpDetector(60_000);
    expect(detector.sample({ wallMs: 1_000_000, monoMs: 500 })).toBeUndefined();
    expect(detector.sample({ wallMs: 1_010_000, monoMs: 10_500 })).toBeUndefined();
    expect(detector.sample({ wallMs: 1_020_500, monoMs: 20_400 })).toBeUndefined();
    expect(detector.sample({ wallMs: 1_020_500 + 3_600_000 + 10_000, monoMs: 30_400 })).toBe(3_600_000);
    expect(detector.sample({ wallMs: 1_000_000, monoMs: 40_400 })).toBeLessThan(-60_000);

    const { alarms } = h.app.security;
    await alarms.clockSample({ wallMs: h.clock.now(), monoMs: 0 });
    expect(await alarms.clockSample({ wallMs: h.clock.now() + 10_000, monoMs: 10_000 })).toBeUndefined();
    const raised = await alarms.clockSample({ wallMs: h.clock.now() - 2 * 3_600_000, monoMs: 20_000 });
    expect(raised).toMatchObject({ type: 'time_drift', state: 'active' });
  });

  it('raises id_change_burst for many registrations or deletions by one actor', async () => {
    const { alarms } = h.app.security;
    for (let i = 0; i < 2; i++)
      expect(await alarms.idChanged({ kind: 'delete', actor: 'op-7' })).toBeUndefined();
    expect(await alarms.idChanged({ kind: 'register', actor: 'op-7' })).toBeUndefined();
    expect(await alarms.idChanged({ kind: 'delete', actor: 'op-7' })).toMatchObject({
      type: 'id_change_burst',
    });
    h.clock.advance(61_000);
    expect(await alarms.idChanged({ kind: 'delete', actor: 'op-7' })).toBeUndefined();
  });

  it('goes active → acknowledged → resolved with comments and who did what, once each, audited', async () => {
    const alarm = await h.app.security.alarms.raise({
      type: 'forced_open',
      source: 'door:D1',
      message: 'door forced',
      site: 'tokyo',
    });
    const ack = await admin.post(`/api/alarms/${alarm.id}/acknowledge`, { comment: 'guard on the way' });
    expect(ack.json()).toMatchObject({
      state: 'acknowledged',
      acknowledgedAt: new Date(h.clock.now()).toISOString(),
    });
    expect((await admin.post(`/api/alarms/${alarm.id}/acknowledge`)).json().error.code).toBe(
      'ALARM_STATE_CONFLICT',
    );
    h.clock.advance(5 * 60_000);
    expect((await admin.post(`/api/alarms/${alarm.id}/comments`, { text: 'lock replaced' })).statusCode).toBe(
      201,
    );
    const resolved = await admin.post(`/api/alarms/${alarm.id}/resolve`);
    expect(resolved.json()).toMatchObject({
      state: 'resolved',
      resolvedAt: new Date(h.clock.now()).toISOString(),
    });
    expect((await admin.post(`/api/alarms/${alarm.id}/resolve`)).statusCode).toBe(409);
    const detail = (await admin.get(`/api/alarms/${alarm.id}`)).json();
    expect(detail.comments.map((c: { text: string }) => c.text)).toEqual([
      'guard on the way',
      'lock replaced',
    ]);
    expect(detail.acknowledgedBy).toBe(detail.resolvedBy);
    const audit = await h.db
      .selectFrom('audit_log')
      .select('action')
      .where('target', '=', `alarm:${alarm.id}`)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['alarm.acknowledge', 'alarm.comment', 'alarm.resolve']);
    expect((await admin.get('/api/alarms?state=resolved')).json().items).toHaveLength(1);
    expect((await admin.get('/api/alarms/does-not-exist')).statusCode).toBe(404);
    expect((await admin.get('/api/alarms?state=bogus')).statusCode).toBe(400);
  });

  it('shows a site-scoped operator only the alarms of their sites', async () => {
    const { alarms } = h.app.security;
    await alarms.raise({ type: 'tamper', source: 'reader:R1', message: 'case open', site: 'tokyo' });
    await alarms.raise({ type: 'tamper', source: 'reader:R2', message: 'case open', site: 'osaka' });
    const { password } = await h.addOperator('tokyo-op', 'operator', { departments: [], sites: ['tokyo'] });
    const op = h.agent();
    await op.login('tokyo-op', password);
    const visible = (await op.get('/api/alarms')).json().items as { source: string }[];
    expect(visible.map((a) => a.source)).toEqual(['reader:R1']);
  });
});
