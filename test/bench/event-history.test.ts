// Rule: the benches' generated event history (bench/event-history.ts) is searched in the store a
// server would have — the indexes the migrations made, under the same definitions, valid and (on
// PostgreSQL) on every partition; the file back in WAL mode; the id sequence past the rows — and holds
// the rows it promises, which EventStore's search finds as plain SQL does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  DAY,
  generatePostgresHistory,
  generateSqliteHistory,
  type HistoryShape,
} from '../../bench/event-history.ts';
import { scratchDatabase } from '../../bench/scratch-database.ts';
import { chainKeys } from '../../src/server/storage/chain.ts';
import { openStore, type Store } from '../../src/server/storage/db.ts';
import { EventStore } from '../../src/server/storage/events.ts';

const SHAPE: HistoryShape = {
  events: 30_000,
  people: 50,
  doors: 20,
  t0: Date.parse('2026-08-03T00:00:00Z'),
  days: 90,
};
const KEY = chainKeys(new Uint8Array(32).fill(5)).events;
const quiet = () => {};

/** What the search over the generated rows must give: EventStore's page against plain SQL. */
async function expectSearchable(store: Store): Promise<void> {
  const count = await sql<{ n: number | string }>`SELECT count(*) AS n FROM events`.execute(store.db);
  expect(Number(count.rows[0]!.n)).toBe(SHAPE.events);
  const spread = await sql<{
    people: number | string;
    doors: number | string;
    first: number | string;
    last: number | string;
  }>`
    SELECT count(DISTINCT person_id) AS people, count(DISTINCT door) AS doors, min(at) AS first, max(at) AS last FROM events`.execute(
    store.db,
  );
  const s = spread.rows[0]!;
  expect([Number(s.people), Number(s.doors)]).toEqual([SHAPE.people, SHAPE.doors]);
  expect(Number(s.first)).toBe(SHAPE.t0);
  expect(Number(s.last)).toBeLessThan(SHAPE.t0 + SHAPE.days * DAY);
  const from = SHAPE.t0 + 40 * DAY;
  const until = from + 7 * DAY;
  const expected = await sql<{ id: number | string }>`
    SELECT id FROM events WHERE person_id = 'person-7' AND at >= ${from} AND at < ${until} ORDER BY at, id LIMIT 100`.execute(
    store.db,
  );
  const page = await new EventStore(store.db, KEY).search({ personId: 'person-7', from, until, limit: 100 });
  expect(page.items.length).toBeGreaterThan(10);
  expect(page.items.map((e) => e.id)).toEqual(expected.rows.map((r) => Number(r.id)));
}

describe('the generated event history on SQLite', () => {
  it('keeps the schema’s indexes and WAL mode, and is searched as stored events are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monban-history-'));
    try {
      const file = join(dir, 'events.db');
      await (await openStore({ sqliteFile: file })).close();
      const indexes = () => {
        const db = new BetterSqlite3(file, { readonly: true });
        try {
          return db
            .prepare(
              `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name`,
            )
            .all();
        } finally {
          db.close();
        }
      };
      const before = indexes();
      expect(before.length).toBeGreaterThanOrEqual(4);
      generateSqliteHistory(file, SHAPE, quiet, 'test');
      expect(indexes()).toEqual(before);
      const store = await openStore({ sqliteFile: file });
      try {
        const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(store.db);
        expect(mode.rows[0]!.journal_mode).toBe('wal');
        await expectSearchable(store);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const PG_URL = process.env.MONBAN_TEST_DATABASE_URL;
describe.skipIf(!PG_URL)('the generated event history on PostgreSQL', () => {
  it('keeps the schema’s indexes, valid on every partition, moves the id sequence past the rows, and is searched as stored events are', async () => {
    const scratch = await scratchDatabase(PG_URL!);
    try {
      const store = await openStore({ postgresUrl: scratch.url });
      try {
        const indexes = async () =>
          (
            await sql<{ def: string; valid: boolean; parts: number | string }>`
              SELECT pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid,
                (SELECT count(*) FROM pg_inherits h WHERE h.inhparent = i.indexrelid) AS parts
              FROM pg_index i WHERE i.indrelid = 'events'::regclass ORDER BY 1`.execute(store.db)
          ).rows.map((r) => ({ ...r, parts: Number(r.parts) }));
        const before = await indexes();
        expect(before.length).toBeGreaterThanOrEqual(4);
        await generatePostgresHistory(scratch.url, SHAPE, quiet, 'test');
        const partitions = await sql<{ n: number | string }>`
          SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'events'::regclass`.execute(store.db);
        const after = await indexes();
        // The same definitions, each valid and attached on every partition (the months added too).
        expect(after.map((i) => i.def)).toEqual(before.map((i) => i.def));
        for (const index of after)
          expect(index).toMatchObject({ valid: true, parts: Number(partitions.rows[0]!.n) });
        const next = await sql<{ id: number | string }>`SELECT nextval('event_ids') AS id`.execute(store.db);
        expect(Number(next.rows[0]!.id)).toBeGreaterThan(SHAPE.events);
        await expectSearchable(store);
      } finally {
        await store.close();
      }
    } finally {
      await scratch.drop();
    }
  });
});
