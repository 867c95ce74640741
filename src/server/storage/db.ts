// Opens the store: SQLite (better-sqlite3) in the data directory by default, PostgreSQL when a URL is
// given. Both behind one Kysely instance; migrations run at open.
//
// Migrations are discovered: every file in ./migrations is one migration, named by its file name and
// applied in name order (`2026_11_22_0100_site_model.ts`). Adding a migration is adding a file; nobody
// edits a shared list. Each module exports `up(db, dialect)` and optionally `down(db)`.
//
// Concurrency rules for the repositories built on this store:
// - everything that writes more than one row runs in one transaction (`inTransaction`);
// - races that matter are settled by one conditional statement, never read-then-write
//   (use counts, presence compare-and-set, idempotent event ingest);
// - uniqueness and references are enforced by the database (unique indexes, foreign keys); the
//   repositories check them first only to name the offending field.

import { closeSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { WaitingSqliteDialect } from './sqlite-driver.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
  /** where it was opened: a worker thread opens its own connection there (server/imports/) */
  location?: StoreLocation;
}

export type StoreLocation = { sqliteFile: string } | { postgresUrl: string; schema?: string };

interface MigrationModule {
  up: (db: Kysely<unknown>, dialect: Dialect) => Promise<void>;
  down?: (db: Kysely<unknown>) => Promise<void>;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const MIGRATION_FILE = /^[\w-]+\.(ts|js|mjs)$/;

export async function discoverMigrations(dialect: Dialect): Promise<Record<string, Migration>> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => MIGRATION_FILE.test(f) && !f.endsWith('.d.ts'));
  const migrations: Record<string, Migration> = {};
  for (const file of files.sort()) {
    const module = (await import(pathToFileURL(`${MIGRATIONS_DIR}${file}`).href)) as MigrationModule;
    if (typeof module.up !== 'function') throw new Error(`migration ${file} exports no up()`);
    const down = module.down;
    migrations[file.replace(/\.(ts|js|mjs)$/, '')] = {
      up: (db) => module.up(db, dialect),
      ...(down && { down: (db: Kysely<unknown>) => down(db) }),
    };
  }
  return migrations;
}

/**
 * How every server connection to SQLite is set up (the event-store bench's raw baseline uses the
 * same, so its ratio compares like with like):
 * - WAL: readers do not block the writer; foreign keys are off by default in SQLite;
 * - synchronous = FULL, said explicitly: a controller drops journaled events once the server has
 *   acknowledged them (R-CTL-2), so a committed batch must survive a power cut, not only a crash of
 *   the process. Left unsaid, better-sqlite3's build gives FULL to a new file and NORMAL (commits
 *   not synced) to one already in WAL mode: every restart would have weakened it;
 * - a checkpoint every 10,000 WAL pages (~40 MB) instead of 1,000: a batch of events dirties
 *   hundreds of index pages, so at 1,000 SQLite checkpointed after nearly every batch and ingest
 *   ran at half the speed (docs/scale-out.md); the WAL file grows to that size, no more;
 * - deleted rows are overwritten, not left in free pages: an erased person or a purged event
 *   cannot be read back from the file (lifecycle/service.ts);
 * - a page cache of 64 MiB (the default is 2 MiB): the event log's indexes by person and door, and
 *   presence by person, are written at random places; with the default cache nearly every insert
 *   read its index page back from the operating system. The cache fills only as pages are read.
 */
export const SQLITE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = FULL',
  'wal_autocheckpoint = 10000',
  'foreign_keys = ON',
  'busy_timeout = 5000',
  'secure_delete = ON',
  'cache_size = -65536',
];

