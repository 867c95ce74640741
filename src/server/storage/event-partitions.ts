// PostgreSQL keeps `events` partitioned by month of `at` (UTC), one table per month named
// events_y2026m12, so retention drops a month of events with one DROP TABLE instead of deleting
// millions of rows (and the vacuum after). Partitions are made when the first event of a month is
// stored (inside the storing transaction, under an advisory lock, so two server instances never
// race to make the same one), and this month's and next month's at migration. SQLite has no
// partitions; there retention deletes (event-store-retention.ts).

import { type Kysely, sql } from 'kysely';
import type { Executor } from './db.ts';

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

/** Any number in the advisory-lock space, fixed: the lock taken to make partitions. */
const PARTITION_LOCK = 7_263_540_117;

/**
 * Makes sure every month these times fall in has its partition, inside the caller's transaction:
 * one query when they all exist (the normal case), and the DDL under an advisory lock otherwise.
 */
export async function ensurePartitions(tx: Executor, ats: readonly number[]): Promise<void> {
  const months = [...new Set(ats.map(monthOf))];
  if (months.length === 0) return;
  const missing = async () =>
    (
      await sql<{ name: string }>`
        SELECT name FROM unnest(${months.map(partitionName)}::text[]) AS name WHERE to_regclass(name) IS NULL`.execute(
        tx,
      )
    ).rows.map((r) => r.name);
  if ((await missing()).length === 0) return;
  await sql`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`.execute(tx);
  const still = new Set(await missing());
  for (const month of months) if (still.has(partitionName(month))) await sql.raw(partitionDdl(month)).execute(tx);
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
