// Many rows into one table the cheapest way each engine has (an import's switch, issue 11 §3): on
// SQLite one statement prepared once per connection and run per row (binding thousands of parameters
// into a multi-row VALUES, and Kysely compiling it, costs more than the inserts); on PostgreSQL one
// statement per few thousand rows with one array per column, unnested, so the parameters stay one per
// column whatever the batch. Optionally an upsert on a key. Rows are arrays in the order of `columns`;
// values are as stored (numbers for integers, 0/1 for booleans, text already storable).

import { CompiledQuery, type Expression, type SqlBool, sql } from 'kysely';
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
    const arrays = columns.map((_, i) => arrayLiteral(slice, i));
    await tx.executeQuery(CompiledQuery.raw(text, arrays));
  }
}

const QUOTED = /["\\]/;
const QUOTE_ALL = /["\\]/g;

/**
 * A PostgreSQL array literal (`{"a","b",NULL,3}`) of one column of the rows (`column` given) or of
 * the values themselves, sent as one text parameter and cast by the statement. node-postgres turns a
 * JS array into the same text, but through a generic per-element path that took about a tenth of an
 * import's CPU; here a value is quoted, and escaped only when it holds a quote or a backslash.
 * Values are text, numbers or null, as bulkInsert's rows are.
 */
function arrayLiteral(rows: readonly unknown[], column: number | undefined): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = column === undefined ? rows[i] : (rows[i] as readonly unknown[])[column];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else if (typeof v === 'number' || typeof v === 'bigint') parts[i] = String(v);
    else {
      const text = String(v);
      parts[i] = `"${QUOTED.test(text) ? text.replace(QUOTE_ALL, '\\$&') : text}"`;
    }
  }
  return `{${parts.join(',')}}`;
}

/** Keys per SQLite IN list: far below its limit on bound variables, and each statement stays short. */
const SQLITE_IN = 500;

/**
 * Runs `query` over every key in `keys`, however many, and returns all its rows: `match(column)` is
 * the condition "column is one of the keys". On PostgreSQL that is one statement, `column = ANY($1)`
 * with the keys as one text array (an IN list of n keys is n parameters to bind, parse and plan:
 * 200 statements of 500 took seconds for a 100,000-row import's checks); on SQLite, one statement per
 * few hundred keys with an IN list, as its local calls cost nothing. Duplicate keys are sent once.
 */
export async function selectByKeys<T>(
  tx: Executor,
  keys: Iterable<string>,
  query: (match: (column: string) => Expression<SqlBool>) => Promise<T[]>,
): Promise<T[]> {
  const all = [...new Set(keys)];
  if (all.length === 0) return [];
  if (!sqliteConnection(tx)) {
    const array = arrayLiteral(all, undefined);
    return query((column) => sql<SqlBool>`${sql.ref(column)} = any(${array}::text[])`);
  }
  const rows: T[] = [];
  for (let at = 0; at < all.length; at += SQLITE_IN) {
    const part = all.slice(at, at + SQLITE_IN);
    rows.push(...(await query((column) => sql<SqlBool>`${sql.ref(column)} in (${sql.join(part)})`)));
  }
  return rows;
}
