// Retention of the event history: what the scheduled purge calls to remove events older than a
// cutoff, cheaply. On PostgreSQL whole month partitions older than the cutoff are dropped (one DROP
// TABLE each, no row-by-row delete and no vacuum after; the month the cutoff falls in goes at a later
// purge, once it is wholly older), plus any old rows in the default partition. On SQLite, which has no
// partitions, the rows are deleted in chunks, each its own short transaction, so ingest keeps going.
//
// Events form keyed MAC chains (chain.ts). Removing old events leaves gaps in them, which
// verification would report as deletions. So every purge records, per controller, the chain positions
// it removed, under the event chain key: EventStore.verify accepts a gap covered by such a record
// (and no more positions than it says it removed), and a record forged or edited without the key
// excuses nothing.

import { randomUUID } from 'node:crypto';
import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { linkMac, sameMac } from './chain.ts';
import { type Executor, inTransaction } from './db.ts';
import { DEFAULT_PARTITION, eventPartitions } from './event-partitions.ts';
import type { Database } from './schema.ts';

export interface EventPurgeResult {
  /** events removed */
  removed: number;
  /** PostgreSQL: the month partitions dropped */
  droppedPartitions: string[];
}

export interface PurgeRecord {
  id: string;
  controllerId: string;
  fromIndex: number;
  toIndex: number;
  count: number;
  beforeAt: number;
  purgedAt: number;
}

/** Rows deleted per transaction on SQLite. */
const DELETE_CHUNK = 10_000;

function purgeCanonical(r: PurgeRecord): string {
  return JSON.stringify([
    'event-purge/v1',
    r.id,
    r.controllerId,
    r.fromIndex,
    r.toIndex,
    r.count,
    r.beforeAt,
    r.purgedAt,
  ]);
}

export function purgeMac(key: Buffer, record: PurgeRecord): string {
  return linkMac(key, 'event-purge', purgeCanonical(record));
}

interface Span {
  controller_id: string;
  from_index: number | null;
  to_index: number | null;
  count: number;
}

/** Records what was removed, per controller (rows older than chains are in no chain: not recorded). */
async function record(
  tx: Executor,
  key: Buffer,
  spans: readonly Span[],
  beforeAt: number,
  purgedAt: number,
): Promise<void> {
  for (const s of spans) {
    if (s.from_index === null || s.to_index === null) continue;
    const r: PurgeRecord = {
      id: randomUUID(),
      controllerId: s.controller_id,
      fromIndex: Number(s.from_index),
      toIndex: Number(s.to_index),
      count: Number(s.count),
      beforeAt,
      purgedAt,
    };
    await tx
      .insertInto('event_purges')
      .values({
        id: r.id,
        controller_id: r.controllerId,
        from_index: r.fromIndex,
        to_index: r.toIndex,
        count: r.count,
        before_at: r.beforeAt,
        purged_at: r.purgedAt,
        mac: purgeMac(key, r),
      })
      .execute();
  }
}

/** The chained positions per controller in `from` (a table name of ours) older than the cutoff. */
async function spansIn(tx: Executor, table: string, before: number | undefined): Promise<Span[]> {
  const where = before === undefined ? '' : ` WHERE at < ${Math.floor(before)}`;
  const rows = await sql<Span>`
    ${sql.raw(`SELECT controller_id, min(chain_index) AS from_index, max(chain_index) AS to_index, count(chain_index) AS count FROM ${table}${where} GROUP BY controller_id`)}`.execute(
    tx,
  );
  return rows.rows;
}

/**
 * Removes the events older than `before` (ms): on PostgreSQL the whole month partitions older than it
 * (and old rows of the default partition), on SQLite every such row. `now` stamps the purge records.
 */
