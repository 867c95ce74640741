// Rule: every write to the site data raises the typed domain events of what it changed, once it is
// committed, on one bus that audit, snapshots and revocation consume alike. A credential that stops
// working carries its key (so a deleted one can still be revoked at the controllers); groups and
// levels say what they lost; a refused write raises nothing; each event is audited with its actor;
// a failing subscriber does not fail the write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../src/server/domain/events.ts';
import { type Api, startApi } from '../api/support.ts';

describe('domain events', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
    for (const [url, body] of [
      ['/api/areas', { id: 'lab', name: 'Lab' }],
      ['/api/doors', { id: 'D1', name: 'D1', fromArea: 'outside', toArea: 'lab' }],
      ['/api/doors', { id: 'D2', name: 'D2', fromArea: 'outside', toArea: 'lab' }],
      ['/api/access-levels', { id: 'lab', name: 'Lab', doors: ['D1', 'D2'] }],
      ['/api/groups', { id: 'staff', name: 'Staff', levels: ['lab'] }],
      ['/api/people', { id: 'aiko', name: 'Aiko', groups: ['staff'] }],
    ] as const)
      expect((await api.post('admin', url, body)).statusCode).toBe(201);
  });
  afterAll(() => api.close());

  const since = (n: number): DomainEvent[] => api.events.slice(n).map((p) => p.event);

  it('names a revoked, a re-keyed and a deleted credential by the key controllers know', async () => {
    await api.post('admin', '/api/credentials', {
      id: 'card',
      personId: 'aiko',
      type: 'card',
      identifier: 'C-9',
    });
    await api.post('admin', '/api/credentials', { id: 'pin', personId: 'aiko', type: 'pin', pin: '2468' });
    let n = api.events.length;
    await api.patch('admin', '/api/credentials/card', { state: 'lost' });
    expect(since(n)).toEqual([
      {
        type: 'credential.revoked',
        credential: 'card',
        person: 'aiko',
        state: 'lost',
        key: { type: 'card', identifier: 'C-9' },
      },
    ]);
    n = api.events.length;
    await api.patch('admin', '/api/credentials/card', { state: 'active', label: 'found again' });
    expect(since(n).map((e) => e.type)).toEqual(['credential.reinstated', 'credential.updated']);
    n = api.events.length;
    await api.patch('admin', '/api/credentials/pin', { pin: '1357' });
    const [rekeyed] = since(n);
    expect(rekeyed).toMatchObject({ type: 'credential.updated', fields: ['pin'] });
    // The old PIN's keyed hash, never the digits.
    const replaced = (rekeyed as Extract<DomainEvent, { type: 'credential.updated' }>).replacedKey!;
    expect(replaced.type).toBe('pin');
    expect(replaced.identifier).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(api.events)).not.toMatch(/2468|1357/);
    n = api.events.length;
    expect((await api.delete('admin', '/api/credentials/card')).statusCode).toBe(204);
    expect(since(n)).toEqual([
      {
        type: 'credential.deleted',
        credential: 'card',
        person: 'aiko',
        key: { type: 'card', identifier: 'C-9' },
      },
    ]);
  });

  it('says which levels a group and which doors a level no longer grant', async () => {
    let n = api.events.length;
    await api.patch('admin', '/api/access-levels/lab', { doors: ['D1'] });
    expect(since(n)).toEqual([
      { type: 'access_level.changed', level: 'lab', action: 'updated', doorsRemoved: ['D2'] },
    ]);
    n = api.events.length;
    await api.patch('admin', '/api/groups/staff', { levels: [] });
    expect(since(n)).toEqual([
      { type: 'group.changed', group: 'staff', action: 'updated', levelsRemoved: ['lab'] },
    ]);
    n = api.events.length;
    await api.patch('admin', '/api/people/aiko', { groups: [], name: 'Aiko T.' });
    expect(since(n)).toEqual([
      { type: 'person.updated', person: 'aiko', fields: ['name'] },
      { type: 'person.groups.changed', person: 'aiko', added: [], removed: ['staff'] },
    ]);
    n = api.events.length;
    await api.patch('admin', '/api/doors/D2', { name: 'Side door' });
    expect(since(n)).toEqual([{ type: 'site.changed', resource: 'door', id: 'D2', action: 'updated' }]);
  });

  it('raises nothing for a refused write', async () => {
    const n = api.events.length;
    expect(
      (await api.post('salesOp', '/api/people', { id: 'x', name: 'X', department: 'hr' })).statusCode,
    ).toBe(403);
    expect((await api.delete('admin', '/api/groups/nope')).statusCode).toBe(404);
    expect((await api.patch('admin', '/api/credentials/nope', { state: 'revoked' })).statusCode).toBe(404);
    expect(api.events.length).toBe(n);
  });

  it('audits each event with its actor and source, and survives a failing subscriber', async () => {
    const unsubscribe = api.server.bus.subscribe('broken', () => {
      throw new Error('subscriber down');
    });
    const created = await api.post('tokyoOp', '/api/people', { id: 'ren', name: 'Ren', site: 'tokyo' });
    unsubscribe();
    expect(created.statusCode).toBe(201);
    const rows = await api.store.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target', 'source'])
      .where('target', '=', 'person:ren')
      .execute();
    expect(rows).toEqual([
      { actor: 'op-tokyo', action: 'person.create', target: 'person:ren', source: '127.0.0.1' },
    ]);
    // The request was audited by its event: no generic `api.post` record besides.
    const generic = await api.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'api.post')
      .where('actor', '=', 'op-tokyo')
      .execute();
    expect(generic).toEqual([]);
  });
});
