// Rule: the event store at scale keeps its promises on every backend — each (controller, sequence)
// stored once however batches arrive (in order, with gaps filled late, resent, or under a head that
// never knew its highest sequence), text stored exactly as chained, events of any month stored (on
// PostgreSQL in its month's partition, or the default one until that month's partition is made), and
// retention removing old events without the chain reporting them as deleted — while a deletion
// retention did not record is still reported.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { inTransaction, type Store } from '../../../src/server/storage/db.ts';
import {
  DEFAULT_PARTITION,
  eventPartitions,
  monthOf,
  partitionName,
} from '../../../src/server/storage/event-partitions.ts';
import { purgeEventsBefore } from '../../../src/server/storage/event-store-retention.ts';
import { EventStore, type StoredEvent } from '../../../src/server/storage/events.ts';
import { backends } from './backends.ts';

const KEY = chainKeys(new Uint8Array(32).fill(3)).events;
const JAN = Date.parse('2026-01-10T00:00:00Z');
const FEB = Date.parse('2026-02-10T00:00:00Z');
const MAR = Date.parse('2026-03-10T00:00:00Z');
const FAR = Date.parse('2031-07-01T12:00:00Z');

const event = (
  controllerId: string,
  seq: number,
  at: number,
  extra: Partial<StoredEvent> = {},
): StoredEvent => ({
  controllerId,
  seq,
  at,
  type: 'access',
  door: `door-${seq % 3}`,
  personId: `p-${seq % 5}`,
  detail: { result: 'grant', seq },
  ...extra,
});

const run = (from: number, to: number, controllerId: string, at: (seq: number) => number) =>
  Array.from({ length: to - from + 1 }, (_, i) => event(controllerId, from + i, at(from + i)));

