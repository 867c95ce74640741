// Rule: a scoped operator grants only what lies inside their scope. An operator held to sites may
// give a person (directly, or through a group) only access levels whose doors are all at those sites;
// an admin-only server-room level at another site is refused with 403 OUT_OF_SCOPE and nothing
// changes, through the API and CSV alike. Keeping or removing a level an admin granted is allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './support.ts';

describe('what a scoped operator may grant', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
    const ok = async (url: string, body: unknown) =>
      expect((await api.post('admin', url, body)).statusCode, url).toBe(201);
    await ok('/api/sites', { id: 'tokyo', name: 'Tokyo' });
    await ok('/api/sites', { id: 'osaka', name: 'Osaka' });
    await ok('/api/areas', { id: 'tokyo-lobby', name: 'Tokyo lobby', parentId: 'outside', site: 'tokyo' });
    await ok('/api/areas', { id: 'osaka-dc', name: 'Osaka server room', parentId: 'outside', site: 'osaka' });
    await ok('/api/doors', { id: 'tokyo-front', name: 'front', fromArea: 'outside', toArea: 'tokyo-lobby' });
    await ok('/api/doors', { id: 'osaka-dc-door', name: 'dc', fromArea: 'outside', toArea: 'osaka-dc' });
    await ok('/api/access-levels', { id: 'tokyo-staff', name: 'Tokyo staff', doors: ['tokyo-front'] });
    await ok('/api/access-levels', {
      id: 'osaka-dc',
      name: 'Osaka DC (admins only)',
      doors: ['osaka-dc-door'],
    });
    await ok('/api/groups', { id: 'tokyo', name: 'Tokyo', levels: ['tokyo-staff'] });
    await ok('/api/groups', { id: 'dc-admins', name: 'DC admins', levels: ['osaka-dc', 'tokyo-staff'] });
    await ok('/api/people', { id: 'p1', name: 'Tokyo person', department: 'sales', site: 'tokyo' });
  });
  afterAll(() => api.close());

  const person = async () => (await api.get('admin', '/api/people/p1')).json();

  it('refuses a level or group with doors at another site, and changes nothing', async () => {
    const level = await api.patch('tokyoOp', '/api/people/p1', { levels: ['osaka-dc'] });
    expect(level.statusCode).toBe(403);
    expect(level.json().error).toMatchObject({ code: 'OUT_OF_SCOPE', field: 'body.levels' });
    const group = await api.patch('tokyoOp', '/api/people/p1', { groups: ['dc-admins'] });
    expect(group.statusCode).toBe(403);
    expect(group.json().error.field).toBe('body.groups');
    const create = await api.post('tokyoOp', '/api/people', {
      id: 'p2',
      name: 'new',
      site: 'tokyo',
      levels: ['osaka-dc'],
    });
    expect(create.statusCode).toBe(403);
    expect((await api.get('admin', '/api/people/p2')).statusCode).toBe(404);
    expect(await person()).toMatchObject({ levels: [], groups: [] });
  });

  it('allows levels and groups inside the scope, and keeping what an admin granted', async () => {
    expect(
      (await api.patch('tokyoOp', '/api/people/p1', { levels: ['tokyo-staff'], groups: ['tokyo'] }))
        .statusCode,
    ).toBe(200);
    expect(
      (await api.patch('admin', '/api/people/p1', { levels: ['tokyo-staff', 'osaka-dc'] })).statusCode,
    ).toBe(200);
    expect(
      (await api.patch('tokyoOp', '/api/people/p1', { name: 'renamed', levels: ['osaka-dc', 'tokyo-staff'] }))
        .statusCode,
    ).toBe(200);
    expect((await api.patch('tokyoOp', '/api/people/p1', { levels: ['tokyo-staff'] })).statusCode).toBe(200);
    expect(
      (await api.patch('tokyoOp', '/api/people/p1', { levels: ['tokyo-staff', 'osaka-dc'] })).statusCode,
    ).toBe(403);
  });

  it('refuses the same through a CSV import, naming the row and column', async () => {
    const csv = 'id,name,site,levels\r\np3,CSV person,tokyo,osaka-dc\r\n';
    const response = await api.request('tokyoOp', 'POST', '/api/csv/people', csv, {
      'content-type': 'text/csv',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.rows).toEqual([
      expect.objectContaining({
        row: 2,
        column: 'levels',
        reason: expect.stringContaining('outside your scope'),
      }),
    ]);
    expect((await api.get('admin', '/api/people/p3')).statusCode).toBe(404);
  });
});
