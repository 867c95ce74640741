// Many rows into one table the cheapest way each engine has (an import's switch, issue 11 §3): on
// SQLite one statement prepared once per connection and run per row (binding thousands of parameters
// into a multi-row VALUES, and Kysely compiling it, costs more than the inserts); on PostgreSQL one
// statement per few thousand rows with one array per column, unnested, so the parameters stay one per
// column whatever the batch. Optionally an upsert on a key. Rows are arrays in the order of `columns`;
// values are as stored (numbers for integers, 0/1 for booleans, text already storable).

import { CompiledQuery } from 'kysely';
import { type Executor, sqliteConnection, sqliteStatement } from './db.ts';

export interface BulkColumn {
  name: string;
  /** the column's type as a PostgreSQL array element: `text` or `bigint` */
  pg: 'text' | 'bigint';
}

export interface BulkUpsert {
  /** the conflict target (primary key or unique columns) */
  key: readonly string[];
  /** what an existing row takes from the new one; the rest stays */
  update: readonly string[];
}

/** Rows per PostgreSQL statement: big enough that round trips do not count, small enough to stream. */
const PG_ROWS = 5_000;

const NAME = /^[a-z_][a-z0-9_]*$/;

function conflictClause(upsert: BulkUpsert | undefined): string {
  if (!upsert) return '';
  const set = upsert.update.map((c) => `${c} = excluded.${c}`).join(', ');
  return ` ON CONFLICT (${upsert.key.join(', ')}) DO ${set ? `UPDATE SET ${set}` : 'NOTHING'}`;
}

/** Inserts (or upserts) the rows inside the caller's transaction. */
export async function bulkInsert(
  tx: Executor,
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly (readonly unknown[])[],
  upsert?: BulkUpsert,
): Promise<void> {
  if (rows.length === 0) return;
  for (const name of [
    table,
    ...columns.map((c) => c.name),
    ...(upsert?.key ?? []),
    ...(upsert?.update ?? []),
  ])
    if (!NAME.test(name)) throw new RangeError(`not a column or table name: ${name}`);
  const names = columns.map((c) => c.name).join(', ');
  const sqlite = sqliteConnection(tx);
  if (sqlite) {
    const insert = sqliteStatement(
      sqlite,
      `INSERT INTO ${table} (${names}) VALUES (${columns.map(() => '?').join(', ')})${conflictClause(upsert)}`,
    );
    for (const row of rows) insert.run(...row);
    return;
  }
  const unnest = columns.map((c, i) => `$${i + 1}::${c.pg}[]`).join(', ');
  const text = `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${unnest})${conflictClause(upsert)}`;
  for (let at = 0; at < rows.length; at += PG_ROWS) {
    const slice = rows.slice(at, at + PG_ROWS);
    const arrays = columns.map((_, i) => slice.map((r) => r[i] ?? null));
    await tx.executeQuery(CompiledQuery.raw(text, arrays));
  }
}
