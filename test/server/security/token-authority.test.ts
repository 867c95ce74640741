// Rule: an API token never carries more than its creator has now. It is checked against the
// operator's current role, scope and state on every use; demoting, re-scoping, disabling or resetting
// the password of an operator revokes their tokens (and ends their sessions), each audited.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, type Harness, startHarness, strongPassword } from './support/harness.ts';

describe('API tokens follow their creator', () => {
  let h: Harness;
  let chief: Agent;
  let deputy: Agent;
  let deputyId: string;
  beforeEach(async () => {
    h = await startHarness();
    ({ agent: chief } = await h.loggedInAdmin('chief'));
    const d = await h.loggedInAdmin('deputy');
    deputy = d.agent;
    deputyId = d.operator.id;
  });
  afterEach(async () => {
    await h.close();
  });

  async function deputyToken(permissions = ['operators:write', 'operators:read', 'people:read']) {
    const created = await deputy.post('/api/auth/tokens', { name: 'automation', permissions });
    expect(created.statusCode).toBe(201);
    return h.scanner.secret('deputy token', created.json().token, deputy.lastCaptureId);
  }

  function withToken(token: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
    return h.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
    });
  }

  it('a demoted admin’s token stops working at once, and the revocation is audited', async () => {
    const token = await deputyToken();
    expect((await withToken(token, 'GET', '/api/operators')).statusCode).toBe(200);
    const demote = await chief.patch(`/api/operators/${deputyId}`, {
      role: 'operator',
      scope: { departments: ['sales'], sites: [] },
    });
    expect(demote.statusCode).toBe(200);
    const attempt = await withToken(token, 'POST', '/api/operators', {
      username: 'mallory',
      role: 'admin',
      password: strongPassword(),
    });
    expect(attempt.statusCode).toBe(401);
    expect(
      (await chief.get('/api/operators')).json().items.map((o: { username: string }) => o.username),
    ).not.toContain('mallory');
    const audit = (await chief.get('/api/audit?action=token.revoke')).json().items;
    expect(audit).toHaveLength(1);
    expect(audit[0].detail).toMatchObject({ reason: 'role_changed', operatorId: deputyId });
  });

  it('a token is held to the current role even when the role changed behind the server’s back', async () => {
    const token = await deputyToken();
    await sql`UPDATE operators SET role = 'auditor' WHERE id = ${deputyId}`.execute(h.db);
    expect((await withToken(token, 'GET', '/api/operators')).statusCode).toBe(401);
    const create = await withToken(token, 'POST', '/api/operators', {
      username: 'mallory',
      role: 'admin',
      password: strongPassword(),
    });
    expect(create.statusCode).toBe(401);
  });

  for (const [reason, change] of [
    ['disabled', (a: Agent, id: string) => a.patch(`/api/operators/${id}`, { disabled: true })],
    [
      'password_reset',
      (a: Agent, id: string) => a.post(`/api/operators/${id}/recover`, { newPassword: strongPassword() }),
    ],
  ] as const) {
    it(`${reason.replace('_', ' ')} revokes the tokens, audited, and they stay revoked`, async () => {
      const token = await deputyToken(['people:read']);
      expect((await withToken(token, 'GET', '/api/people')).statusCode).toBe(200);
      expect(((await change(chief, deputyId)) as { statusCode: number }).statusCode).toBe(200);
      // even once the account is back, the old token is gone
      await sql`UPDATE operators SET disabled = 0 WHERE id = ${deputyId}`.execute(h.db);
      expect((await withToken(token, 'GET', '/api/people')).statusCode).toBe(401);
      const audit = (await chief.get('/api/audit?action=token.revoke')).json().items;
      expect(audit.map((r: { detail: { reason: string } }) => r.detail.reason)).toEqual([reason]);
    });
  }
});
