// Opens the store: SQLite (better-sqlite3) in the data directory by default, PostgreSQL when a URL is
// given. Both behind one Kysely instance; migrations run at open.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import * as m0001 from './migrations/0001-people-credentials-events.ts';
import * as m0002 from './migrations/0002-audit-log.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

export type StoreLocation = { sqliteFile: string } | { postgresUrl: string; schema?: string };

/** Versioned migrations, in order. Each gets the dialect for the few places where engines differ. */
const MIGRATIONS: [
  string,
  {
    up: (db: Kysely<unknown>, dialect: Dialect) => Promise<void>;
    down: (db: Kysely<unknown>) => Promise<void>;
  },
][] = [
  ['0001-people-credentials-events', m0001],
  ['0002-audit-log', m0002],
];

export async function openStore(location: StoreLocation): Promise<Store> {
  let db: Kysely<Database>;
  let dialect: Dialect;
  if ('sqliteFile' in location) {
    mkdirSync(dirname(location.sqliteFile), { recursive: true });
    const database = new BetterSqlite3(location.sqliteFile);
    // WAL: readers do not block the writer; foreign keys are off by default in SQLite.
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    dialect = 'sqlite';
  } else {
    const options = location.schema ? `-c search_path=${location.schema}` : undefined;
    const pool = new pg.Pool({
      connectionString: location.postgresUrl,
      max: 10,
      ...(options && { options }),
    });
    // PostgreSQL returns BIGINT as strings; our bigints are millisecond times and sequences, all
    // well inside Number's exact range.
    pg.types.setTypeParser(20, (value: string) => Number(value));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    dialect = 'postgres';
  }
  const migrator = new Migrator({
    db,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(
          MIGRATIONS.map(([name, migration]): [string, Migration] => [
            name,
            { up: (d) => migration.up(d, dialect), down: migration.down },
          ]),
        ),
    },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    throw new Error(`database migration failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { db, dialect, close: () => db.destroy() };
}
