// The event store at scale (issue 11 §4):
// - each chain head remembers the highest sequence stored for its controller, so a batch of new
//   events (the normal case) is known to be new without looking its sequences up;
// - retention purges are recorded, each under the event chain key, so verifying the chain tells
//   positions removed by retention from positions deleted by someone else (event-store-retention.ts);
// - on PostgreSQL the table is partitioned by month of `at` (event-partitions.ts), so retention
//   drops whole months at the cost of a DROP TABLE. A partitioned table can only hold unique indexes
//   that include the partition key, so (controller, sequence) is no longer a unique index there:
//   exactly-once ingest is decided under the lock on the controller's chain head (events.ts), which
//   every append takes first, on both engines.

import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db.ts';
import { DEFAULT_PARTITION, monthOf, partitionDdl } from '../event-partitions.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema.alterTable('event_chain_heads').addColumn('max_seq', 'bigint').execute();
  await db.schema
    .createTable('event_purges')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('controller_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('from_index', 'bigint', (c) => c.notNull())
    .addColumn('to_index', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('before_at', 'bigint', (c) => c.notNull())
    .addColumn('purged_at', 'bigint', (c) => c.notNull())
    .addColumn('mac', 'varchar(64)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_purges_controller').on('event_purges').column('controller_id').execute();

  // SQLite keeps its table; its (door, at) index came with the reports (2026_12_02_1355), and every
  // SQLite index ends with the rowid (events.id), so each is ordered as search pages are.
  if (dialect === 'sqlite') return;

  // PostgreSQL: rebuild `events` as a table partitioned by month, moving the rows over.
  await sql`ALTER TABLE events RENAME TO events_unpartitioned`.execute(db);
  await sql`CREATE SEQUENCE event_ids`.execute(db);
  await sql`SELECT setval('event_ids', GREATEST((SELECT max(id) FROM events_unpartitioned), 0) + 1, false)`.execute(
    db,
  );
  await sql`
    CREATE TABLE events (
      id bigint NOT NULL DEFAULT nextval('event_ids'),
      controller_id varchar(64) NOT NULL,
      seq bigint NOT NULL,
      at bigint NOT NULL,
      type varchar(32) NOT NULL,
      door varchar(64),
      area varchar(64),
      person_id varchar(64),
      detail text NOT NULL,
      chain_index bigint,
      mac varchar(64)
    ) PARTITION BY RANGE (at)`.execute(db);
  await sql`ALTER SEQUENCE event_ids OWNED BY events.id`.execute(db);

  // A partition for every month that holds events, and for this month and the next.
  const months = await sql<{ month: number }>`
    SELECT DISTINCT (EXTRACT(YEAR FROM to_timestamp(at / 1000.0) AT TIME ZONE 'UTC') * 12
      + EXTRACT(MONTH FROM to_timestamp(at / 1000.0) AT TIME ZONE 'UTC') - 1)::int AS month
    FROM events_unpartitioned`.execute(db);
  const now = monthOf(Date.now());
  const wanted = new Set([...months.rows.map((r) => Number(r.month)), now, now + 1]);
  for (const month of [...wanted].sort((a, b) => a - b)) await sql.raw(partitionDdl(month)).execute(db);
  // Rows of no month partition (a clock far off): kept, until their month's partition is made.
  await sql.raw(`CREATE TABLE ${DEFAULT_PARTITION} PARTITION OF events DEFAULT`).execute(db);
  await sql`
    INSERT INTO events (id, controller_id, seq, at, type, door, area, person_id, detail, chain_index, mac)
    SELECT id, controller_id, seq, at, type, door, area, person_id, detail, chain_index, mac
    FROM events_unpartitioned`.execute(db);
  await sql`DROP TABLE events_unpartitioned`.execute(db);

  // The indexes, under the names the old table's had (dropped with it), built once the rows are in.
  // Indexes on the parent are made on every partition, now and later. Search pages are ordered by
  // (at, id), so each search index ends with both.
  await sql`CREATE INDEX events_at ON events (at, id)`.execute(db);
  await sql`CREATE INDEX events_person_at ON events (person_id, at, id)`.execute(db);
  await sql`CREATE INDEX events_door_at ON events (door, at, id)`.execute(db);
  await sql`CREATE INDEX events_controller_seq ON events (controller_id, seq)`.execute(db);
  await sql`CREATE INDEX events_chain_position ON events (controller_id, chain_index)`.execute(db);
}