function connect(location: StoreLocation): { db: Kysely<Database>; dialect: Dialect } {
  if ('sqliteFile' in location) {
    mkdirSync(dirname(location.sqliteFile), { recursive: true, mode: 0o700 });
    // Created owner-only before SQLite opens it: its -wal and -shm files take the database's mode.
    closeSync(openSync(location.sqliteFile, 'a', 0o600));
    const database = new BetterSqlite3(location.sqliteFile);
    for (const pragma of SQLITE_PRAGMAS) database.pragma(pragma);
    // The busy timeout above is for other handles on this file (the event-store bench's raw
    // baseline); this connection waits for the write lock off the event loop: sqlite-driver.ts.
    const db = new Kysely<Database>({ dialect: new WaitingSqliteDialect(database) });
    sqliteHandles.set(db.getExecutor().adapter, database);
    return { db, dialect: 'sqlite' };
  }
  if (location.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(location.schema))
    throw new Error('schema: must be a plain lower-case SQL identifier');
  const options = location.schema ? `-c search_path=${location.schema}` : undefined;
  const pool = new pg.Pool({
    connectionString: location.postgresUrl,
    max: 10,
    ...(options && { options }),
  });
  // A connection PostgreSQL ends (a restart, a failover, pg_terminate_backend) while it idles in the
  // pool is dropped by the pool, which then emits 'error': without a listener that would end the
  // process. The next query opens a fresh connection; one in flight fails as usual.
  pool.on('error', () => {});
  // The same for a connection checked out between two queries (a transaction awaiting its caller):
  // the client emits 'error' itself; its next query fails and the caller sees that error.
  pool.on('connect', (client) => client.on('error', () => {}));
  // PostgreSQL returns BIGINT as strings; our bigints are millisecond times and sequences, all
  // well inside Number's exact range.
  pg.types.setTypeParser(20, (value: string) => Number(value));
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}

/**
 * Opens the store and runs every pending migration; with `migrate: false` (monban doctor) it only
 * connects, so a check never changes the schema behind a running server.
 */
export async function openStore(
  location: StoreLocation,
  options: { migrate?: boolean } = {},
): Promise<Store> {
  const { db, dialect } = connect(location);
  if (options.migrate === false) return { db, dialect, close: () => db.destroy() };
  try {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: () => discoverMigrations(dialect) },
      // Features are built in parallel and each adds its own tables: a database that already has a
      // later-dated migration must still take an earlier-dated one that arrived with an upgrade.
      allowUnorderedMigrations: true,
      // In a schema of its own (the tests' one per test file), Kysely must look for its lock table
      // there: unqualified, it finds another schema's and skips creating its own ("relation
      // kysely_migration_lock does not exist" when two test files migrate at the same moment).
      ...('schema' in location && location.schema && { migrationTableSchema: location.schema }),
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      throw new Error(
        `database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect, close: () => db.destroy(), location };
}

/** Which migrations this database has had, and which this version of Monban would still apply. */
export async function migrationStatus(store: Store): Promise<{ applied: string[]; pending: string[] }> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: () => discoverMigrations(store.dialect) },
  });
  const all = await migrator.getMigrations();
  return {
    applied: all.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

/** Opens the store the server configuration points at (see config.ts). */
export function openDatabase(config: { location: StoreLocation }): Promise<Store> {
  return openStore(config.location);
}

export type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The SQLite connection behind a Kysely handle or one of its transactions (they share the adapter),
 * for the few hot paths that keep prepared statements (events.ts): Kysely prepares every statement
 * anew. A statement run on it inside a Kysely transaction is part of that transaction — there is one
 * connection, and Kysely holds it for the transaction's whole callback.
 */
const sqliteHandles = new WeakMap<object, BetterSqlite3.Database>();

export function sqliteConnection(db: Executor): BetterSqlite3.Database | undefined {
  return sqliteHandles.get(db.getExecutor().adapter);
}

/** Statements prepared once per SQLite connection, by their text. */
const sqliteStatements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/** A statement on this connection, prepared the first time its text is asked for. */
export function sqliteStatement(sqlite: BetterSqlite3.Database, text: string): BetterSqlite3.Statement {
  const statements = sqliteStatements.get(sqlite) ?? new Map<string, BetterSqlite3.Statement>();
  sqliteStatements.set(sqlite, statements);
  const statement = statements.get(text) ?? sqlite.prepare(text);
  statements.set(text, statement);
  return statement;
}

/** Runs `fn` in a transaction, or inside the caller's when `db` already is one. */
export function inTransaction<T>(db: Executor, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<Database>);
  return db.transaction().execute(fn);
}
