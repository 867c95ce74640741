// The SCIM 2.0 endpoint as Entra ID and Okta use it, through the real server (composition root,
// SQLite file, security plugin). Rules shown here:
// - /scim/v2 opens only with its dedicated token, which opens nothing under /api;
// - users become people, groups become groups with memberships, each change audited and raised as
//   the domain events that revoke and re-sync controllers;
// - the directory's personal attributes are stored sealed, not in clear;
// - bad payloads answer in SCIM's own error format and change nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleDb } from '../../../src/server/lifecycle/tables.ts';
import { type Api, startApi } from '../api/support.ts';

const SCIM = 'application/scim+json';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('SCIM 2.0 provisioning', () => {
  let api: Api;
  let token = '';

  const scim = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    bearer = token,
  ) =>
    api.app.inject({
      method,
      url: `/scim/v2${url}`,
      headers: {
        ...(bearer && { authorization: `Bearer ${bearer}` }),
        ...(body !== undefined && { 'content-type': SCIM }),
      },
      ...(body !== undefined && { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  const entraUser = (userName: string, extra: Record<string, unknown> = {}) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: `ext-${userName}`,
    userName,
    active: true,
    displayName: 'Tanaka Hanako',
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { formatted: 'Tanaka Hanako', familyName: 'Tanaka', givenName: 'Hanako' },
    [ENTERPRISE]: { department: 'sales' },
    ...extra,
  });

  beforeAll(async () => {
    api = await startApi();
    const issued = await api.post('admin', '/api/directory/scim-token', undefined);
    expect(issued.statusCode).toBe(201);
    token = issued.json().token;
  });
  afterAll(async () => {
    await api.close();
  });

  it('opens only with its own token, and the token opens nothing else', async () => {
    expect((await api.post('salesOp', '/api/directory/scim-token', undefined)).statusCode).toBe(403);
    const none = await scim('GET', '/Users', undefined, '');
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain(SCIM);
    expect(none.json()).toMatchObject({ schemas: [ERROR], status: '401' });
    // An operator session or API token is not the SCIM token.
    const asAdmin = await api.app.inject({
      method: 'GET',
      url: '/scim/v2/Users',
      headers: { 'x-test-principal': 'admin' },
    });
    expect(asAdmin.statusCode).toBe(401);
    const wrong = await scim('GET', '/Users', undefined, `mbscim_${'x'.repeat(43)}`);
    expect(wrong.statusCode).toBe(401);
    // The SCIM token under /api is an unknown API token.
    const people = await api.app.inject({
      method: 'GET',
      url: '/api/people',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(people.statusCode).toBe(401);
    const failures = await api.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'scim.auth_failed')
      .execute();
    expect(failures.length).toBeGreaterThanOrEqual(3);
  });

  it('describes itself: ServiceProviderConfig, Schemas, ResourceTypes', async () => {
    const config = (await scim('GET', '/ServiceProviderConfig')).json();
    expect(config).toMatchObject({
      patch: { supported: true },
      filter: { supported: true },
      bulk: { supported: false },
    });
    const schemas = (await scim('GET', '/Schemas')).json();
    expect(schemas.Resources.map((s: { id: string }) => s.id)).toContain(ENTERPRISE);
    const types = (await scim('GET', '/ResourceTypes')).json();
    expect(types.Resources.map((t: { id: string }) => t.id)).toEqual(['User', 'Group']);
    expect((await scim('GET', '/ResourceTypes/User')).json().endpoint).toBe('/Users');
  });

  it('provisions, updates and deprovisions a user the way Entra ID does', async () => {
    const userName = 'hanako@example.com';
    const search = `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;
    expect((await scim('GET', search)).json()).toMatchObject({ totalResults: 0, Resources: [] });

    const created = await scim('POST', '/Users', entraUser(userName));
    expect(created.statusCode).toBe(201);
    const user = created.json();
    expect(created.headers.location).toBe(user.meta.location);
    expect(user).toMatchObject({ userName, active: true, [ENTERPRISE]: { department: 'sales' } });
    const person = await api.repos.people.get(user.id);
    expect(person).toMatchObject({ name: 'Tanaka Hanako', department: 'sales', active: true });

    // Case-insensitive userName, as SCIM defines it.
    const found = (
      await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "HANAKO@example.com"`)}`)
    ).json();
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0].id).toBe(user.id);
    expect(
      (await scim('GET', `/Users?filter=${encodeURIComponent(`externalId eq "ext-${userName}"`)}`)).json()
        .totalResults,
    ).toBe(1);

    // Entra ID's PATCH: capitalised ops, a path with a value filter, "False" as a string.
    const patched = await scim('PATCH', `/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'hanako.tanaka@example.com' },
        { op: 'Replace', path: 'name.familyName', value: 'Suzuki' },
        { op: 'Add', path: `${ENTERPRISE}:department`, value: 'research' },
        { op: 'Replace', path: 'displayName', value: 'Suzuki Hanako' },
      ],
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      emails: [{ type: 'work', value: 'hanako.tanaka@example.com', primary: true }],
      name: { familyName: 'Suzuki', givenName: 'Hanako' },
      [ENTERPRISE]: { department: 'research' },
    });
    expect(await api.repos.people.get(user.id)).toMatchObject({
      name: 'Suzuki Hanako',
      department: 'research',
    });

    // Okta's PATCH: no path, an object of attributes.
    const events = api.events.length;
    const disabled = await scim('PATCH', `/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expect(disabled.json().active).toBe(false);
    expect(api.events.slice(events).map((e) => e.event.type)).toContain('person.left');
    expect((await api.repos.people.get(user.id))?.active).toBe(false);
    const back = await scim('PATCH', `/Users/${user.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', value: { active: true, 'name.givenName': 'Hana' } }],
    });
    expect(back.json()).toMatchObject({ active: true, name: { givenName: 'Hana' } });

    // PUT replaces the whole user.
    const replaced = await scim('PUT', `/Users/${user.id}`, {
      ...entraUser(userName),
      displayName: 'H. Suzuki',
      emails: [],
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().emails).toBeUndefined();
    expect((await api.repos.people.get(user.id))?.name).toBe('H. Suzuki');

    // Every change is on the audit trail with the SCIM token as the actor.
    const audited = await api.store.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('target', '=', `person:${user.id}`)
      .execute();
    expect(audited.map((r) => r.action)).toEqual(
      expect.arrayContaining(['person.create', 'person.update', 'person.leave', 'person.return']),
    );
    expect(new Set(audited.map((r) => r.actor.split(':')[0]))).toEqual(new Set(['scim']));

    expect((await scim('DELETE', `/Users/${user.id}`)).statusCode).toBe(204);
    expect(await api.repos.people.get(user.id)).toBeUndefined();
    const gone = await scim('GET', `/Users/${user.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ schemas: [ERROR], status: '404' });
    expect(api.eventsAbout(user.id)).toContain('person.deleted');
  });

  it('keeps the directory’s personal attributes sealed, found by keyed hashes', async () => {
    const userName = 'secret.person@example.com';
    const created = (
      await scim(
        'POST',
        '/Users',
        entraUser(userName, { phoneNumbers: [{ type: 'work', value: '+81-3-1234-5678' }] }),
      )
    ).json();
    const row = await lifecycleDb(api.store.db)
      .selectFrom('scim_users')
      .selectAll()
      .where('person_id', '=', created.id)
      .executeTakeFirstOrThrow();
    const stored = JSON.stringify(row);
    for (const secret of [userName, '+81-3-1234-5678', 'Hanako', `ext-${userName}`])
      expect(stored).not.toContain(secret);
    await api.store.db.selectNoFrom((eb) => eb.val(1).as('x')).execute();
    const file =
      readFileSync(join(api.dir, 'monban.db')).toString('latin1') +
      readFileSync(join(api.dir, 'monban.db-wal')).toString('latin1');
    expect(file).not.toContain('+81-3-1234-5678');
  });

  it('provisions groups and memberships, with the filters Entra ID sends', async () => {
    const a = (await scim('POST', '/Users', entraUser('a@example.com'))).json();
    const b = (await scim('POST', '/Users', entraUser('b@example.com'))).json();
    const created = await scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Lab staff',
      externalId: 'g-ext-1',
      members: [{ value: a.id }],
    });
    expect(created.statusCode).toBe(201);
    const group = created.json();
    expect(group.members.map((m: { value: string }) => m.value)).toEqual([a.id]);
    expect((await api.repos.people.get(a.id))?.groups).toEqual([group.id]);
    expect((await scim('GET', `/Users/${a.id}`)).json().groups).toEqual([
      { value: group.id, display: 'Lab staff' },
    ]);

    const byName = (
      await scim(
        'GET',
        `/Groups?filter=${encodeURIComponent('displayName eq "Lab staff"')}&excludedAttributes=members`,
      )
    ).json();
    expect(byName.totalResults).toBe(1);
    expect(byName.Resources[0].members).toBeUndefined();

    await scim('PATCH', `/Groups/${group.id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Add', path: 'members', value: [{ value: b.id }] },
        { op: 'Remove', path: `members[value eq "${a.id}"]` },
        { op: 'Replace', path: 'displayName', value: 'Lab' },
      ],
    });
    const member = (id: string) =>
      `/Groups?filter=${encodeURIComponent(`id eq "${group.id}" and members[value eq "${id}"]`)}&excludedAttributes=members`;
    expect((await scim('GET', member(b.id))).json().totalResults).toBe(1);
    expect((await scim('GET', member(a.id))).json().totalResults).toBe(0);
    expect((await api.repos.people.get(a.id))?.groups).toEqual([]);
    expect((await api.repos.groups.get(group.id))?.name).toBe('Lab');
    expect(api.eventsAbout(a.id)).toContain('person.groups.changed');

    // Removing every member with a value list, then deleting the group.
    await scim('PATCH', `/Groups/${group.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: b.id }] }],
    });
    expect((await scim('GET', `/Groups/${group.id}`)).json().members).toEqual([]);
    await scim('PATCH', `/Groups/${group.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: a.id }] }],
    });
    expect((await scim('DELETE', `/Groups/${group.id}`)).statusCode).toBe(204);
    expect(await api.repos.groups.get(group.id)).toBeUndefined();
    expect((await api.repos.people.get(a.id))?.groups).toEqual([]);
  });

  it('answers bad payloads in SCIM’s error format and changes nothing', async () => {
    const existing = (await scim('POST', '/Users', entraUser('taken@example.com'))).json();
    const before = await api.snapshot();
    const cases: [
      string,
      Promise<{ statusCode: number; json(): Record<string, unknown> }>,
      number,
      string | undefined,
    ][] = [
      ['not JSON', scim('POST', '/Users', '{"userName": '), 400, 'invalidSyntax'],
      ['no userName', scim('POST', '/Users', { schemas: [], displayName: 'x' }), 400, 'invalidValue'],
      ['userName of the wrong type', scim('POST', '/Users', { userName: 42 }), 400, 'invalidValue'],
      ['an array body', scim('POST', '/Users', [1, 2]), 400, 'invalidSyntax'],
      ['a taken userName', scim('POST', '/Users', entraUser('TAKEN@example.com')), 409, 'uniqueness'],
      [
        'an unsupported filter operator',
        scim('GET', `/Users?filter=${encodeURIComponent('userName co "a"')}`),
        400,
        'invalidFilter',
      ],
      [
        'an unterminated filter',
        scim('GET', `/Users?filter=${encodeURIComponent('userName eq "a')}`),
        400,
        'invalidFilter',
      ],
      [
        'a filter on an attribute not filterable',
        scim('GET', `/Users?filter=${encodeURIComponent('title eq "a"')}`),
        400,
        'invalidFilter',
      ],
      ['a bad count', scim('GET', '/Users?count=ten'), 400, 'invalidValue'],
      [
        'a PATCH without the PatchOp schema',
        scim('PATCH', `/Users/${existing.id}`, {
          Operations: [{ op: 'replace', path: 'active', value: false }],
        }),
        400,
        'invalidSyntax',
      ],
      [
        'an unknown op',
        scim('PATCH', `/Users/${existing.id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'move', path: 'active' }],
        }),
        400,
        'invalidSyntax',
      ],
      [
        'a PATCH that leaves a bad value',
        scim('PATCH', `/Users/${existing.id}`, {
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'active', value: 'maybe' }],
        }),
        400,
        'invalidValue',
      ],
      [
        'remove without a path',
        scim('PATCH', `/Users/${existing.id}`, { schemas: [PATCH], Operations: [{ op: 'remove' }] }),
        400,
        'noTarget',
      ],
      [
        'a member that is no user',
        scim('POST', '/Groups', { displayName: 'G', members: [{ value: 'nobody' }] }),
        400,
        'invalidValue',
      ],
      [
        'an unknown user',
        scim('PATCH', '/Users/nobody', {
          schemas: [PATCH],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        }),
        404,
        undefined,
      ],
      ['an unknown endpoint', scim('GET', '/Nope'), 404, undefined],
    ];
    for (const [what, pending, status, scimType] of cases) {
      const response = await pending;
      expect(response.statusCode, what).toBe(status);
      expect(response.json(), what).toMatchObject({
        schemas: [ERROR],
        status: String(status),
        ...(scimType && { scimType }),
      });
    }
    expect(await api.snapshot()).toBe(before);
  });
});