export async function purgeEventsBefore(
  db: Kysely<Database>,
  key: Buffer,
  before: number,
  now: number,
): Promise<EventPurgeResult> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return purgeSqlite(db, key, before, now);
  const result: EventPurgeResult = { removed: 0, droppedPartitions: [] };
  for (const partition of await eventPartitions(db)) {
    if (partition.until > before) continue;
    await db.transaction().execute(async (tx) => {
      const spans = await spansIn(tx, partition.name, undefined);
      await record(tx, key, spans, before, now);
      const [{ n }] = (
        await sql<{ n: number }>`${sql.raw(`SELECT count(*) AS n FROM ${partition.name}`)}`.execute(tx)
      ).rows as [{ n: number }];
      await sql.raw(`DROP TABLE ${partition.name}`).execute(tx);
      result.removed += Number(n);
    });
    result.droppedPartitions.push(partition.name);
  }
  await db.transaction().execute(async (tx) => {
    await record(tx, key, await spansIn(tx, DEFAULT_PARTITION, before), before, now);
    const deleted = await sql
      .raw(`DELETE FROM ${DEFAULT_PARTITION} WHERE at < ${Math.floor(before)}`)
      .execute(tx);
    result.removed += Number(deleted.numAffectedRows ?? 0);
  });
  return result;
}

async function purgeSqlite(
  db: Kysely<Database>,
  key: Buffer,
  before: number,
  now: number,
): Promise<EventPurgeResult> {
  let removed = 0;
  for (;;) {
    const n = await inTransaction(db, async (tx) => {
      const rows = await tx
        .selectFrom('events')
        .select(['id', 'controller_id', 'chain_index'])
        .where('at', '<', before)
        .limit(DELETE_CHUNK)
        .execute();
      if (rows.length === 0) return 0;
      const spans = new Map<string, Span>();
      for (const r of rows) {
        const s = spans.get(r.controller_id) ?? {
          controller_id: r.controller_id,
          from_index: null,
          to_index: null,
          count: 0,
        };
        if (r.chain_index !== null) {
          const index = Number(r.chain_index);
          s.from_index = s.from_index === null ? index : Math.min(s.from_index, index);
          s.to_index = s.to_index === null ? index : Math.max(s.to_index, index);
          s.count++;
        }
        spans.set(r.controller_id, s);
      }
      await record(tx, key, [...spans.values()], before, now);
      const ids = rows.map((r) => Number(r.id));
      for (let i = 0; i < ids.length; i += 500)
        await tx
          .deleteFrom('events')
          .where('id', 'in', ids.slice(i, i + 500))
          .execute();
      return rows.length;
    });
    removed += n;
    if (n < DELETE_CHUNK) break;
  }
  return { removed, droppedPartitions: [] };
}

/** The purge records of one controller whose MAC holds (any other excuses nothing). */
export async function validPurges(db: Executor, key: Buffer, controllerId: string): Promise<PurgeRecord[]> {
  const rows = await db
    .selectFrom('event_purges')
    .selectAll()
    .where('controller_id', '=', controllerId)
    .execute();
  const valid: PurgeRecord[] = [];
  for (const row of rows) {
    const r: PurgeRecord = {
      id: row.id,
      controllerId: row.controller_id,
      fromIndex: Number(row.from_index),
      toIndex: Number(row.to_index),
      count: Number(row.count),
      beforeAt: Number(row.before_at),
      purgedAt: Number(row.purged_at),
    };
    if (sameMac(purgeMac(key, r), row.mac)) valid.push(r);
  }
  return valid;
}

/**
 * Whether a gap from..to in a controller's chain is retention's doing: inside the positions purge
 * records cover, and within the number of positions they say were removed (`budget`, drawn down).
 */
export function excusedByPurges(
  purges: readonly PurgeRecord[],
  from: number,
  to: number,
  budget: { left: number },
): boolean {
  // Covered when the records' ranges, merged, run unbroken from `from` to `to`.
  let reach = from - 1;
  for (const p of [...purges].sort((a, b) => a.fromIndex - b.fromIndex)) {
    if (p.fromIndex > reach + 1) break;
    reach = Math.max(reach, p.toIndex);
  }
  if (reach < to) return false;
  const length = to - from + 1;
  if (length > budget.left) return false;
  budget.left -= length;
  return true;
}
