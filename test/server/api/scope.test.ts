// Rule: roles are enforced on every endpoint of the data API, and an operator can neither read nor
// change anything outside the departments/sites they are given. Lists leave such records out;
// single records answer 404, exactly as if they did not exist; writes that would create a person
// outside the scope, or move one out of it, answer 403 OUT_OF_SCOPE and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../../src/server/api/routes.ts';
import { type Api, startApi } from './support.ts';

describe('roles and scope on the data API', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
    for (const [id, department, site] of [
      ['s-tokyo', 'sales', 'tokyo'],
      ['s-osaka', 'sales', 'osaka'],
      ['l-tokyo', 'lab', 'tokyo'],
      ['l-osaka', 'lab', 'osaka'],
    ] as const) {
      expect((await api.post('admin', '/api/people', { id, name: id, department, site })).statusCode).toBe(
        201,
      );
      expect(
        (
          await api.post('admin', '/api/credentials', {
            id: `c-${id}`,
            personId: id,
            type: 'card',
            identifier: `CARD-${id}`,
          })
        ).statusCode,
      ).toBe(201);
    }
    await api.repos.events.append([
      { controllerId: 'ctl', seq: 1, at: api.now, type: 'access', personId: 's-tokyo', detail: {} },
      { controllerId: 'ctl', seq: 2, at: api.now, type: 'access', personId: 'l-osaka', detail: {} },
      {
        controllerId: 'ctl',
        seq: 3,
        at: api.now,
        type: 'alarm',
        door: 'D1',
        detail: { alarm: 'forced_open' },
      },
    ]);
  });
  afterAll(() => api.close());

  const ids = (r: { json(): { items: { id: string }[] } }) => r.json().items.map((i) => i.id);

  it('lists only what is inside the scope', async () => {
    expect(ids(await api.get('salesOp', '/api/people'))).toEqual(['s-osaka', 's-tokyo']);
    expect(ids(await api.get('tokyoOp', '/api/people'))).toEqual(['l-tokyo', 's-tokyo']);
    expect(ids(await api.get('salesOp', '/api/credentials'))).toEqual(['c-s-osaka', 'c-s-tokyo']);
    // Filtering for someone outside the scope finds nothing, rather than an error that confirms them.
    expect(ids(await api.get('salesOp', '/api/credentials?personId=l-osaka'))).toEqual([]);
    const events = (await api.get('salesOp', '/api/events')).json().items;
    expect(events.map((e: { personId: string | null; alarm: string }) => e.personId ?? e.alarm)).toEqual([
      's-tokyo',
      'forced_open',
    ]);
    const csv = (await api.get('salesOp', '/api/csv/people')).body;
    expect(csv).toContain('s-tokyo');
    expect(csv).not.toContain('l-osaka');
  });

  it('answers 404 for records outside the scope, as for records that do not exist', async () => {
    for (const url of ['/api/people/l-osaka', '/api/credentials/c-l-osaka']) {
      const outside = await api.get('salesOp', url);
      const missing = await api.get('salesOp', `${url}-nothing`);
      expect(outside.statusCode).toBe(404);
      expect(outside.json().error.code).toBe(missing.json().error.code);
    }
  });

  it('refuses every write outside the scope and changes nothing', async () => {
    const before = await api.snapshot();
    const attempts = [
      api.patch('salesOp', '/api/people/l-osaka', { name: 'renamed' }),
      api.delete('salesOp', '/api/people/l-osaka'),
      api.patch('salesOp', '/api/credentials/c-l-osaka', { state: 'revoked' }),
      api.delete('salesOp', '/api/credentials/c-l-osaka'),
    ];
    for (const response of await Promise.all(attempts)) expect(response.statusCode).toBe(404);
    const create = await api.post('salesOp', '/api/people', { id: 'new-lab', name: 'n', department: 'lab' });
    expect(create.statusCode).toBe(403);
    expect(create.json().error).toMatchObject({ code: 'OUT_OF_SCOPE', field: 'body.department' });
    const noDepartment = await api.post('salesOp', '/api/people', { id: 'new-none', name: 'n' });
    expect(noDepartment.json().error.code).toBe('OUT_OF_SCOPE');
    const moveOut = await api.patch('salesOp', '/api/people/s-tokyo', { department: 'lab' });
    expect(moveOut.statusCode).toBe(403);
    const issue = await api.post('salesOp', '/api/credentials', {
      personId: 'l-osaka',
      type: 'card',
      identifier: 'X-1',
    });
    expect(issue.statusCode).toBe(400);
    expect(issue.json().error).toMatchObject({ code: 'UNKNOWN_REFERENCE', field: 'body.personId' });
    const csv = await api.request(
      'salesOp',
      'POST',
      '/api/csv/people',
      'id,name,department\r\nl-osaka,x,lab\r\n',
      {
        'content-type': 'text/csv',
      },
    );
    expect(csv.statusCode).toBe(400);
    expect(await api.snapshot()).toBe(before);
    // Inside the scope the same operator may work.
    expect((await api.patch('salesOp', '/api/people/s-osaka', { name: 'ok' })).statusCode).toBe(200);
  });

  it('enforces roles: 401 without a principal, 403 without the permission', async () => {
    const nobody = await api.get('nobody', '/api/people');
    expect(nobody.statusCode).toBe(401);
    expect(nobody.json().error.code).toBe('UNAUTHENTICATED');
    // Authentication comes before validation: a stranger learns nothing from a 400.
    expect((await api.post('nobody', '/api/people', { bad: true })).statusCode).toBe(401);
    const auditorWrite = await api.post('auditor', '/api/people', { id: 'a', name: 'a' });
    expect(auditorWrite.statusCode).toBe(403);
    expect(auditorWrite.json().error.code).toBe('FORBIDDEN');
    expect((await api.get('auditor', '/api/people')).statusCode).toBe(200);
    expect((await api.get('maintainer', '/api/people')).statusCode).toBe(403);
    expect((await api.post('maintainer', '/api/controllers', { id: 'ctl-9', name: 'C9' })).statusCode).toBe(
      201,
    );
    expect(
      (
        await api.post('salesOp', '/api/doors', {
          id: 'D9',
          name: 'x',
          fromArea: 'outside',
          toArea: 'outside',
        })
      ).statusCode,
    ).toBe(403);
    expect((await api.get('readToken', '/api/people')).statusCode).toBe(200);
    expect((await api.get('readToken', '/api/credentials')).statusCode).toBe(403);
    expect((await api.get('nobody', '/api/health')).statusCode).toBe(200);
  });

  it('guards every route but health, sign-in, the key-link opening and the phone’s mobile-key calls with a permission', () => {
    // A key link's token is its own credential: the guest who opens it has no account (docs/keys.md).
    // A phone registers with its invitation token and then signs each request with its device key
    // (docs/keys.md, "Mobile keys"): the people who carry them have no account either.
    // Sign-in comes before any session or token: first-admin setup (its one-time token), login,
    // whether single sign-on is offered, and its start and callback (a state bound to the browser).
    // Session rows (who am I, logout, MFA enrolment, second factors, password change) need a
    // signed-in browser session instead.
    const open = apiRoutes(api.store).filter((r) => r.permission === null && !r.endpoint.session);
    expect(open.map((r) => r.url).sort()).toEqual(
      [
        '/api/health',
        '/api/key-links/open',
        '/api/mobile/register',
        '/api/mobile/challenges',
        '/api/mobile/doors',
        '/api/mobile/open',
        // Who is calling (401 without a session or token), and logging out: any caller.
        '/api/auth/session',
        '/api/auth/logout',
        '/api/auth/setup',
        '/api/auth/login',
        '/api/auth/config',
        '/api/auth/oidc/start',
        '/api/auth/oidc/callback',
      ].sort(),
    );
    // The second factors and the password change answer the browser session at its stage.
    const session = apiRoutes(api.store).filter((r) => r.permission === null && r.endpoint.session);
    expect(session.map((r) => r.url)).toEqual(
      expect.arrayContaining([
        '/api/auth/login/totp',
        '/api/auth/login/backup-code',
        '/api/auth/login/webauthn/options',
        '/api/auth/login/webauthn/verify',
        '/api/auth/password',
      ]),
    );
    for (const r of apiRoutes(api.store))
      if (r.method !== 'GET' && r.permission !== null)
        expect(r.permission, `${r.method} ${r.url}`).toMatch(/:write$/);
  });
});
