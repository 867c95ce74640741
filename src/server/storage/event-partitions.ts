// PostgreSQL keeps `events` partitioned by month of `at` (UTC), one table per month named
// events_y2026m12, so retention drops a month of events with one DROP TABLE instead of deleting
// millions of rows (and the vacuum after). Partitions are made ahead: this month's and the next at
// migration, and before each batch is stored the batch's months are made sure of — in a short
// transaction of their own, never inside the storing one (a partition made there would take an
// exclusive lock on `events` while other batches hold theirs: a deadlock). Whatever still finds no
// month partition (a batch stored inside a caller's transaction, a clock far off) lands in
// events_default; making that month's partition later moves its rows out of the default first.
// SQLite has no partitions; there retention deletes (event-store-retention.ts).

import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { Executor } from './db.ts';
import type { Database } from './schema.ts';

/** Months since year 0 (UTC): year × 12 + month index. */
export function monthOf(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** The first millisecond of a month (UTC). */
export function monthStart(month: number): number {
  return Date.UTC(Math.floor(month / 12), month % 12, 1);
}

export function partitionName(month: number): string {
  const year = Math.floor(month / 12);
  return `events_y${year}m${String((month % 12) + 1).padStart(2, '0')}`;
}

/** The DDL of one month's partition (names and bounds are ours: numbers only, nothing from outside). */
export function partitionDdl(month: number): string {
  return `CREATE TABLE IF NOT EXISTS ${partitionName(month)} PARTITION OF events FOR VALUES FROM (${monthStart(month)}) TO (${monthStart(month + 1)})`;
}

export const DEFAULT_PARTITION = 'events_default';

/** Any number in the advisory-lock space, fixed: the lock taken to make partitions. */
const PARTITION_LOCK = 7_263_540_117;

/** Months known to have their partition, per database handle (a partition is never made twice). */
const known = new WeakMap<object, Set<number>>();

/**
 * Makes sure every month these times fall in has its partition, each made in its own transaction
 * under an advisory lock (two server instances never race to make one): from a month's rows in the
 * default partition, if any, then attached. Call it with the database, not inside a transaction;
 * a no-op on SQLite and inside a transaction (the rows then go to the default partition).
 */
export async function ensurePartitions(db: Executor, ats: readonly number[]): Promise<void> {
  if (db.isTransaction || !(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  const seen = known.get(db) ?? new Set<number>();
  known.set(db, seen);
  const months = [...new Set(ats.map(monthOf))].filter((m) => !seen.has(m));
  if (months.length === 0) return;
  const present = new Set(
    (
      await sql<{ name: string }>`
        SELECT name FROM unnest(${months.map(partitionName)}::text[]) AS name WHERE to_regclass(name) IS NOT NULL`.execute(
        db,
      )
    ).rows.map((r) => r.name),
  );
  for (const month of months) {
    if (!present.has(partitionName(month))) await makePartition(db as Kysely<Database>, month);
    seen.add(month);
  }
}

async function makePartition(db: Kysely<Database>, month: number): Promise<void> {
  const name = partitionName(month);
  const [from, until] = [monthStart(month), monthStart(month + 1)];
  await db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`.execute(tx);
    if ((await sql`SELECT 1 FROM pg_class WHERE oid = to_regclass(${name})`.execute(tx)).rows.length > 0)
      return;
    // Created apart, filled from the default partition, then attached (which adds the indexes):
    // attaching checks that the default holds no row of the month any more.
    await sql.raw(`CREATE TABLE ${name} (LIKE events INCLUDING DEFAULTS)`).execute(tx);
    await sql
      .raw(
        `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE at >= ${from} AND at < ${until} RETURNING *) INSERT INTO ${name} SELECT * FROM moved`,
      )
      .execute(tx);
    await sql
      .raw(`ALTER TABLE events ATTACH PARTITION ${name} FOR VALUES FROM (${from}) TO (${until})`)
      .execute(tx);
  });
}

export interface EventPartition {
  name: string;
  month: number;
  /** first millisecond it holds */
  from: number;
  /** first millisecond it does not hold */
  until: number;
}

const NAME = /^events_y(\d{4,})m(\d{2})$/;

/** The partitions of `events` in the current schema, oldest first. */
export async function eventPartitions(db: Kysely<unknown> | Executor): Promise<EventPartition[]> {
  const rows = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass('events')`.execute(db);
  const partitions: EventPartition[] = [];
  for (const { name } of rows.rows) {
    const m = NAME.exec(name);
    if (!m) continue;
    const month = Number(m[1]) * 12 + Number(m[2]) - 1;
    partitions.push({ name, month, from: monthStart(month), until: monthStart(month + 1) });
  }
  return partitions.sort((a, b) => a.month - b.month);
}
