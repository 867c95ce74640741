// One storage conformance suite, run on every backend: a real SQLite file always, and the local
// PostgreSQL when MONBAN_TEST_DATABASE_URL is set (CI sets it). Each backend gets a fresh database
// (a temp file, or a schema created and dropped around the run). What it holds the stores to:
// writes are all or nothing, races are settled by the database, secrets never reach a row in clear,
// scope hides what is outside it, and pages are stable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateCredentialError } from '../../../src/server/storage/credentials.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { StorageError } from '../../../src/server/storage/errors.ts';
import type { StoredEvent } from '../../../src/server/storage/events.ts';
import { type Repositories, repositories, transaction } from '../../../src/server/storage/index.ts';
import { backends } from './backends.ts';

const NOW = 1_767_571_200_000;
const KEY = new Uint8Array(32).fill(7);

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StorageError) return error;
    throw error;
  }
  throw new Error('expected a StorageError');
}

describe.each(backends)('storage conformance on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let r: Repositories;

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
    r = repositories(store.db, KEY);
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('builds the site model with references checked and named', async () => {
    expect(await r.areas.get('outside')).toMatchObject({ id: 'outside', parentId: 'outside' });
    await r.areas.create(
      {
        id: 'lobby',
        name: 'Lobby',
        parentId: 'outside',
        site: 'tokyo',
        maxOccupancy: null,
        antipassback: null,
        offlineMode: 'local',
        rules: null,
      },
      NOW,
    );
    await r.areas.create(
      {
        id: 'lab',
        name: '研究室',
        parentId: 'lobby',
        site: 'tokyo',
        maxOccupancy: 10,
        antipassback: { mode: 'hard', reentryMinutes: 5 },
        offlineMode: 'deny',
        rules: { route: { requires: 'lobby' }, fireZone: 'east' },
      },
      NOW,
    );
    await r.controllers.create({ id: 'ctl-1', name: 'Controller 1', site: 'tokyo', description: null }, NOW);
    const door = {
      id: 'D1',
      name: 'Lab door',
      fromArea: 'lobby',
      toArea: 'lab',
      controllerId: 'ctl-1',
      mode: 'card' as const,
      strikeSeconds: 5,
      heldOpenSeconds: 30,
      rules: { localAntipassback: true },
    };
    await r.doors.create(door, NOW);
    await r.holidays.create(
      {
        id: 'jp',
        name: '祝日',
        dates: [
          { date: '2026-01-01', name: '元日' },
          { date: '2026-01-12', name: '成人の日' },
        ],
      },
      NOW,
    );
    await r.schedules.create(
      {
        id: 'office',
        name: 'Office hours',
        timezone: 'Asia/Tokyo',
        weekly: { mon: ['09:00-18:00'], tue: ['09:00-12:00', '13:00-18:00'] },
        holidayCalendars: ['jp'],
      },
      NOW,
    );
    await r.accessLevels.create(
      { id: 'lab-day', name: 'Lab daytime', scheduleId: 'office', doors: ['D1'] },
      NOW,
    );
    await r.groups.create({ id: 'staff', name: 'Staff', description: null, levels: ['lab-day'] }, NOW);
    await r.groups.create({ id: 'all', name: 'Everyone', description: null, levels: [] }, NOW);
    await r.groups.create({ id: 'managers', name: 'Managers', description: null, levels: [] }, NOW);

    expect(await r.schedules.get('office')).toMatchObject({
      weekly: { tue: ['09:00-12:00', '13:00-18:00'] },
      holidayCalendars: ['jp'],
    });
    expect((await r.holidays.get('jp'))?.dates).toHaveLength(2);
    expect(await r.groups.get('staff')).toMatchObject({ levels: ['lab-day'] });
    expect(await r.areas.get('lab')).toMatchObject({
      antipassback: { mode: 'hard', reentryMinutes: 5 },
      offlineMode: 'deny',
      rules: { route: { requires: 'lobby' }, fireZone: 'east' },
    });
    expect(await r.doors.get('D1')).toMatchObject({ rules: { localAntipassback: true } });
    const badRule = await rejection(
      r.areas.update('lab', { rules: { priority: { group: 'no-such-group' } } }, NOW),
    );
    expect(badRule.field).toBe('rules.priority.group');

    const unknown = await rejection(
      r.accessLevels.create({ id: 'x', name: 'x', scheduleId: null, doors: ['D1', 'D9'] }, NOW),
    );
    expect([unknown.kind, unknown.field]).toEqual(['unknown_reference', 'doors[1]']);
    expect(await r.accessLevels.get('x')).toBeUndefined();
    const duplicate = await rejection(r.doors.create(door, NOW));
    expect([duplicate.kind, duplicate.field]).toEqual(['exists', 'id']);
    expect((await rejection(r.doors.create({ ...door, id: 'D2', toArea: 'lobby' }, NOW))).kind).toBe(
      'invalid',
    );
    expect((await rejection(r.areas.update('lobby', { parentId: 'lab' }, NOW))).field).toBe('parentId');
    expect((await rejection(r.areas.remove('outside'))).kind).toBe('protected');
    expect((await rejection(r.doors.remove('D1'))).kind).toBe('in_use');
    expect((await rejection(r.schedules.remove('office'))).kind).toBe('in_use');
    expect((await rejection(r.holidays.remove('jp'))).kind).toBe('in_use');
    expect((await rejection(r.groups.remove('nope'))).kind).toBe('not_found');

    const renamed = await r.doors.update('D1', { name: 'Lab door (north)', mode: 'card+pin' }, NOW + 5);
    expect(renamed).toMatchObject({
      name: 'Lab door (north)',
      mode: 'card+pin',
      fromArea: 'lobby',
      updatedAt: NOW + 5,
    });
    expect((await r.doors.list({ filter: { controllerId: 'ctl-1' } })).items.map((d) => d.id)).toEqual([
      'D1',
    ]);
  });

  it('creates people with groups and pages through them stably, filtered by department', async () => {
    for (let i = 0; i < 25; i++) {
      await r.people.create(
        {
          id: `p${String(i).padStart(2, '0')}`,
          name: `Person ${i}`,
          department: i % 2 ? 'sales' : 'it',
          site: 'tokyo',
          groups: i % 5 === 0 ? ['managers', 'all'] : ['all'],
        },
        NOW,
      );
    }
    expect(await r.people.get('p05')).toMatchObject({
      department: 'sales',
      groups: ['all', 'managers'],
      active: true,
      leftAt: null,
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await r.people.list({ department: 'it', limit: 4, cursor });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => `p${String(i * 2).padStart(2, '0')}`));
    expect((await rejection(r.people.list({ cursor: 'garbage!' }))).kind).toBe('invalid_cursor');
    expect(await r.people.setActive('p01', false, NOW + 1)).toBe(true);
    expect(await r.people.get('p01')).toMatchObject({ active: false, leftAt: NOW + 1 });
    expect((await r.people.list({ group: 'managers' })).items.map((p) => p.id)).toEqual([
      'p00',
      'p05',
      'p10',
      'p15',
      'p20',
    ]);
  });

  it('writes nothing when part of a write fails', async () => {
    await expect(
      r.people.create({ id: 'p00', name: 'duplicate', department: null, site: null, groups: ['all'] }, NOW),
    ).rejects.toThrow();
    expect((await r.people.get('p00'))?.name).toBe('Person 0');
    const badGroup = await rejection(
      r.people.create({ id: 'new', name: 'New', groups: ['all', 'ghosts'] }, NOW),
    );
    expect([badGroup.kind, badGroup.field]).toEqual(['unknown_reference', 'groups[1]']);
    expect(await r.people.get('new')).toBeUndefined();
    // Several repositories in one transaction: a failure at the end undoes the beginning.
    await expect(
      transaction(store.db, KEY, async (tx) => {
        await tx.people.create({ id: 'tx-1', name: 'In a transaction', groups: ['all'] }, NOW);
        await tx.credentials.create({ id: 'tx-c', personId: 'tx-1', type: 'card', identifier: 'TX-1' }, NOW);
        await tx.people.create({ id: 'p00', name: 'clash' }, NOW);
      }),
    ).rejects.toThrow();
    expect(await r.people.get('tx-1')).toBeUndefined();
    expect(await r.credentials.get('tx-c')).toBeUndefined();
    const removedGroup = await rejection(r.groups.remove('all'));
    expect(removedGroup.kind).toBe('in_use');
  });

  it('hides what is outside the scope and refuses to write outside it', async () => {
    const sales = { departments: ['sales'], sites: [] };
    const page = await r.people.list({ scope: sales, limit: 1000 });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((p) => p.department === 'sales')).toBe(true);
    expect(await r.people.get('p00', sales)).toBeUndefined();
    expect(await r.people.get('p01', sales)).toBeDefined();
    expect((await rejection(r.people.update('p00', { name: 'x' }, NOW, sales))).kind).toBe('not_found');
    expect((await rejection(r.people.update('p01', { department: 'it' }, NOW, sales))).kind).toBe(
      'out_of_scope',
    );
    expect(
      (await rejection(r.people.create({ id: 'q', name: 'q', department: 'it' }, NOW, sales))).kind,
    ).toBe('out_of_scope');
    expect(await r.people.remove('p00', sales)).toBe(false);
    expect(await r.people.get('p00')).toBeDefined();
    const noSite = { departments: [], sites: ['osaka'] };
    expect((await r.people.list({ scope: noSite })).items).toEqual([]);
  });

  it('stores PINs only as keyed hashes and checks them in constant time', async () => {
    const card = await r.credentials.create(
      { id: 'c1', personId: 'p02', type: 'card', identifier: 'C-1001', pin: '2580', duressPin: '2581' },
      NOW,
    );
    expect(card).toMatchObject({
      identifier: 'C-1001',
      hasPin: true,
      hasDuressPin: true,
      state: 'active',
      uses: 0,
    });
    expect(JSON.stringify(card)).not.toContain('2580');
    await r.credentials.create({ id: 'c2', personId: 'p04', type: 'pin', pin: '864209' }, NOW);
    const rows = await store.db.selectFrom('credentials').selectAll().execute();
    expect(JSON.stringify(rows)).not.toMatch(/2580|2581|864209/);
    expect(await r.credentials.verifyPin('c1', '2580')).toBe('ok');
    expect(await r.credentials.verifyPin('c1', '2581')).toBe('duress');
    expect(await r.credentials.verifyPin('c1', '0000')).toBe('wrong');
    expect((await r.credentials.findPresented('pin', '864209'))?.id).toBe('c2');
    expect((await r.credentials.get('c2'))?.identifier).toBeNull();
    expect(await r.credentials.findPresented('pin', '000000')).toBeUndefined();
    await expect(
      r.credentials.create({ id: 'c3', personId: 'p06', type: 'card', identifier: 'C-1001' }, NOW),
    ).rejects.toBeInstanceOf(DuplicateCredentialError);
    const takenPin = await rejection(
      r.credentials.create({ id: 'c4', personId: 'p06', type: 'pin', pin: '864209' }, NOW),
    );
    expect([takenPin.kind, takenPin.field]).toEqual(['identifier_taken', 'pin']);
    expect(takenPin.message).not.toContain('864209');
    expect(await r.credentials.setState('c1', 'lost')).toBe(true);
    expect((await r.credentials.get('c1'))?.state).toBe('lost');
    const changed = await r.credentials.update(
      'c2',
      { pin: '135790', validFrom: NOW, validUntil: NOW + 1000 },
      NOW + 1,
    );
    expect(changed).toMatchObject({ validFrom: NOW, validUntil: NOW + 1000, updatedAt: NOW + 1 });
    expect((await r.credentials.findPresented('pin', '135790'))?.id).toBe('c2');
    expect(await r.credentials.findPresented('pin', '864209')).toBeUndefined();
    expect((await rejection(r.credentials.update('c2', { validUntil: NOW - 1 }, NOW))).field).toBe(
      'validUntil',
    );
    const sales = { departments: ['sales'], sites: [] };
    expect(await r.credentials.get('c1', sales)).toBeUndefined();
    expect((await r.credentials.list({ scope: sales })).items).toEqual([]);
    const ghost = await rejection(
      r.credentials.create({ id: 'c5', personId: 'p02', type: 'card', identifier: 'C-5' }, NOW, sales),
    );
    expect([ghost.kind, ghost.field]).toEqual(['unknown_reference', 'personId']);
    expect((await r.credentials.list({ personId: 'p02' })).items.map((c) => c.id)).toEqual(['c1']);
  });

  it('never consumes more uses than allowed, even concurrently', async () => {
    await r.credentials.create(
      { id: 'k1', personId: 'p08', type: 'key', identifier: 'K-1', maxUses: 5 },
      NOW,
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, () => r.credentials.consumeCredentialUse('k1')),
    );
    expect(results.filter(Boolean)).toHaveLength(5);
    expect((await r.credentials.get('k1'))?.uses).toBe(5);
  });

  it('ingests events exactly once per controller and sequence, and searches them with stable cursors', async () => {
    const batch: StoredEvent[] = Array.from({ length: 30 }, (_, i) => ({
      controllerId: i % 2 ? 'ctl-1' : 'ctl-2',
      seq: Math.floor(i / 2) + 1,
      at: NOW + Math.floor(i / 3) * 1000,
      type: 'access',
      door: `D${i % 3}`,
      personId: i % 4 === 0 ? 'p00' : 'p01',
      detail: { result: i % 5 ? 'grant' : 'deny' },
    }));
    // Two deliveries of the same batch at once (a retry racing the original): stored once.
    const [first, second] = await Promise.all([r.events.append(batch), r.events.append(batch)]);
    expect(first + second).toBe(30);
    expect(await r.events.append(batch)).toBe(0);
    expect(await r.events.append(batch.slice(0, 3))).toBe(0);
    const found: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await r.events.search({
        personId: 'p00',
        from: NOW,
        until: NOW + 100_000,
        limit: 2,
        ...(cursor && { cursor }),
      });
      found.push(...page.items.map((e) => e.at));
      cursor = page.next;
    } while (cursor);
    expect(found).toHaveLength(batch.filter((e) => e.personId === 'p00').length);
    expect([...found].sort((a, b) => a - b)).toEqual(found);
    const d1 = await r.events.search({ door: 'D1', type: 'access', limit: 100 });
    expect(d1.items.every((e) => e.door === 'D1')).toBe(true);
    expect(d1.items[0]?.detail).toHaveProperty('result');
    // p00 is in department it: a sales operator sees p01's events and door events, not p00's.
    await r.events.append([
      { controllerId: 'ctl-1', seq: 999, at: NOW, type: 'forced_open', door: 'D1', detail: {} },
    ]);
    const scoped = await r.events.search({ scope: { departments: ['sales'], sites: [] }, limit: 1000 });
    expect(scoped.items.some((e) => e.personId === 'p00')).toBe(false);
    expect(scoped.items.some((e) => e.personId === 'p01')).toBe(true);
    expect(scoped.items.some((e) => e.type === 'forced_open')).toBe(true);
    expect((await rejection(r.events.search({ cursor: 'bm9wZQ' }))).kind).toBe('invalid_cursor');
  });

  it('ingests a large batch in one go, and a replay of it adds nothing', async () => {
    const big: StoredEvent[] = Array.from({ length: 5000 }, (_, i) => ({
      controllerId: 'ctl-big',
      seq: i + 1,
      at: NOW + i,
      type: 'access',
      detail: { n: i },
    }));
    expect(await r.events.appendEvents(big)).toBe(5000);
    expect(await r.events.appendEvents([...big.slice(4990), { ...big[0]!, seq: 5001 }])).toBe(1);
  });

  it('moves a person with compare-and-set: of two concurrent moves, exactly one wins', async () => {
    expect(await r.presence.get('p03')).toEqual({ area: 'outside', version: 0 });
    expect(await r.presence.transition('p03', 0, 'lobby')).toBe(true);
    const current = await r.presence.get('p03');
    const [a, b] = await Promise.all([
      r.presence.transition('p03', current.version, 'lab'),
      r.presence.transition('p03', current.version, 'office'),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(await r.presence.transition('p03', current.version, 'roof')).toBe(false);
    const racers = await Promise.all([
      r.presence.transition('p09', 0, 'lobby'),
      r.presence.transition('p09', 0, 'lab'),
    ]);
    expect(racers.filter(Boolean)).toHaveLength(1);
  });

  it('moves a person by expected area: anti-passback transitions race safely', async () => {
    const first = await Promise.all([
      r.presence.transitionPresence('p11', 'outside', 'lobby'),
      r.presence.transitionPresence('p11', 'outside', 'lobby'),
      r.presence.transitionPresence('p11', 'outside', 'lab'),
    ]);
    expect(first.filter(Boolean)).toHaveLength(1);
    const now = (await r.presence.get('p11')).area!;
    expect(await r.presence.transitionPresence('p11', 'outside', 'lab')).toBe(false);
    expect(await r.presence.transitionPresence('p11', now, 'outside')).toBe(true);
    expect(await r.presence.transitionPresence('p11', 'outside', 'lobby')).toBe(true);
    expect((await r.presence.get('p11')).area).toBe('lobby');
  });

  it('records passages by compare-and-set in bulk: of two writers at one version, one wins', async () => {
    const before = await r.presence.passages(['q1', 'q2']);
    expect(before.get('q1')).toEqual({
      person: 'q1',
      area: 'outside',
      version: 0,
      at: 0,
      controllerId: null,
      door: null,
    });
    const move = (person: string, area: string, at: number, expectedVersion = 0) => ({
      person,
      expectedVersion,
      area,
      at,
      controllerId: 'ctl-a',
      door: 'D1',
    });
    expect(await r.presence.recordPassages([move('q1', 'lobby', 1), move('q2', 'lab', 2)])).toEqual(
      new Set(),
    );
    // A second writer that read version 0 too loses, for the person it raced on only.
    expect(await r.presence.recordPassages([move('q1', 'lab', 3), move('q3', 'lab', 3)])).toEqual(
      new Set(['q1']),
    );
    const [a, b] = await Promise.all([
      r.presence.recordPassages([move('q2', 'roof', 4, 1)]),
      r.presence.recordPassages([move('q2', 'cellar', 5, 1)]),
    ]);
    expect(a.size + b.size).toBe(1);
    const after = await r.presence.passages(['q1', 'q2', 'q3']);
    expect(after.get('q1')).toMatchObject({
      area: 'lobby',
      version: 1,
      at: 1,
      controllerId: 'ctl-a',
      door: 'D1',
    });
    expect(after.get('q2')!.version).toBe(2);
    expect(['roof', 'cellar']).toContain(after.get('q2')!.area);
    expect(after.get('q3')).toMatchObject({ area: 'lab', version: 1 });
    // The older compare-and-set reads the same rows.
    expect(await r.presence.get('q1')).toEqual({ area: 'lobby', version: 1 });
  });
});
