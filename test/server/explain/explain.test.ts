// Rule: "who can pass this door" answers with the core's own decision and trace for every person in
// the caller's scope (granted, or the first rule that failed), by the policy the door's controller
// gets; and a preview of an access-level or schedule change lists who would gain and who would lose
// access — changing nothing, publishing nothing, refusing an invalid change as saving it would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from '../api/support.ts';

interface Item {
  personId: string;
  result: string;
  reason: string;
  credential: string | null;
  needsOthers: boolean;
  trace: { rule: string; result: string; detail?: string }[];
}

describe('explain: who can pass, and the preview of a rule change', () => {
  let api: Api;
  const ok = async (response: Promise<{ statusCode: number; body: string }>, status = 201) => {
    const r = await response;
    expect(r.statusCode, r.body).toBe(status);
    return JSON.parse(r.body || 'null');
  };

  beforeAll(async () => {
    api = await startApi(); // T0 = 2026-04-01T00:00Z: Wednesday 09:00 in Tokyo
    await ok(api.post('admin', '/api/areas', { id: 'office', name: 'Office' }));
    await ok(api.post('admin', '/api/areas', { id: 'vault', name: 'Vault', parentId: 'office' }));
    await ok(api.post('admin', '/api/controllers', { id: 'ctl-1', name: 'Controller 1' }));
    await ok(
      api.post('admin', '/api/doors', {
        id: 'D1',
        name: 'Office door',
        fromArea: 'outside',
        toArea: 'office',
        controllerId: 'ctl-1',
      }),
    );
    await ok(
      api.post('admin', '/api/doors', {
        id: 'D2',
        name: 'Vault door',
        fromArea: 'office',
        toArea: 'vault',
        controllerId: 'ctl-1',
        mode: 'card+pin',
      }),
    );
    await ok(
      api.post('admin', '/api/doors', {
        id: 'D3',
        name: 'Loose door',
        fromArea: 'outside',
        toArea: 'office',
      }),
    );
    await ok(
      api.post('admin', '/api/schedules', {
        id: 'weekdays',
        name: 'Weekdays',
        weekly: {
          mon: ['09:00-18:00'],
          tue: ['09:00-18:00'],
          wed: ['09:00-18:00'],
          thu: ['09:00-18:00'],
          fri: ['09:00-18:00'],
        },
      }),
    );
    await ok(
      api.post('admin', '/api/schedules', {
        id: 'evenings',
        name: 'Evenings',
        weekly: { wed: ['18:00-22:00'] },
      }),
    );
    await ok(
      api.post('admin', '/api/access-levels', {
        id: 'office-day',
        name: 'Office by day',
        scheduleId: 'weekdays',
        doors: ['D1'],
      }),
    );
    await ok(api.post('admin', '/api/access-levels', { id: 'vault', name: 'Vault', doors: ['D2'] }));
    const people: [string, string, string[], boolean][] = [
      ['A', 'sales', ['office-day'], true],
      ['B', 'lab', ['vault', 'office-day'], true],
      ['C', 'sales', [], true],
      ['D', 'sales', ['office-day'], false],
      ['E', 'sales', ['office-day'], true],
      ['F', 'sales', ['office-day'], true],
    ];
    for (const [id, department, levels, active] of people)
      await ok(api.post('admin', '/api/people', { id, name: `Person ${id}`, department, levels, active }));
    for (const id of ['A', 'C', 'D', 'F'])
      await ok(
        api.post('admin', '/api/credentials', {
          id: `c-${id}`,
          personId: id,
          type: 'card',
          identifier: `C-${id}`,
        }),
      );
    await ok(
      api.post('admin', '/api/credentials', {
        id: 'c-B',
        personId: 'B',
        type: 'card',
        identifier: 'C-B',
        pin: '4071',
      }),
    );
    await ok(api.patch('admin', '/api/credentials/c-F', { state: 'suspended' }), 200);
  });
  afterAll(() => api.close());

  const access = async (who: Parameters<Api['get']>[0], url: string) => {
    const r = await api.get(who, url);
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as {
      counts: Record<string, number>;
      items: Item[];
      next: string | null;
      controllerId: string | null;
    };
  };
  const byId = (items: Item[]) => Object.fromEntries(items.map((i) => [i.personId, i]));

  it('answers each person with the decision and trace of the core', async () => {
    const answer = await access('admin', '/api/doors/D1/access');
    expect(answer.controllerId).toBe('ctl-1');
    expect(answer.counts).toEqual({ grant: 2, deny: 4, needsOthers: 0 });
    const items = byId(answer.items);
    expect(items.A).toMatchObject({ result: 'grant', reason: 'granted', credential: 'card:C-A' });
    expect(items.A!.trace).toContainEqual({ rule: 'access_level', result: 'pass', detail: 'office-day' });
    expect(items.B).toMatchObject({ result: 'grant', credential: 'card:C-B' });
    // No level names the door: the core says so after the credential and person passed.
    expect(items.C).toMatchObject({ result: 'deny', reason: 'no_access', credential: 'card:C-C' });
    expect(items.C!.trace.at(-1)).toEqual({ rule: 'access_level', result: 'fail' });
    expect(items.D).toMatchObject({ result: 'deny', reason: 'person_inactive' });
    expect(items.E).toMatchObject({ result: 'deny', reason: 'no_credential', credential: null });
    expect(items.F).toMatchObject({ result: 'deny', reason: 'credential_inactive' });
    expect(items.F!.trace[0]).toEqual({ rule: 'credential_state', result: 'fail', detail: 'suspended' });
  });

  it('decides a card+PIN door with the card’s PIN, at the instant asked, and never shows a PIN', async () => {
    const vault = byId((await access('admin', '/api/doors/D2/access')).items);
    expect(vault.B).toMatchObject({ result: 'grant' });
    expect(vault.B!.trace).toContainEqual({ rule: 'factors', result: 'pass', detail: 'card+pin' });
    const night = byId(
      (await access('admin', `/api/doors/D1/access?at=${encodeURIComponent('2026-04-01T20:00:00+09:00')}`))
        .items,
    );
    expect(night.A).toMatchObject({ result: 'deny', reason: 'outside_schedule' });
    const body = JSON.stringify((await api.get('admin', '/api/doors/D2/access')).json());
    expect(body).not.toContain('4071');
    // A door no controller drives lets nobody in.
    const loose = await access('admin', '/api/doors/D3/access');
    expect(loose).toMatchObject({ controllerId: null, counts: { grant: 0, deny: 6 } });
  });

  it('filters, pages and keeps to the caller’s scope and permissions', async () => {
    const granted = await access('admin', '/api/doors/D1/access?result=grant');
    expect(granted.items.map((i) => i.personId)).toEqual(['A', 'B']);
    const first = await access('admin', '/api/doors/D1/access?limit=4');
    expect(first.items.map((i) => i.personId)).toEqual(['A', 'B', 'C', 'D']);
    const second = await access('admin', `/api/doors/D1/access?limit=4&cursor=${first.next}`);
    expect(second.items.map((i) => i.personId)).toEqual(['E', 'F']);
    expect(second.next).toBeNull();
    const sales = await access('salesOp', '/api/doors/D1/access');
    expect(sales.items.map((i) => i.personId)).toEqual(['A', 'C', 'D', 'E', 'F']);
    expect((await api.get('salesOp', '/api/doors/D1/access?person=B')).statusCode).toBe(404);
    expect((await api.get('nobody', '/api/doors/D1/access')).statusCode).toBe(401);
    expect((await api.get('maintainer', '/api/doors/D1/access')).statusCode).toBe(403);
    expect((await api.get('admin', '/api/doors/nope/access')).json().error.code).toBe('DOOR_NOT_FOUND');
    expect((await api.get('admin', '/api/doors/D1/access?at=tomorrow')).statusCode).toBe(400);
  });

  it('previews who gains and who loses access, changing and publishing nothing', async () => {
    const before = await api.snapshot();
    const published = api.events.length;
    // The office level moves from weekdays to evenings: nobody can come in by day, but on Wednesday
    // evening they can.
    const preview = await ok(
      api.post('admin', '/api/explain/preview', {
        resource: 'access_level',
        id: 'office-day',
        patch: { scheduleId: 'evenings' },
      }),
      200,
    );
    expect(preview.doors).toEqual(['D1']);
    expect(preview.gain.map((p: { personId: string }) => p.personId)).toEqual(['A', 'B']);
    expect(preview.lose.map((p: { personId: string }) => p.personId)).toEqual(['A', 'B']);
    expect(preview.gain[0]).toMatchObject({ doors: ['D1'], at: '2026-04-01T09:00:00.000Z' });
    // The vault level (no schedule) also opens the office door: B, who holds it, gains the office
    // at night; A does not hold it and gains nothing.
    const widen = await ok(
      api.post('admin', '/api/explain/preview', {
        resource: 'access_level',
        id: 'vault',
        patch: { doors: ['D2', 'D1'] },
      }),
      200,
    );
    expect(widen.gain).toEqual([
      { personId: 'B', name: 'Person B', doors: ['D1'], at: '2026-04-01T09:00:00.000Z' },
    ]);
    expect(widen.counts).toMatchObject({ gain: 1, lose: 0 });
    const removed = await ok(
      api.post('admin', '/api/explain/preview', {
        resource: 'access_level',
        id: 'office-day',
        patch: { doors: [] },
      }),
      200,
    );
    expect(removed.lose.map((p: { personId: string }) => p.personId)).toEqual(['A', 'B']);
    expect(removed.gain).toEqual([]);
    // A schedule change: weekdays shortened to end at noon; those with the level lose the afternoons.
    const shorter = await ok(
      api.post('admin', '/api/explain/preview', {
        resource: 'schedule',
        id: 'weekdays',
        patch: {
          weekly: {
            mon: ['09:00-12:00'],
            tue: ['09:00-12:00'],
            wed: ['09:00-12:00'],
            thu: ['09:00-12:00'],
            fri: ['09:00-12:00'],
          },
        },
      }),
      200,
    );
    expect(shorter.lose.map((p: { personId: string }) => p.personId)).toEqual(['A', 'B']);
    expect(shorter.lose[0].at).toBe('2026-04-01T03:00:00.000Z'); // Wednesday 12:00 in Tokyo
    // Scope: a sales operator sees only their people.
    const scoped = await ok(
      api.post('salesOp', '/api/explain/preview', {
        resource: 'access_level',
        id: 'office-day',
        patch: { doors: [] },
      }),
      403,
    );
    expect(scoped.error.code).toBe('FORBIDDEN'); // operators do not change the site model
    // An invalid change answers as saving it would; nothing was changed or published.
    const bad = await api.post('admin', '/api/explain/preview', {
      resource: 'access_level',
      id: 'office-day',
      patch: { doors: ['nope'] },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      (await api.post('admin', '/api/explain/preview', { resource: 'door', id: 'D1', patch: {} })).statusCode,
    ).toBe(400);
    expect(await api.snapshot()).toBe(before);
    expect(api.events.length).toBe(published);
  });

  it('follows a saved change at once', async () => {
    await ok(api.patch('admin', '/api/access-levels/office-day', { doors: [] }), 200);
    const answer = await access('admin', '/api/doors/D1/access');
    expect(answer.counts.grant).toBe(0);
  });
});
