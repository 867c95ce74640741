// Rule: presence history is the same whatever order the passages arrive in — batch by batch, each
// controller's own sequence, late controllers fitted in, several batches recorded together (group
// commit) — on SQLite and on PostgreSQL; a credential's last use is its latest grant; and the
// report queries that lean on the engine (UPDATE … FROM VALUES, window functions for sequence gaps,
// LIKE filters on event details) answer the same on both.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { anchorKeys } from '../../../src/server/audit/anchors.ts';
import { completeness } from '../../../src/server/reports/completeness.ts';
import { readEvents } from '../../../src/server/reports/event-export.ts';
import { recordGroupReportFacts, recordReportFacts } from '../../../src/server/reports/history.ts';
import { staysOverlapping } from '../../../src/server/reports/stays.ts';
import { reportDb } from '../../../src/server/reports/tables.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { EventStore } from '../../../src/server/storage/events.ts';
import { backends } from '../storage/backends.ts';

const KEY = new Uint8Array(32).fill(3);
const keys = anchorKeys(KEY);

async function site(store: Store) {
  const stamps = { created_at: 1, updated_at: 1 };
  const area = (id: string, parent: string) => ({
    id,
    name: id,
    parent_id: parent,
    site: null,
    max_occupancy: null,
    antipassback: null,
    offline_mode: 'local',
    rules: null,
    ...stamps,
  });
  await store.db
    .insertInto('areas')
    .values([area('lobby', 'outside')])
    .execute();
  await store.db
    .insertInto('areas')
    .values([area('room', 'lobby')])
    .execute();
  const door = (id: string, from: string, to: string) => ({
    id,
    name: id,
    from_area: from,
    to_area: to,
    controller_id: null,
    mode: 'card',
    strike_seconds: 5,
    held_open_seconds: 30,
    rules: null,
    ...stamps,
  });
  await store.db
    .insertInto('doors')
    .values([door('gate', 'outside', 'lobby'), door('room-door', 'lobby', 'room')])
    .execute();
}

const grant = (
  seq: number,
  at: number,
  person: string,
  door: string,
  side: 'in' | 'out',
): ControllerEvent => ({
  seq,
  at,
  type: 'access',
  door,
  person,
  detail: { result: 'grant', reason: 'granted', side, credentialId: `${person}-card` },
});

/** A person's day: in at the gate, into the room and out, out at the gate — n times. */
function dayOf(person: string, start: number, visits: number, seq: { next: number }): ControllerEvent[] {
  const out: ControllerEvent[] = [];
  const steps = [
    ['gate', 'in'],
    ['room-door', 'in'],
    ['room-door', 'out'],
    ['gate', 'out'],
  ] as const;
  for (let i = 0; i < visits; i++)
    for (const [door, side] of steps)
      out.push(grant(seq.next, start + seq.next++ * 60_000, person, door, side));
  return out;
}

async function history(store: Store) {
  return (
    await reportDb(store.db)
      .selectFrom('presence_history')
      .select(['person_id', 'area', 'entered_at', 'entered_door', 'left_at', 'left_door'])
      .orderBy('person_id')
      .orderBy('entered_at')
      .execute()
  ).map((r) => ({
    ...r,
    entered_at: Number(r.entered_at),
    left_at: r.left_at === null ? null : Number(r.left_at),
  }));
}

