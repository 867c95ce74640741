// Rule: the people API validates at the boundary. Bad input answers 400 naming the field and the
// reason, and changes nothing; conflicts answer 409, missing records 404, each with a stable code.
// Pages are stable: walking a list with its cursor never repeats or skips a record, even while
// records are added.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './support.ts';

describe('people API', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
    await api.post('admin', '/api/groups', { id: 'staff', name: 'Staff' });
  });
  afterAll(() => api.close());

  it('creates, reads, changes and deletes a person, and reports each write', async () => {
    const created = await api.post('admin', '/api/people', {
      id: 'E-0001',
      name: '山田 太郎',
      department: '営業部',
      site: 'tokyo',
      groups: ['staff'],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'E-0001',
      name: '山田 太郎',
      active: true,
      groups: ['staff'],
    });
    expect((await api.get('admin', '/api/people/E-0001')).json().department).toBe('営業部');

    api.now += 60_000;
    const left = await api.patch('admin', '/api/people/E-0001', { active: false });
    expect(left.json()).toMatchObject({
      active: false,
      leftAt: new Date(api.now).toISOString(),
      groups: ['staff'],
    });
    const back = await api.patch('admin', '/api/people/E-0001', { active: true, groups: [] });
    expect(back.json()).toMatchObject({ active: true, leftAt: null, groups: [] });

    expect((await api.delete('admin', '/api/people/E-0001')).statusCode).toBe(204);
    const gone = await api.get('admin', '/api/people/E-0001');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('PERSON_NOT_FOUND');
    // Each write raised the typed events of what it changed, in order.
    expect(api.eventsAbout('E-0001')).toEqual([
      'person.created',
      'person.left',
      'person.returned',
      'person.groups.changed',
      'person.deleted',
    ]);
  });

  it.each([
    ['a missing name', { id: 'x1' }, 'body.name'],
    ['an empty name', { id: 'x1', name: '   ' }, 'body.name'],
    ['an id with a space', { id: 'a b', name: 'n' }, 'body.id'],
    ['a number for a name', { id: 'x1', name: 42 }, 'body.name'],
    ['an unknown field', { id: 'x1', name: 'n', pinHash: 'abc' }, 'body.pinHash'],
    ['a group listed twice', { id: 'x1', name: 'n', groups: ['staff', 'staff'] }, 'body.groups'],
    ['a control character', { id: 'x1', name: 'a\u0007b' }, 'body.name'],
    ['a too long department', { id: 'x1', name: 'n', department: 'd'.repeat(65) }, 'body.department'],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_what, body, field) => {
    const before = await api.snapshot();
    const response = await api.post('admin', '/api/people', body);
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.issues[0].reason.length).toBeGreaterThan(3);
    expect(await api.snapshot()).toBe(before);
  });

  it('names the unknown reference and writes nothing of the person', async () => {
    const before = await api.snapshot();
    const response = await api.post('admin', '/api/people', {
      id: 'x2',
      name: 'n',
      groups: ['staff', 'ghosts'],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'UNKNOWN_REFERENCE', field: 'body.groups[1]' });
    expect(await api.snapshot()).toBe(before);
  });

  it('answers 409 for a duplicate id, 400 for malformed JSON and bad queries', async () => {
    expect((await api.post('admin', '/api/people', { id: 'dup', name: 'first' })).statusCode).toBe(201);
    const duplicate = await api.post('admin', '/api/people', { id: 'dup', name: 'second' });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().error.code).toBe('PERSON_EXISTS');
    expect((await api.get('admin', '/api/people/dup')).json().name).toBe('first');

    const malformed = await api.request('admin', 'POST', '/api/people', '{"id": "x3", "name": ', {
      'content-type': 'application/json',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('INVALID_JSON');
    const limit = await api.get('admin', '/api/people?limit=5000');
    expect(limit.statusCode).toBe(400);
    expect(limit.json().error.field).toBe('query.limit');
    const cursor = await api.get('admin', '/api/people?cursor=not-a-cursor');
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().error).toMatchObject({ code: 'INVALID_CURSOR', field: 'query.cursor' });
    const patchId = await api.patch('admin', '/api/people/dup', { id: 'other' });
    expect(patchId.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'body.id' });
    expect((await api.patch('admin', '/api/people/nobody-here', { name: 'x' })).statusCode).toBe(404);
  });

  it('pages stably: no record repeated or skipped while others are added', async () => {
    for (let i = 0; i < 30; i++)
      await api.post('admin', '/api/people', { id: `pg-${String(i * 2).padStart(3, '0')}`, name: `P ${i}` });
    const seen: string[] = [];
    let next: string | null = null;
    let round = 0;
    do {
      const url: string = `/api/people?limit=7${next ? `&cursor=${encodeURIComponent(next)}` : ''}`;
      const page = (await api.get('admin', url)).json();
      seen.push(...page.items.map((p: { id: string }) => p.id));
      next = page.next;
      // Between pages someone adds people before and after the cursor.
      await api.post('admin', '/api/people', {
        id: `pg-${String(round * 2 + 1).padStart(3, '0')}x`,
        name: 'new',
      });
      round++;
    } while (next);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(seen);
    const original = Array.from({ length: 30 }, (_, i) => `pg-${String(i * 2).padStart(3, '0')}`);
    for (const id of original) expect(seen).toContain(id);
  });

  it('filters by department, site, group and active', async () => {
    await api.post('admin', '/api/people', {
      id: 'f1',
      name: 'F1',
      department: 'lab',
      site: 'osaka',
      groups: ['staff'],
    });
    await api.post('admin', '/api/people', {
      id: 'f2',
      name: 'F2',
      department: 'lab',
      site: 'tokyo',
      active: false,
    });
    const ids = async (query: string) =>
      (await api.get('admin', `/api/people?${query}`)).json().items.map((p: { id: string }) => p.id);
    expect(await ids('department=lab')).toEqual(['f1', 'f2']);
    expect(await ids('department=lab&site=tokyo')).toEqual(['f2']);
    expect(await ids('group=staff')).toEqual(['f1']);
    expect(await ids('department=lab&active=false')).toEqual(['f2']);
  });
});
