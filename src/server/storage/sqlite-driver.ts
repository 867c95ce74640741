// The SQLite connection behind Kysely, like Kysely's own SqliteDriver with two differences, both so
// that the server's one thread never stands still waiting for the database:
//
// 1. Waiting for the write lock is asynchronous. SQLite admits one writer per file; the import
//    worker (server/imports/) holds the lock for its whole switch, seconds at 100,000 rows. With a
//    busy timeout, better-sqlite3 waits inside the call, and the server's event loop with it: health
//    probes, the push stream and every controller's acknowledgement stopped for up to 5 s, and a
//    write failed after that (measured: a heartbeat's link update waited 3.4 s in `npm run bench --
//    --only imports`). Here the connection's busy timeout is 0: a statement that finds the database
//    locked fails at once with SQLITE_BUSY and is tried again after a short pause, with the
//    connection lent to other queries in between (reads do not need the lock, in WAL mode), until
//    LOCK_WAIT_MS have passed; then it fails with DatabaseBusyError (the API answers 503).
//
// 2. Transactions begin IMMEDIATE: they take the write lock at BEGIN, where waiting is safe (nothing
//    has run yet, so the connection can be lent out meanwhile). A deferred transaction that read and
//    then wrote would fail with SQLITE_BUSY_SNAPSHOT whenever the other connection committed in
//    between, and could not be retried in place. The server has one connection, so its transactions
//    ran one at a time already; taking the lock at BEGIN costs it nothing.
//
// Long chains of queries (a snapshot rebuild reads thousands of slices) run as one chain of resolved
// promises, which never lets the event loop turn: every query here first breathes (../turns.ts), so
// I/O (a health probe, a controller's batch) gets its turn.
//
// Statements run on the bare handle (sqliteConnection in db.ts) inside a Kysely transaction hold the
// lock already; outside one, a write waits with `untilUnlocked` as the driver does (presence.ts).

import type BetterSqlite3 from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  SqliteDialect,
  type SqliteDialectConfig,
} from 'kysely';
import { breathe } from '../turns.ts';
import { DatabaseBusyError } from './errors.ts';

/** How long a statement waits for the write lock before it fails. */
export const LOCK_WAIT_MS = 30_000;
/** The longest pause between two tries (the first are shorter: most waits are a commit or two). */
const MAX_PAUSE_MS = 20;

const isBusy = (error: unknown): boolean =>
  typeof (error as { code?: unknown })?.code === 'string' &&
  (error as { code: string }).code.startsWith('SQLITE_BUSY');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Tries `attempt` until it does not fail with SQLITE_BUSY, pausing in between (`between` runs
 * around each pause: the caller lends the connection out meanwhile); DatabaseBusyError after
 * `waitMs`.
 */
export async function untilUnlocked<T>(
  attempt: () => T | Promise<T>,
  between: { release(): void; reacquire(): Promise<void> } = { release() {}, async reacquire() {} },
  waitMs = LOCK_WAIT_MS,
): Promise<T> {
  const deadline = performance.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(MAX_PAUSE_MS, pause * 2)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (performance.now() + pause > deadline) throw new DatabaseBusyError(waitMs);
    }
    between.release();
    await sleep(pause);
    await between.reacquire();
  }
}

/** One holder of the one connection at a time (a transaction holds it from BEGIN to its end). */
class Mutex {
  private held = false;
  private readonly queue: (() => void)[] = [];

  async lock(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return;
    }
    await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  unlock(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.held = false;
  }
}

/** Statements kept prepared, by their text (least recently used dropped first). */
const PREPARED_KEPT = 256;

class Connection implements DatabaseConnection {
  private readonly prepared = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly mutex: Mutex,
  ) {}

  /**
   * The statement for this text, prepared once: Kysely hands over the same SQL for the same query
   * shape, and preparing it anew each time was 4 % of the server's busy time under 1,000 events/s
   * (docs/latency.md). The texts that vary (IN lists of any length) fall out of the cache in turn.
   */
  private statement(text: string): BetterSqlite3.Statement {
    let statement = this.prepared.get(text);
    if (statement) this.prepared.delete(text);
    else {
      statement = this.db.prepare(text);
      if (this.prepared.size >= PREPARED_KEPT) this.prepared.delete(this.prepared.keys().next().value!);
    }
    this.prepared.set(text, statement);
    return statement;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    await breathe();
    const statement = this.statement(query.sql);
    const parameters = query.parameters as unknown[];
    const run = (): QueryResult<R> => {
      if (statement.reader) return { rows: statement.all(parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    };
    // Inside a transaction the lock is held since BEGIN: a busy answer there is not a lock wait
    // (and the connection must not be lent out mid-transaction).
    if (this.db.inTransaction) return run();
    return untilUnlocked(run, this.lending());
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('SQLite streams only select queries');
    // Prepared for this stream alone: a statement being iterated cannot run anything else.
    const statement = this.db.prepare(query.sql);
    for (const row of statement.iterate(query.parameters as unknown[])) yield { rows: [row as R] };
  }

  /** BEGIN IMMEDIATE, waiting for the write lock with the connection lent out meanwhile. */
  async begin(): Promise<void> {
    const statement = this.statement('begin immediate');
    await untilUnlocked(() => statement.run(), this.lending());
  }

  run(text: string): void {
    this.statement(text).run();
  }

  private lending() {
    return { release: () => this.mutex.unlock(), reacquire: () => this.mutex.lock() };
  }
}

class WaitingSqliteDriver implements Driver {
  private readonly mutex = new Mutex();
  private connection: Connection | undefined;

  constructor(private readonly database: BetterSqlite3.Database) {}

  async init(): Promise<void> {
    this.database.pragma('busy_timeout = 0');
    this.connection = new Connection(this.database, this.mutex);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.mutex.lock();
    return this.connection!;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as Connection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Connection).run('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as Connection).run('rollback');
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }

  async destroy(): Promise<void> {
    this.database.close();
  }
}

/** Kysely's SQLite dialect with the driver above. */
export class WaitingSqliteDialect extends SqliteDialect {
  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database } satisfies SqliteDialectConfig);
  }

  override createDriver(): Driver {
    return new WaitingSqliteDriver(this.database);
  }
}
