// Use counts counted at the server and shared by every controller (issue 9 §3). An online controller
// claims a use before it grants a credential with a limit; the claim is one conditional UPDATE, so of
// two controllers claiming the last use at once exactly one gets it. A use a controller granted while
// it could not reach the server is counted when its event comes in (even past the limit: what was
// granted offline was granted), and snapshots issued after give every controller what is left.

import { type Kysely, PostgresAdapter, sql } from 'kysely';
import type { KeyTables } from '../keys/tables.ts';
import { type Executor, sqliteConnection, sqliteStatement } from '../storage/db.ts';
import type { Database } from '../storage/schema.ts';

export interface UseAnswer {
  granted: boolean;
  /** uses left after this one; null: the server knows no limit for it */
  remaining: number | null;
}

/** The table a limited credential's count lives in: credentials, or time-limited keys (issue 13). */
type Counted = { table: 'credentials' | 'access_keys'; id: string };

async function countedOf(db: Executor, key: string): Promise<Counted | undefined> {
  const colon = key.indexOf(':');
  const [type, hash] = [key.slice(0, colon), key.slice(colon + 1)];
  const row = await db
    .selectFrom('credentials')
    .select(['id', 'max_uses'])
    .where('type', '=', type)
    .where(type === 'pin' ? 'identifier' : 'ref_hash', '=', hash)
    .executeTakeFirst();
  if (row) return row.max_uses === null ? undefined : { table: 'credentials', id: row.id };
  if (type !== 'key') return undefined;
  const keyRow = await (db as unknown as CountedDb)
    .selectFrom('access_keys')
    .select(['id', 'max_uses'])
    .where('ref_hash', '=', hash)
    .executeTakeFirst();
  return keyRow && keyRow.max_uses !== null ? { table: 'access_keys', id: keyRow.id } : undefined;
}

/** Both tables name the count alike: `uses` beside `max_uses`. */
type CountedDb = Kysely<Pick<Database, 'credentials'> & Pick<KeyTables, 'access_keys'>>;

/** One more use, if one is left (`onlyIfLeft`) or regardless; whether it was counted. */
async function countOne(db: Executor, { table, id }: Counted, onlyIfLeft: boolean): Promise<boolean> {
  let update = (db as unknown as CountedDb)
    .updateTable(table)
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', id)
    .where('max_uses', 'is not', null);
  if (onlyIfLeft) update = update.where((eb) => eb('uses', '<', eb.ref('max_uses')));
  return Number((await update.executeTakeFirst()).numUpdatedRows) === 1;
}

/** Claims one use of the credential controllers know by `key` (`TYPE:<keyed hash>`). */
export async function claimUse(db: Executor, key: string): Promise<UseAnswer> {
  const counted = await countedOf(db, key);
  // Not known here, or no limit: nothing to count; the controller decides on its policy.
  if (!counted) return { granted: true, remaining: null };
  const granted = await countOne(db, counted, true);
  const after = await (db as unknown as CountedDb)
    .selectFrom(counted.table)
    .select(['uses', 'max_uses'])
    .where('id', '=', counted.id)
    .executeTakeFirst();
  const remaining = Math.max(0, Number(after?.max_uses ?? 0) - Number(after?.uses ?? 0));
  return { granted, remaining };
}

/** A use granted without a claim (the controller was offline): a credential's or a time-limited key's. */
export interface UnclaimedUse {
  credentialId?: string | undefined;
  keyId?: string | undefined;
}

/**
 * Uses granted without a claim, counted once their events are in — credentials (`credentialId`) or
 * time-limited keys (`keyId`), as credential-refs.ts resolved them — inside the caller's transaction
 * (ingest.ts: the batch that stores the events), so they count exactly when their events are stored.
 * One write per credential or key however many uses it had: on PostgreSQL one statement per table.
 */
export async function countUnclaimedUses(tx: Executor, uses: readonly UnclaimedUse[]): Promise<void> {
  const counts: Record<Counted['table'], Map<string, number>> = {
    credentials: new Map(),
    access_keys: new Map(),
  };
  for (const use of uses) {
    const [table, id] =
      use.credentialId !== undefined
        ? (['credentials', use.credentialId] as const)
        : use.keyId !== undefined
          ? (['access_keys', use.keyId] as const)
          : [];
    if (table === undefined) continue;
    counts[table].set(id, (counts[table].get(id) ?? 0) + 1);
  }
  const sqlite = sqliteConnection(tx);
  const postgres = tx.getExecutor().adapter instanceof PostgresAdapter;
  for (const table of ['credentials', 'access_keys'] as const) {
    // Sorted: concurrent groups (PostgreSQL) lock the rows in one order.
    const rows = [...counts[table]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (rows.length === 0) continue;
    // SQLite: a statement prepared once per connection, inside the transaction that holds the lock.
    if (sqlite && tx.isTransaction) {
      const update = sqliteStatement(
        sqlite,
        `UPDATE ${table} SET uses = uses + ? WHERE id = ? AND max_uses IS NOT NULL`,
      );
      for (const [id, n] of rows) update.run(n, id);
    } else if (postgres)
      await sql`update ${sql.table(table)} set uses = ${sql.ref(`${table}.uses`)} + v.n
        from unnest(${rows.map(([id]) => id)}::varchar[], ${rows.map(([, n]) => n)}::int[]) as v(id, n)
        where ${sql.ref(`${table}.id`)} = v.id and ${sql.ref(`${table}.max_uses`)} is not null`.execute(tx);
    else
      for (const [id, n] of rows)
        await (tx as unknown as CountedDb)
          .updateTable(table)
          .set((eb) => ({ uses: eb('uses', '+', n) }))
          .where('id', '=', id)
          .where('max_uses', 'is not', null)
          .execute();
  }
}
