// Rule: text is well-formed Unicode at every boundary. A lone UTF-16 surrogate anywhere in a request
// (body, query, path) is refused with a 400 before any handler or audit record sees it; identifiers
// are compared after NFKC (full-width ＥＭＰ１ is EMP1); bidirectional controls (U+202E …) are refused
// in names. The audit log stores exactly the bytes it hashed, so odd text can never break the chain.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, type Harness, startHarness } from './support/harness.ts';

describe('well-formed text at the boundary', () => {
  let h: Harness;
  let admin: Agent;
  beforeEach(async () => {
    h = await startHarness();
    ({ agent: admin } = await h.loggedInAdmin());
  });
  afterEach(async () => {
    await h.close();
  });

  it('refuses a lone surrogate in a login with 400, and the audit chain stays intact', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":"x\\ud800","password":"not the password at all"}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('INVALID_INPUT');
    await h.checkpoint();
    expect(await h.verifyChains()).toMatchObject({ ok: true, spans: [] });
  });

  it('refuses lone surrogates in nested bodies', async () => {
    const nested = await h.inject({
      method: 'POST',
      url: '/api/people',
      headers: {
        'content-type': 'application/json',
        cookie: admin.cookie!,
        'x-csrf-token': admin.csrfToken!,
      },
      payload: '{"id":"p1","name":"ok","groups":[],"levels":[],"department":"\\udfff"}',
    });
    expect(nested.statusCode).toBe(400);
    expect((await admin.get('/api/people')).json().items).toEqual([]);
  });

  it('compares ids after NFKC: a full-width id is its ASCII twin', async () => {
    expect((await admin.post('/api/people', { id: 'EMP1', name: '山田 太郎' })).statusCode).toBe(201);
    const twin = await admin.get('/api/people/ＥＭＰ１');
    expect(twin.statusCode).toBe(200);
    expect(twin.json().id).toBe('EMP1');
    const again = await admin.post('/api/people', { id: 'ＥＭＰ１', name: 'someone else' });
    expect(again.statusCode).toBe(409);
    const card = await admin.post('/api/credentials', {
      personId: 'EMP1',
      type: 'card',
      identifier: 'ＣＡＲＤ－００１',
    });
    expect(card.statusCode).toBe(201);
    expect(card.json().identifier).toBe('CARD-001');
  });

  it('refuses bidirectional controls in names and labels', async () => {
    for (const name of ['abc\u202Etxt.exe', 'x\u2066y', 'a\u200Fb']) {
      const response = await admin.post('/api/people', { id: 'EMP2', name });
      expect(response.statusCode).toBe(400);
    }
    const department = await admin.post('/api/people', {
      id: 'EMP2',
      name: 'ok',
      department: '営業\u202D部',
    });
    expect(department.statusCode).toBe(400);
    expect((await admin.post('/api/people', { id: 'EMP2', name: '鈴木 花子' })).statusCode).toBe(201);
  });
});
