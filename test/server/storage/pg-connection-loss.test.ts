// The server's PostgreSQL pool survives its connections being killed under it (what a PostgreSQL
// restart or failover looks like to it; found by the soak's pg-terminate fault, which crashed both
// servers with an unhandled 'error' event): the next query gets a fresh connection. On a database
// of the test's own, so terminating its connections touches nobody else.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/server/storage/db.ts';

const PG_URL = process.env.MONBAN_TEST_DATABASE_URL;
if (!PG_URL)
  console.warn(
    'PostgreSQL connection-loss test skipped: set MONBAN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres',
  );

describe.skipIf(!PG_URL)('the PostgreSQL store when its connections are terminated', () => {
  const database = `monban_connloss_${randomBytes(5).toString('hex')}`;
  const url = (() => {
    const u = new URL(PG_URL ?? 'postgres://localhost/x');
    u.pathname = `/${database}`;
    return u.toString();
  })();
  let store: Store;
  const admin = () => new pg.Client({ connectionString: PG_URL });

  beforeAll(async () => {
    const a = admin();
    await a.connect();
    await a.query(`CREATE DATABASE ${database}`);
    await a.end();
    store = await openStore({ postgresUrl: url });
  });

  afterAll(async () => {
    await store?.close();
    const a = admin();
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await a.end();
  });

  const terminateAll = async () => {
    const a = admin();
    await a.connect();
    const killed = await a.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    await a.end();
    return killed.rowCount ?? 0;
  };

  it('answers the next query after pg_terminate_backend killed every connection it held', async () => {
    // Several connections open and idle in the pool.
    await Promise.all(Array.from({ length: 4 }, () => sql`SELECT pg_sleep(0.05)`.execute(store.db)));
    expect(await terminateAll()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300)); // the terminations reach the pool's sockets
    const r = await sql<{ one: number }>`SELECT 1 AS one`.execute(store.db);
    expect(r.rows[0]!.one).toBe(1);
  });

  it('fails a transaction whose connection was terminated midway, and carries on', async () => {
    const outcome = await store.db
      .transaction()
      .execute(async (tx) => {
        await sql`SELECT 1`.execute(tx);
        // The connection is checked out and between two queries when it is ended.
        expect(await terminateAll()).toBeGreaterThan(0);
        await new Promise((r) => setTimeout(r, 300));
        await sql`SELECT 1`.execute(tx);
        return 'committed';
      })
      .catch(() => 'failed');
    expect(outcome).toBe('failed');
    const r = await sql<{ one: number }>`SELECT 1 AS one`.execute(store.db);
    expect(r.rows[0]!.one).toBe(1);
  });
});