describe.each(backends)('event store at scale on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let events: EventStore;

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
    events = new EventStore(store.db, KEY);
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('stores each sequence once: in order, gaps filled late, resent, and under a head that lost its highest sequence', async () => {
    expect(await events.append(run(1, 10, 'c-order', (s) => JAN + s))).toBe(10);
    expect(await events.append(run(20, 30, 'c-order', (s) => JAN + s))).toBe(11);
    // The gap arrives late (below the highest sequence stored): looked up, stored.
    expect(await events.append(run(5, 25, 'c-order', (s) => JAN + s))).toBe(9);
    expect(await events.append(run(1, 30, 'c-order', (s) => JAN + s))).toBe(0);
    // A head from before heads remembered their highest sequence.
    await store.db
      .updateTable('event_chain_heads')
      .set({ max_seq: null })
      .where('controller_id', '=', 'c-order')
      .execute();
    expect(await events.append(run(28, 31, 'c-order', (s) => JAN + s))).toBe(1);
    const stored = await store.db
      .selectFrom('events')
      .select('seq')
      .where('controller_id', '=', 'c-order')
      .orderBy('seq')
      .execute();
    expect(stored.map((r) => Number(r.seq))).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    const [verdict] = (await events.verify()).filter((v) => v.chain === 'events:c-order');
    expect(verdict).toMatchObject({ records: 31, head: 31, spans: [] });
  });

  it('stores text exactly as it chained it, and finds events by person and by door in a time range', async () => {
    const odd: StoredEvent[] = [
      event('c-text', 1, JAN, {
        door: 'ドア🚪',
        personId: 'p-"quoted"',
        detail: { nul: 'a\u0000b', lone: 'x\ud800', emoji: '🔑' },
      }),
      event('c-text', 2, JAN + 1, {
        door: 'door-\\back',
        area: "it's",
        detail: { nested: { deep: ['\n', '\t'] } },
      }),
    ];
    expect(await events.append(odd)).toBe(2);
    const [verdict] = (await events.verify()).filter((v) => v.chain === 'events:c-text');
    expect(verdict?.spans).toEqual([]);
    const byDoor = await events.search({ door: 'ドア🚪', from: JAN, until: JAN + 10 });
    expect(byDoor.items.map((e) => e.detail)).toEqual([{ nul: 'a\u0000b', lone: 'x\ud800', emoji: '🔑' }]);
    const byPerson = await events.search({ personId: 'p-"quoted"', from: JAN - 1, until: JAN + 1 });
    expect(byPerson.items).toHaveLength(1);
    expect((await events.search({ door: 'door-\\back', from: JAN + 2, until: JAN + 10 })).items).toHaveLength(
      0,
    );
  });

  it('stores events of any month; on PostgreSQL each in its month partition, made when first needed', async () => {
    expect(
      await events.append([event('c-month', 1, FEB), event('c-month', 2, MAR), event('c-month', 3, FAR)]),
    ).toBe(3);
    expect((await events.search({ personId: 'p-3', from: FAR - 1, until: FAR + 1 })).items).toHaveLength(1);
    if (store.dialect !== 'postgres') return;
    const names = (await eventPartitions(store.db)).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining([partitionName(monthOf(FEB)), partitionName(monthOf(FAR))]));
    const inFar = await sql<{
      n: number;
    }>`${sql.raw(`SELECT count(*)::int AS n FROM ${partitionName(monthOf(FAR))}`)}`.execute(store.db);
    expect(inFar.rows[0]?.n).toBe(1);
  });

  it('keeps an event stored inside a caller’s transaction in the default partition until its month is made, then moves it', async () => {
    const far2 = Date.parse('2032-03-03T00:00:00Z');
    await inTransaction(store.db, (tx) =>
      new EventStore(tx as unknown as Store['db'], KEY).append([event('c-late', 1, far2)]),
    );
    if (store.dialect === 'postgres') {
      const inDefault = await sql<{
        n: number;
      }>`${sql.raw(`SELECT count(*)::int AS n FROM ${DEFAULT_PARTITION}`)}`.execute(store.db);
      expect(inDefault.rows[0]?.n).toBe(1);
    }
    // The next batch of that month, stored the usual way, makes the partition and moves the first in.
    expect(await events.append([event('c-late', 2, far2 + 1)])).toBe(1);
    if (store.dialect === 'postgres') {
      const inDefault = await sql<{
        n: number;
      }>`${sql.raw(`SELECT count(*)::int AS n FROM ${DEFAULT_PARTITION}`)}`.execute(store.db);
      expect(inDefault.rows[0]?.n).toBe(0);
      const inMonth = await sql<{
        n: number;
      }>`${sql.raw(`SELECT count(*)::int AS n FROM ${partitionName(monthOf(far2))}`)}`.execute(store.db);
      expect(inMonth.rows[0]?.n).toBe(2);
    }
    expect((await events.search({ personId: 'p-1', from: far2, until: far2 + 10 })).items).toHaveLength(1);
    const [verdict] = (await events.verify()).filter((v) => v.chain === 'events:c-late');
    expect(verdict).toMatchObject({ records: 2, spans: [] });
  });

  it('purges old events cheaply, and the chain does not call them deleted; a deletion it did not record still shows', async () => {
    // Two months of one controller, chained across the month boundary.
    expect(await events.append(run(1, 50, 'c-ret', (s) => (s <= 30 ? JAN : FEB) + s))).toBe(50);
    const checkpoint = (await events.heads()).get('c-ret')!;
    const purged = await purgeEventsBefore(store.db, KEY, Date.parse('2026-02-01T00:00:00Z'), Date.now());
    expect(purged.removed).toBeGreaterThanOrEqual(30);
    if (store.dialect === 'postgres') expect(purged.droppedPartitions).toContain(partitionName(monthOf(JAN)));
    const left = await store.db
      .selectFrom('events')
      .select('seq')
      .where('controller_id', '=', 'c-ret')
      .execute();
    expect(left.map((r) => Number(r.seq)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 31),
    );
    const verdictOf = async () =>
      (await events.verify(new Map([['c-ret', checkpoint]]))).find((v) => v.chain === 'events:c-ret')!;
    expect((await verdictOf()).spans).toEqual([]);
    // Someone deletes a newer event by hand: reported, retention or not.
    await store.db.deleteFrom('events').where('controller_id', '=', 'c-ret').where('seq', '=', 40).execute();
    expect((await verdictOf()).spans.map((s) => [s.problem, s.from, s.to])).toEqual([['missing', 40, 40]]);
    // A purge record forged without the key excuses nothing.
    await store.db
      .insertInto('event_purges')
      .values({
        id: 'forged',
        controller_id: 'c-ret',
        from_index: 40,
        to_index: 40,
        count: 1,
        before_at: 0,
        purged_at: 0,
        mac: '0'.repeat(64),
      })
      .execute();
    expect((await verdictOf()).spans.map((s) => s.problem)).toEqual(['missing']);
  });
});
