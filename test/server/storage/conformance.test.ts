// One storage conformance suite, run on every backend: a real SQLite file always, and the local
// PostgreSQL when MONBAN_TEST_DATABASE_URL is set (CI sets it). Each backend gets a fresh database
// (a temp file, or a schema created and dropped around the run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore, DuplicateCredentialError } from '../../../src/server/storage/credentials.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { EventStore, type StoredEvent } from '../../../src/server/storage/events.ts';
import { PeopleStore } from '../../../src/server/storage/people.ts';
import { PresenceStore } from '../../../src/server/storage/presence.ts';

import { backends } from './backends.ts';

const NOW = 1_767_571_200_000;
const KEY = new Uint8Array(32).fill(7);

describe.each(backends)('storage conformance on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let people: PeopleStore;
  let credentials: CredentialStore;
  let events: EventStore;
  let presence: PresenceStore;

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
    people = new PeopleStore(store.db);
    credentials = new CredentialStore(store.db, KEY);
    events = new EventStore(store.db);
    presence = new PresenceStore(store.db);
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('creates people with groups and pages through them stably, filtered by department', async () => {
    for (let i = 0; i < 25; i++) {
      await people.create(
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
    expect(await people.get('p05')).toMatchObject({
      department: 'sales',
      groups: ['all', 'managers'],
      active: true,
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await people.list({ department: 'it', limit: 4, ...(cursor && { cursor }) });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.next;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => `p${String(i * 2).padStart(2, '0')}`));
    await expect(people.list({ cursor: 'garbage!' })).rejects.toThrow(/invalid cursor/);
    expect(await people.setActive('p01', false, NOW + 1)).toBe(true);
    expect((await people.get('p01'))?.active).toBe(false);
  });

  it('writes nothing when part of a creation fails', async () => {
    await expect(
      people.create({ id: 'p00', name: 'duplicate', department: null, site: null, groups: ['x'] }, NOW),
    ).rejects.toThrow();
    expect((await people.get('p00'))?.name).toBe('Person 0');
  });

  it('stores PINs only as keyed hashes and checks them in constant time', async () => {
    const card = await credentials.create(
      { id: 'c1', personId: 'p02', type: 'card', identifier: 'C-1001', pin: '2580', duressPin: '2581' },
      NOW,
    );
    expect(card).toMatchObject({ identifier: 'C-1001', hasPin: true, state: 'active', uses: 0 });
    expect(JSON.stringify(card)).not.toContain('2580');
    const rows = await store.db.selectFrom('credentials').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain('2580');
    expect(await credentials.verifyPin('c1', '2580')).toBe('ok');
    expect(await credentials.verifyPin('c1', '2581')).toBe('duress');
    expect(await credentials.verifyPin('c1', '0000')).toBe('wrong');
    await credentials.create({ id: 'c2', personId: 'p04', type: 'pin', pin: '864209' }, NOW);
    expect((await credentials.findPresented('pin', '864209'))?.id).toBe('c2');
    expect(await credentials.findPresented('pin', '000000')).toBeUndefined();
    await expect(
      credentials.create({ id: 'c3', personId: 'p06', type: 'card', identifier: 'C-1001' }, NOW),
    ).rejects.toBeInstanceOf(DuplicateCredentialError);
    expect(await credentials.setState('c1', 'lost')).toBe(true);
    expect((await credentials.get('c1'))?.state).toBe('lost');
  });

  it('never consumes more uses than allowed, even concurrently', async () => {
    await credentials.create({ id: 'k1', personId: 'p08', type: 'key', identifier: 'K-1', maxUses: 5 }, NOW);
    const results = await Promise.all(Array.from({ length: 20 }, () => credentials.consumeUse('k1')));
    expect(results.filter(Boolean)).toHaveLength(5);
    expect((await credentials.get('k1'))?.uses).toBe(5);
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
    expect(await events.append(batch)).toBe(30);
    expect(await events.append(batch)).toBe(0);
    expect(await events.append(batch.slice(0, 3))).toBe(0);
    const found: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await events.search({
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
    const d1 = await events.search({ door: 'D1', type: 'access', limit: 100 });
    expect(d1.items.every((e) => e.door === 'D1')).toBe(true);
    expect(d1.items[0]?.detail).toHaveProperty('result');
  });

  it('moves a person with compare-and-set: of two concurrent moves, exactly one wins', async () => {
    expect(await presence.get('p03')).toEqual({ area: 'outside', version: 0 });
    expect(await presence.transition('p03', 0, 'lobby')).toBe(true);
    const current = await presence.get('p03');
    const [a, b] = await Promise.all([
      presence.transition('p03', current.version, 'lab'),
      presence.transition('p03', current.version, 'office'),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(await presence.transition('p03', current.version, 'roof')).toBe(false);
    const racers = await Promise.all([
      presence.transition('p09', 0, 'lobby'),
      presence.transition('p09', 0, 'lab'),
    ]);
    expect(racers.filter(Boolean)).toHaveLength(1);
  });
});
