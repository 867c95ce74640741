// Rule: while another connection holds SQLite's write lock (the import worker's switch), the server's
// connection waits for it off the event loop: timers keep firing, reads answer, writes and
// transactions go through once the lock is free, and a wait that outlasts its limit fails with
// DatabaseBusyError, writing nothing (src/server/storage/sqlite-driver.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { DatabaseBusyError } from '../../../src/server/storage/errors.ts';
import { PresenceStore } from '../../../src/server/storage/presence.ts';
import { untilUnlocked } from '../../../src/server/storage/sqlite-driver.ts';

const T = Date.parse('2026-12-04T09:00:00Z');
const HOLD_MS = 600;

/** The longest the event loop went without running a 5 ms interval timer, while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  try {
    const result = await work();
    return { result, stallMs: Math.max(stallMs, performance.now() - last) };
  } finally {
    clearInterval(timer);
  }
}

describe('the server waits for SQLite’s write lock off the event loop', () => {
  let dir: string;
  let store: Store;
  let other: BetterSqlite3.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-lock-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    other = new BetterSqlite3(join(dir, 'monban.db'));
    other.pragma('busy_timeout = 0');
  });
  afterEach(async () => {
    if (other.inTransaction) other.exec('rollback');
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Another connection takes the write lock now and lets it go after HOLD_MS. */
  function holdLock(): Promise<void> {
    other.exec('begin immediate');
    other.prepare("insert into presence (person_id, area, version) values ('p-held', 'lobby', 1)").run();
    return new Promise((resolve) =>
      setTimeout(() => {
        other.exec('commit');
        resolve();
      }, HOLD_MS),
    );
  }

  it('a write and a transaction wait without stopping timers, reads answer meanwhile, both land after', async () => {
    const released = holdLock();
    const { result, stallMs } = await longestStall(async () => {
      const t0 = performance.now();
      const write = store.db
        .insertInto('presence')
        .values({ person_id: 'p-write', area: 'lobby', version: 1 })
        .execute();
      const tx = store.db.transaction().execute(async (t) => {
        const before = await t.selectFrom('presence').select('person_id').execute();
        await t.insertInto('presence').values({ person_id: 'p-tx', area: 'lobby', version: 1 }).execute();
        return before.map((r) => r.person_id);
      });
      // A read while both wait: the connection is lent out between their tries.
      const read = await sql<{ one: number }>`select 1 as one`.execute(store.db);
      const readMs = performance.now() - t0;
      await Promise.all([write, tx, released]);
      return { readMs, one: read.rows[0]!.one, seenInTx: await tx, doneMs: performance.now() - t0 };
    });
    expect(result.one).toBe(1);
    expect(result.readMs).toBeLessThan(HOLD_MS / 2);
    expect(result.doneMs).toBeGreaterThanOrEqual(HOLD_MS - 50);
    expect(stallMs).toBeLessThan(HOLD_MS / 2);
    // The transaction began once the lock was free, so it saw the other connection's commit.
    expect(result.seenInTx).toContain('p-held');
    const rows = await store.db.selectFrom('presence').select('person_id').orderBy('person_id').execute();
    expect(rows.map((r) => r.person_id)).toEqual(['p-held', 'p-tx', 'p-write']);
  });

  it('presence written on the bare handle waits the same way', async () => {
    const released = holdLock();
    const { stallMs } = await longestStall(() =>
      new PresenceStore(store.db).recordPassages([
        { person: 'p-move', expectedVersion: 0, area: 'lobby', at: T, controllerId: 'c-1', door: 'd-1' },
      ]),
    );
    await released;
    expect(stallMs).toBeLessThan(HOLD_MS / 2);
    const row = await store.db.selectFrom('presence').selectAll().where('person_id', '=', 'p-move').execute();
    expect(row.map((r) => r.area)).toEqual(['lobby']);
  });

  it('a transaction takes the write lock at BEGIN: another writer cannot slip in between its read and its write', async () => {
    let otherWrite: unknown;
    await store.db.transaction().execute(async (t) => {
      await t.selectFrom('presence').selectAll().execute();
      try {
        other.prepare("insert into presence (person_id, area, version) values ('p-other', 'lobby', 1)").run();
      } catch (error) {
        otherWrite = error;
      }
      await t.insertInto('presence').values({ person_id: 'p-tx', area: 'lobby', version: 1 }).execute();
    });
    expect((otherWrite as { code?: string }).code).toBe('SQLITE_BUSY');
    const rows = await store.db.selectFrom('presence').select('person_id').execute();
    expect(rows.map((r) => r.person_id)).toEqual(['p-tx']);
  });

  it('a wait that outlasts its limit fails with DatabaseBusyError, having written nothing', async () => {
    other.exec('begin immediate');
    const insert = store.db
      .insertInto('presence')
      .values({ person_id: 'p-late', area: 'lobby', version: 1 })
      .compile();
    const sqlite = new BetterSqlite3(join(dir, 'monban.db'));
    sqlite.pragma('busy_timeout = 0');
    try {
      const attempt = () => sqlite.prepare(insert.sql).run(...(insert.parameters as unknown[]));
      await expect(untilUnlocked(attempt, undefined, 200)).rejects.toBeInstanceOf(DatabaseBusyError);
    } finally {
      sqlite.close();
    }
    other.exec('rollback');
    const rows = await store.db.selectFrom('presence').select('person_id').execute();
    expect(rows).toEqual([]);
  });

  it('errors other than a busy database are not retried', async () => {
    let tries = 0;
    const failing = () => {
      tries++;
      throw Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    };
    await expect(untilUnlocked(failing)).rejects.toThrow('constraint');
    expect(tries).toBe(1);
  });
});
