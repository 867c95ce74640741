// Rule: PINs are write-only. They are accepted on create and change, stored only as keyed hashes,
// and never appear in a response, an error, a change notification or a database row. Credential
// states, validity windows and use counts are validated at the boundary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './support.ts';

const PIN = '739155';
const DURESS = '739166';
const PIN_ONLY = '48213579';

describe('credentials API', () => {
  let api: Api;
  const bodies: string[] = [];
  const record = async <T extends { body: string }>(p: Promise<T>): Promise<T> => {
    const r = await p;
    bodies.push(r.body);
    return r;
  };
  beforeAll(async () => {
    api = await startApi();
    await api.post('admin', '/api/people', { id: 'p1', name: 'Alice', department: 'sales' });
    await api.post('admin', '/api/people', { id: 'p2', name: 'Bob', department: 'sales' });
  });
  afterAll(async () => {
    for (const body of bodies) {
      expect(body).not.toContain(PIN);
      expect(body).not.toContain(DURESS);
      expect(body).not.toContain(PIN_ONLY);
    }
    expect(JSON.stringify(api.events)).not.toMatch(new RegExp(`${PIN}|${DURESS}|${PIN_ONLY}`));
    const rows = JSON.stringify(await api.store.db.selectFrom('credentials').selectAll().execute());
    expect(rows).not.toMatch(new RegExp(`${PIN}|${DURESS}|${PIN_ONLY}`));
    await api.close();
  });

  it('issues a card with a PIN and never shows the PIN', async () => {
    const created = await record(
      api.post('admin', '/api/credentials', {
        id: 'card-1',
        personId: 'p1',
        type: 'card',
        identifier: 'C-1001',
        pin: PIN,
        duressPin: DURESS,
        validFrom: '2026-04-01T09:00:00+09:00',
        validUntil: '2027-03-31T18:00:00+09:00',
        maxUses: 100,
        label: '社員証',
      }),
    );
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({
      id: 'card-1',
      personId: 'p1',
      type: 'card',
      identifier: 'C-1001',
      hasPin: true,
      hasDuressPin: true,
      state: 'active',
      validFrom: '2026-04-01T00:00:00.000Z',
      validUntil: '2027-03-31T09:00:00.000Z',
      maxUses: 100,
      uses: 0,
      label: '社員証',
      createdAt: new Date(api.now).toISOString(),
      updatedAt: new Date(api.now).toISOString(),
    });
    expect(await api.repos.credentials.verifyPin('card-1', PIN)).toBe('ok');
    expect(await api.repos.credentials.verifyPin('card-1', DURESS)).toBe('duress');
  });

  it('issues a PIN-only credential with a generated id; its PIN is its identity and stays hidden', async () => {
    const created = await record(
      api.post('admin', '/api/credentials', { personId: 'p2', type: 'pin', pin: PIN_ONLY }),
    );
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ type: 'pin', identifier: null, hasPin: true });
    expect(created.json().id).toMatch(/^[0-9a-f-]{36}$/);
    const again = await record(
      api.post('admin', '/api/credentials', { personId: 'p1', type: 'pin', pin: PIN_ONLY }),
    );
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'CREDENTIAL_IDENTIFIER_TAKEN', field: 'body.pin' });
    expect((await record(api.get('admin', `/api/credentials/${created.json().id}`))).json().hasPin).toBe(
      true,
    );
  });

  it.each([
    ['a short PIN', { personId: 'p1', type: 'card', identifier: 'C-2', pin: '12' }, 'body.pin'],
    ['letters in a PIN', { personId: 'p1', type: 'card', identifier: 'C-2', pin: `${PIN}a` }, 'body.pin'],
    ['a PIN credential without PIN', { personId: 'p1', type: 'pin' }, 'body.pin'],
    ['a card without identifier', { personId: 'p1', type: 'card' }, 'body.identifier'],
    ['an unknown type', { personId: 'p1', type: 'retina', identifier: 'R' }, 'body.type'],
    ['an unknown state', { personId: 'p1', type: 'key', identifier: 'K', state: 'broken' }, 'body.state'],
    [
      'a duress PIN equal to the PIN',
      { personId: 'p1', type: 'card', identifier: 'C-2', pin: PIN, duressPin: PIN },
      'body.duressPin',
    ],
    [
      'validUntil before validFrom',
      {
        personId: 'p1',
        type: 'key',
        identifier: 'K',
        validFrom: '2026-05-01T00:00:00Z',
        validUntil: '2026-04-01T00:00:00Z',
      },
      'body.validUntil',
    ],
    [
      'a time without zone',
      { personId: 'p1', type: 'key', identifier: 'K', validFrom: '2026-05-01 09:00' },
      'body.validFrom',
    ],
    ['zero maxUses', { personId: 'p1', type: 'key', identifier: 'K', maxUses: 0 }, 'body.maxUses'],
    ['a stored hash', { personId: 'p1', type: 'key', identifier: 'K', pinHash: 'ab' }, 'body.pinHash'],
  ])(
    'refuses %s with 400 naming the field; no PIN in the answer; nothing written',
    async (_what, body, field) => {
      const before = await api.snapshot();
      const response = await record(api.post('admin', '/api/credentials', body));
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ code: 'INVALID_INPUT', field });
      expect(await api.snapshot()).toBe(before);
    },
  );

  it('suspends, marks lost, revokes and changes the PIN', async () => {
    for (const state of ['suspended', 'lost', 'revoked', 'active'] as const) {
      const changed = await record(api.patch('admin', '/api/credentials/card-1', { state }));
      expect(changed.json().state).toBe(state);
    }
    const newPin = '550011';
    expect((await record(api.patch('admin', '/api/credentials/card-1', { pin: newPin }))).statusCode).toBe(
      200,
    );
    expect(await api.repos.credentials.verifyPin('card-1', newPin)).toBe('ok');
    expect(await api.repos.credentials.verifyPin('card-1', PIN)).toBe('wrong');
    const removed = await record(api.patch('admin', '/api/credentials/card-1', { pin: null }));
    expect(removed.json().hasPin).toBe(false);
    const window = await record(
      api.patch('admin', '/api/credentials/card-1', { validUntil: '2026-01-01T00:00:00Z' }),
    );
    expect(window.statusCode).toBe(400);
    expect(window.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'body.validUntil' });
  });

  it('answers 409 for a card number already held', async () => {
    const taken = await record(
      api.post('admin', '/api/credentials', { personId: 'p2', type: 'card', identifier: 'C-1001' }),
    );
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('CREDENTIAL_IDENTIFIER_TAKEN');
  });

  it('lists by person, type and state', async () => {
    const list = await record(api.get('admin', '/api/credentials?personId=p1&type=card&state=active'));
    expect(list.json().items.map((c: { id: string }) => c.id)).toEqual(['card-1']);
    expect((await record(api.get('admin', '/api/credentials?state=gone'))).statusCode).toBe(400);
  });
});