for (const backend of backends)
  describe(`presence history on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      await site(store);
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('records stays in order, fits late passages in, and keeps each credential’s last use', async () => {
      const seq = { next: 1 };
      const events = [...dayOf('alice', 1_000_000, 2, seq), ...dayOf('bob', 1_000_000, 1, seq)];
      // Deliver bob's first, then alice's second visit, then (late) alice's first visit.
      const aliceFirst = events.slice(0, 4);
      const aliceSecond = events.slice(4, 8);
      const bob = events.slice(8);
      await store.db.transaction().execute((tx) => recordReportFacts(tx, 'c1', bob));
      await store.db.transaction().execute((tx) => recordReportFacts(tx, 'c1', aliceSecond));
      await store.db.transaction().execute((tx) => recordReportFacts(tx, 'c1', aliceFirst));
      const rows = await history(store);
      // Stays outside are kept too (a passage reported late must know where the person went next).
      expect(
        rows.filter((r) => r.person_id === 'alice' && r.area === 'outside').map((r) => r.entered_at),
      ).toEqual([events[3]!.at, events[7]!.at]);
      const alice = rows.filter((r) => r.person_id === 'alice' && r.area !== 'outside');
      expect(alice.map((r) => [r.area, r.entered_at, r.left_at])).toEqual([
        ['lobby', events[0]!.at, events[1]!.at],
        ['room', events[1]!.at, events[2]!.at],
        ['lobby', events[2]!.at, events[3]!.at],
        ['lobby', events[4]!.at, events[5]!.at],
        ['room', events[5]!.at, events[6]!.at],
        ['lobby', events[6]!.at, events[7]!.at],
      ]);
      expect(alice[3]).toMatchObject({ entered_door: 'gate', left_door: 'room-door' });
      const uses = await reportDb(store.db)
        .selectFrom('credential_last_use')
        .selectAll()
        .orderBy('credential_id')
        .execute();
      expect(uses.map((u) => [u.credential_id, Number(u.last_used_at)])).toEqual([
        ['alice-card', events[7]!.at],
        ['bob-card', events[11]!.at],
      ]);
      // The room with everything inside it, over alice's second visit.
      const stays = await staysOverlapping(
        reportDb(store.db),
        new Set(['lobby', 'room']),
        events[5]!.at,
        events[6]!.at,
      );
      expect(stays.filter((s) => s.person === 'alice').map((s) => [s.areas, s.enteredAt, s.leftAt])).toEqual([
        [['lobby', 'room', 'lobby'], events[4]!.at, events[7]!.at],
      ]);
    });

    it('finds sequence gaps and chain breaks, and filters event details', async () => {
      const events = new EventStore(store.db, keys.events);
      const at0 = 5_000_000;
      await events.append(
        Array.from({ length: 30 }, (_, i) => ({
          controllerId: 'c9',
          seq: i + 1,
          at: at0 + i * 1000,
          type: 'access',
          door: 'gate',
          personId: 'alice',
          detail: {
            result: i % 3 === 0 ? 'deny' : 'grant',
            reason: i % 3 === 0 ? 'wrong_pin' : 'granted',
            side: 'in',
          },
        })),
      );
      const db = reportDb(store.db);
      const sound = await completeness(db, { ...keys, anchorFile: undefined }, ['c9'], at0, at0 + 30_000);
      expect(sound.complete).toBe(true);
      expect(sound.controllers[0]).toMatchObject({ events: 30, gaps: [], firstSeq: 1, lastSeq: 30 });
      await store.db
        .deleteFrom('events')
        .where('controller_id', '=', 'c9')
        .where('seq', 'in', [10, 11])
        .execute();
      const broken = await completeness(db, { ...keys, anchorFile: undefined }, ['c9'], at0, at0 + 30_000);
      expect(broken.complete).toBe(false);
      expect(broken.controllers[0]!.gaps).toEqual([{ from: 10, to: 11 }]);
      expect(broken.controllers[0]!.chain.problems).toEqual([{ from: 10, to: 11, problem: 'missing' }]);
      const denied = await readEvents(
        db,
        { reason: 'wrong_pin', controller: 'c9', scope: 'all' },
        undefined,
        100,
      );
      expect(denied.items.map((e) => e.seq)).toEqual([1, 4, 7, 13, 16, 19, 22, 25, 28]);
      // LIKE wildcards in a value are taken literally.
      expect((await readEvents(db, { reason: 'wrong%pin', scope: 'all' }, undefined, 100)).items).toEqual([]);
      expect((await readEvents(db, { reason: 'wrong_pi_', scope: 'all' }, undefined, 100)).items).toEqual([]);
    });
  });

describe('presence history, in any order of delivery', () => {
  const sqlite = backends[0]!;
  let inOrder: Awaited<ReturnType<typeof sqlite.open>>;
  let shuffled: Awaited<ReturnType<typeof sqlite.open>>;
  beforeAll(async () => {
    inOrder = await sqlite.open();
    shuffled = await sqlite.open();
    await site(inOrder.store);
    await site(shuffled.store);
  });
  afterAll(async () => {
    for (const s of [inOrder, shuffled]) {
      await s.store.close();
      await s.cleanup();
    }
  });

  it('is the same as when every passage arrived in time order (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { minLength: 24, maxLength: 24 }),
        fc.integer({ min: 1, max: 5 }),
        // batches recorded together, as ingest's group commit does with several controllers' batches
        fc.integer({ min: 1, max: 3 }),
        async (visits, order, batchSize, groupSize) => {
          // Each run has people of its own, in the same two stores.
          const prefix = `r${run++}-`;
          const seq = { next: 1 };
          const events = visits.flatMap((n, i) => dayOf(`${prefix}p${i}`, 1_000_000 + i * 7_000, n, seq));
          const sorted = [...events].sort((a, b) => a.at - b.at);
          await inOrder.store.db.transaction().execute((tx) => recordReportFacts(tx, 'c1', sorted));
          const mixed = events
            .map((e, i) => ({ e, k: order[i % order.length]! }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.e);
          const batches: { controllerId: string; events: ControllerEvent[] }[] = [];
          for (let i = 0; i < mixed.length; i += batchSize)
            batches.push({ controllerId: `c${batches.length % 3}`, events: mixed.slice(i, i + batchSize) });
          for (let i = 0; i < batches.length; i += groupSize)
            await shuffled.store.db
              .transaction()
              .execute((tx) => recordGroupReportFacts(tx, batches.slice(i, i + groupSize)));
          const mine = (rows: Awaited<ReturnType<typeof history>>) =>
            rows.filter((r) => r.person_id.startsWith(prefix));
          expect(mine(await history(shuffled.store))).toEqual(mine(await history(inOrder.store)));
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
