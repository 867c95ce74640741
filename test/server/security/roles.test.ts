// Rule: roles are enforced on every endpoint. An operator sees and changes only people within their
// departments/sites, cannot change settings, manage operators or touch the audit log; an auditor
// reads and never writes; nobody, admins included, can delete or change audit records through the
// API; an API token is limited to the permission subset it was given.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, type Harness, startHarness } from './support/harness.ts';

describe('roles and scopes', () => {
  let h: Harness;
  let admin: Agent;
  beforeEach(async () => {
    h = await startHarness();
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
    expect((await agent.login(username, password)).json().stage).toBe('full');
    return agent;
  }

  it('an operator reads and changes only inside their scope', async () => {
    const op = await as('sales-op', 'operator', { departments: ['sales'], sites: [] });
    expect((await op.get('/api/fixture/people')).json()).toEqual([
      { id: 'p-sales-tokyo', department: 'sales', site: 'tokyo' },
    ]);
    expect((await op.get('/api/fixture/people/p-lab-osaka')).statusCode).toBe(404);
    expect(
      (await op.post('/api/fixture/people', { id: 'n1', department: 'lab', site: 'osaka' })).statusCode,
    ).toBe(403);
    expect((await op.delete('/api/fixture/people/p-lab-osaka')).statusCode).toBe(404);
    expect(h.people.map((p) => p.id)).toEqual(['p-sales-tokyo', 'p-lab-osaka']);
    expect(
      (await op.post('/api/fixture/people', { id: 'n2', department: 'sales', site: 'tokyo' })).statusCode,
    ).toBe(201);
  });

  it('an operator cannot change settings, manage operators, tokens or alarms, or read the audit log', async () => {
    const op = await as('sales-op', 'operator', { departments: ['sales'], sites: [] });
    expect((await op.request('PUT', '/api/fixture/settings', {})).statusCode).toBe(403);
    const create = await op.post('/api/operators', {
      username: 'x',
      role: 'admin',
      password: 'Zt8!pW3#kq9$Lm2v',
    });
    expect(create.statusCode).toBe(403);
    expect((await op.get('/api/operators')).statusCode).toBe(403);
    expect((await op.post('/api/auth/tokens', { name: 't', permissions: ['people:read'] })).statusCode).toBe(
      403,
    );
    expect((await op.get('/api/audit')).statusCode).toBe(403);
    expect((await op.get('/api/alarms')).statusCode).toBe(200);
    const alarm = await h.app.security.alarms.raise({
      type: 'tamper',
      source: 'door:D1',
      message: 'case open',
      site: null,
    });
    expect((await op.post(`/api/alarms/${alarm.id}/acknowledge`)).statusCode).toBe(403);
  });

  it('an auditor reads everything readable and cannot write anything', async () => {
    const auditor = await as('kansa', 'auditor');
    for (const url of ['/api/fixture/people', '/api/operators', '/api/audit', '/api/alarms'])
      expect((await auditor.get(url)).statusCode, url).toBe(200);
    const alarm = await h.app.security.alarms.raise({
      type: 'tamper',
      source: 'door:D1',
      message: 'case open',
    });
    const writes: [string, string, unknown][] = [
      ['POST', '/api/fixture/people', { id: 'a', department: 'sales', site: 'tokyo' }],
      ['DELETE', '/api/fixture/people/p-sales-tokyo', undefined],
      ['PUT', '/api/fixture/settings', {}],
      ['POST', '/api/operators', { username: 'y', role: 'auditor', password: 'Zt8!pW3#kq9$Lm2v' }],
      ['POST', `/api/alarms/${alarm.id}/acknowledge`, {}],
      ['POST', `/api/alarms/${alarm.id}/comments`, { text: 'hi' }],
      ['POST', '/api/auth/tokens', { name: 't', permissions: ['people:read'] }],
      ['GET', '/api/audit/verify', undefined],
    ];
    for (const [method, url, body] of writes)
      expect((await auditor.request(method as 'POST', url, body)).statusCode, `${method} ${url}`).toBe(403);
    expect(h.people).toHaveLength(2);
  });

  it('a maintainer handles alarms but not people', async () => {
    const maint = await as('hoshu', 'maintainer');
    const alarm = await h.app.security.alarms.raise({
      type: 'comms_lost',
      source: 'controller:C1',
      message: 'offline',
    });
    expect((await maint.post(`/api/alarms/${alarm.id}/acknowledge`)).statusCode).toBe(200);
    expect((await maint.get('/api/fixture/people')).statusCode).toBe(403);
  });

  it('nobody can delete or change audit records through the API', async () => {
    const before = await h.db.selectFrom('audit_log').selectAll().execute();
    expect(before.length).toBeGreaterThan(0);
    for (const [method, url] of [
      ['DELETE', '/api/audit'],
      ['DELETE', '/api/audit/1'],
      ['PUT', '/api/audit/1'],
      ['PATCH', '/api/audit/1'],
      ['POST', '/api/audit'],
    ] as const)
      expect(
        (await admin.request(method, url, method === 'DELETE' ? undefined : {})).statusCode,
        `${method} ${url}`,
      ).toBe(404);
    const after = await h.db.selectFrom('audit_log').selectAll().orderBy('id').limit(before.length).execute();
    expect(after).toEqual(before);
  });

  it('an API token is limited to its permission subset, and a revoked token stops working', async () => {
    const created = await admin.post('/api/auth/tokens', { name: 'reader', permissions: ['people:read'] });
    const token = h.scanner.secret('API token', created.json().token, admin.lastCaptureId);
    const headers = { authorization: `Bearer ${token}` };
    expect((await h.inject({ method: 'GET', url: '/api/fixture/people', headers })).statusCode).toBe(200);
    const write = await h.inject({
      method: 'POST',
      url: '/api/fixture/people',
      headers,
      payload: { id: 'z', department: 'sales', site: 'tokyo' },
    });
    expect(write.statusCode).toBe(403);
    expect((await h.inject({ method: 'GET', url: '/api/operators', headers })).statusCode).toBe(403);
    const listed = (await admin.get('/api/auth/tokens')).json().items;
    expect(listed[0]).toMatchObject({ name: 'reader', lastUsedAt: new Date(h.clock.now()).toISOString() });
    expect(JSON.stringify(listed)).not.toContain('hash');
    expect((await admin.delete(`/api/auth/tokens/${created.json().id}`)).statusCode).toBe(200);
    expect((await h.inject({ method: 'GET', url: '/api/fixture/people', headers })).statusCode).toBe(401);
  });

  it('an unauthenticated request gets 401 everywhere', async () => {
    for (const url of [
      '/api/fixture/people',
      '/api/operators',
      '/api/audit',
      '/api/alarms',
      '/api/auth/tokens',
    ])
      expect((await h.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    expect(
      (
        await h.inject({
          method: 'GET',
          url: '/api/operators',
          headers: { authorization: 'Bearer mbn_not-a-real-token-000000' },
        })
      ).statusCode,
    ).toBe(401);
  });
});
