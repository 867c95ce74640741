// Rule: every state-changing request made with a session cookie must carry that session's CSRF token
// (X-CSRF-Token); without it, or with another session's token, the answer is 403 and nothing changes.
// API tokens (Authorization: Bearer) are not sent by browsers on their own, so they need none.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.ts';

describe('CSRF protection', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses a state-changing request without the token, and nothing changes', async () => {
    const { agent } = await h.loggedInAdmin();
    const before = await h.db.selectFrom('operators').select('id').execute();
    const forged = await agent.post(
      '/api/operators',
      { username: 'evil', role: 'admin', password: 'Kx9#mQ2$vL7!pR4z' },
      { csrf: false },
    );
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error.code).toBe('CSRF_TOKEN_INVALID');
    expect(await h.db.selectFrom('operators').select('id').execute()).toEqual(before);

    const people = h.people.length;
    const other = await agent.post(
      '/api/fixture/people',
      { id: 'x', department: 'sales', site: 'tokyo' },
      { csrf: false },
    );
    expect(other.statusCode).toBe(403);
    expect(h.people).toHaveLength(people);
    expect((await agent.delete('/api/fixture/people/p-lab-osaka', { csrf: false })).statusCode).toBe(403);
    expect(h.people).toHaveLength(people);
  });

  it("refuses another session's token", async () => {
    const { agent } = await h.loggedInAdmin('admin1');
    const { agent: other } = await h.loggedInAdmin('admin2');
    agent.csrfToken = other.csrfToken;
    const response = await agent.post('/api/fixture/people', { id: 'x', department: 'sales', site: 'tokyo' });
    expect(response.statusCode).toBe(403);
    expect(h.people.find((p) => p.id === 'x')).toBeUndefined();
  });

  it('accepts the right token; reads need none; logout needs one too', async () => {
    const { agent } = await h.loggedInAdmin();
    expect((await agent.get('/api/fixture/people')).statusCode).toBe(200);
    expect(
      (await agent.post('/api/fixture/people', { id: 'ok', department: 'sales', site: 'tokyo' })).statusCode,
    ).toBe(201);
    expect((await agent.post('/api/auth/logout', {}, { csrf: false })).statusCode).toBe(403);
    expect((await agent.get('/api/auth/session')).statusCode).toBe(200);
  });

  it('the token changes with the session id, and the old one stops working', async () => {
    const { agent, password, totpSecret } = await h.loggedInAdmin();
    const oldToken = agent.csrfToken;
    await agent.login('admin', password);
    await agent.post('/api/auth/login/totp', { code: await h.totp(totpSecret) });
    expect(agent.csrfToken).not.toBe(oldToken);
    agent.csrfToken = oldToken;
    expect(
      (await agent.post('/api/fixture/people', { id: 'y', department: 'sales', site: 'tokyo' })).statusCode,
    ).toBe(403);
  });

  it('needs no CSRF token with an API token', async () => {
    const { agent } = await h.loggedInAdmin();
    const created = await agent.post('/api/auth/tokens', {
      name: 'hr-sync',
      permissions: ['people:write', 'people:read'],
    });
    expect(created.statusCode).toBe(201);
    const token = h.scanner.secret('API token', created.json().token, agent.lastCaptureId);
    const response = await h.inject({
      method: 'POST',
      url: '/api/fixture/people',
      headers: { authorization: `Bearer ${token}` },
      payload: { id: 'via-token', department: 'sales', site: 'tokyo' },
    });
    expect(response.statusCode).toBe(201);
  });
});
