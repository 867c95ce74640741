// Rule: the resource API (buildApp) sits behind the security stack: roles and scopes hold on the real
// routes, state changes need the CSRF token, half-logged-in admins get nothing, every write is
// audited with actor and source, credential registrations and deletions feed the ID-change burst
// alarm, and PINs given to the API never come back in a response or a log line.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, type Harness, startHarness } from './support/harness.ts';

describe('resource API behind the security stack', () => {
  let h: Harness;
  let admin: Agent;
  beforeEach(async () => {
    h = await startHarness({ alarmSettings: { idChangeBurst: { count: 3, windowMs: 60_000 } } });
    ({ agent: admin } = await h.loggedInAdmin());
  });
  afterEach(async () => {
    await h.close();
  });

  async function as(
    username: string,
    role: 'operator' | 'auditor' | 'maintainer',
    scope?: { departments: string[]; sites: string[] },
  ) {
    const { password } = await h.addOperator(username, role, scope);
    const agent = h.agent();
    await agent.login(username, password);
    return agent;
  }

  it('keeps an operator inside their departments on /api/people', async () => {
    expect(
      (await admin.post('/api/people', { id: 'lab-1', name: 'Lab Person', department: 'lab' })).statusCode,
    ).toBe(201);
    const op = await as('sales-op', 'operator', { departments: ['sales'], sites: [] });
    expect(
      (await op.post('/api/people', { id: 'sales-1', name: 'Sales Person', department: 'sales' })).statusCode,
    ).toBe(201);
    const outside = await op.post('/api/people', { id: 'lab-2', name: 'Not Mine', department: 'lab' });
    expect(outside.statusCode).toBe(403);
    const listed = (await op.get('/api/people')).json();
    expect(JSON.stringify(listed)).toContain('sales-1');
    expect(JSON.stringify(listed)).not.toContain('lab-1');
    expect((await op.get('/api/people/lab-1')).statusCode).toBe(404);
    expect((await op.delete('/api/people/lab-1')).statusCode).toBe(404);
    expect((await admin.get('/api/people/lab-1')).statusCode).toBe(200);
  });

  it('lets auditors only read and maintainers not touch people', async () => {
    const auditor = await as('kansa', 'auditor');
    expect((await auditor.get('/api/people')).statusCode).toBe(200);
    expect((await auditor.post('/api/people', { id: 'x', name: 'X' })).statusCode).toBe(403);
    const maint = await as('hoshu', 'maintainer');
    expect((await maint.get('/api/people')).statusCode).toBe(403);
    expect((await maint.get('/api/controllers')).statusCode).toBe(200);
  });

  it('refuses writes without the CSRF token and half-logged-in admins, and unauthenticated callers', async () => {
    expect((await admin.post('/api/people', { id: 'p-csrf', name: 'C' }, { csrf: false })).statusCode).toBe(
      403,
    );
    expect((await admin.get('/api/people/p-csrf')).statusCode).toBe(404);
    const { password } = await h.addOperator('new-admin', 'admin');
    const half = h.agent();
    await half.login('new-admin', password);
    expect((await half.get('/api/people')).json().error.code).toBe('MFA_ENROLMENT_REQUIRED');
    expect((await h.inject({ method: 'GET', url: '/api/people' })).statusCode).toBe(401);
    expect((await h.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  });

  it('audits every write with actor and source, and raises id_change_burst for bulk credential changes', async () => {
    await admin.post('/api/people', { id: 'alice', name: 'Alice' });
    for (let i = 0; i < 3; i++)
      expect(
        (
          await admin.post('/api/credentials', {
            id: `card-${i}`,
            personId: 'alice',
            type: 'card',
            identifier: `C-${i}`,
          })
        ).statusCode,
      ).toBe(201);
    const rows = await h.db
      .selectFrom('audit_log')
      .selectAll()
      .where('target', 'in', ['person:alice', 'credential:card-0'])
      .execute();
    expect(rows.map((r) => r.action).sort()).toEqual(['credential.create', 'person.create']);
    expect(rows[0]).toMatchObject({ source: '127.0.0.1' });
    const alarms = (await admin.get('/api/alarms?type=id_change_burst')).json().items;
    expect(alarms).toHaveLength(1);
  });

  it('never returns or logs a PIN given to the API', async () => {
    await admin.post('/api/people', { id: 'bob', name: 'Bob' });
    const pin = h.scanner.secret('card PIN', '90817263');
    const duress = h.scanner.secret('duress PIN', '55120934');
    const created = await admin.post('/api/credentials', {
      id: 'bob-card',
      personId: 'bob',
      type: 'card',
      identifier: 'C-77',
      pin,
      duressPin: duress,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ hasPin: true, hasDuressPin: true });
    const issued = await admin.post('/api/credentials', { id: 'bob-pin', personId: 'bob', type: 'pin' });
    h.scanner.secret('PIN-only code', issued.json().pin, admin.lastCaptureId);
    const chosen = h.scanner.secret('chosen PIN-only code', '31415926');
    expect(
      (await admin.post('/api/credentials', { id: 'bob-pin2', personId: 'bob', type: 'pin', pin: chosen }))
        .statusCode,
    ).toBe(400);
    const bad = h.scanner.secret('malformed PIN', '12ab34cd');
    expect(
      (await admin.post('/api/credentials', { personId: 'bob', type: 'card', identifier: 'C-78', pin: bad }))
        .statusCode,
    ).toBe(400);
    await admin.patch('/api/credentials/bob-card', { pin: h.scanner.secret('new PIN', '77001122') });
    for (const url of [
      '/api/credentials',
      '/api/credentials/bob-card',
      '/api/csv/credentials',
      '/api/audit?limit=500',
    ])
      expect((await admin.get(url)).statusCode, url).toBe(200);
  });
});
