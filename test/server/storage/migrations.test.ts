// Rule: migrations upgrade a database in place. Every file in src/server/storage/migrations is
// applied once, in name order; a database created before the site model keeps its people and their
// group memberships (each group id they named becomes a group), on every backend.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  discoverMigrations,
  migrationStatus,
  openStore,
  type StoreLocation,
  sqliteConnection,
} from '../../../src/server/storage/db.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import * as m0001 from '../../../src/server/storage/migrations/0001-people-credentials-events.ts';
import * as m0002 from '../../../src/server/storage/migrations/0002-audit-log.ts';

const PG_URL = process.env.MONBAN_TEST_DATABASE_URL;
const dir = mkdtempSync(join(tmpdir(), 'monban-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Old {
  name: string;
  location: StoreLocation;
  raw(): Kysely<unknown>;
  cleanup(): Promise<void>;
}

const olds: Old[] = [
  {
    name: 'SQLite',
    location: { sqliteFile: join(dir, 'old.db') },
    raw: () =>
      new Kysely({ dialect: new SqliteDialect({ database: new BetterSqlite3(join(dir, 'old.db')) }) }),
    cleanup: async () => {},
  },
];
if (PG_URL) {
  const schema = `monban_test_${randomBytes(6).toString('hex')}`;
  olds.push({
    name: 'PostgreSQL',
    location: { postgresUrl: PG_URL, schema },
    raw: () =>
      new Kysely({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${schema}` }),
        }),
      }),
    async cleanup() {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  });
  afterAll(async () => {
    for (const old of olds) await old.cleanup();
  });
  // The schema must exist before the old database is made in it.
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
}

describe.each(olds)('migrating an older database on $name', (old) => {
  it('keeps people and memberships and adds the site model', async () => {
    const raw = old.raw();
    const dialect = old.name === 'SQLite' ? 'sqlite' : 'postgres';
    const migrator = new Migrator({
      db: raw,
      // Kysely looks for its lock table in every schema unless told which one; with test files
      // running side by side, another file's schema would hold one and this migrator would skip
      // making its own.
      ...('schema' in old.location && old.location.schema && { migrationTableSchema: old.location.schema }),
      provider: {
        getMigrations: async () => ({
          '0001-people-credentials-events': { up: (db) => m0001.up(db, dialect), down: m0001.down },
          '0002-audit-log': { up: m0002.up, down: m0002.down },
        }),
      },
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const db = raw as Kysely<{
      people: Record<string, unknown>;
      person_groups: Record<string, unknown>;
    }>;
    await db
      .insertInto('people')
      .values({
        id: 'p1',
        name: 'Old',
        department: null,
        site: null,
        active: 1,
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    await db
      .insertInto('person_groups')
      .values([
        { person_id: 'p1', group_id: 'staff' },
        { person_id: 'p1', group_id: 'night' },
      ])
      .execute();
    await raw.destroy();

    const store = await openStore(old.location);
    try {
      const repos = repositories(store.db, new Uint8Array(32));
      expect(await repos.people.get('p1')).toMatchObject({
        name: 'Old',
        groups: ['night', 'staff'],
        leftAt: null,
      });
      expect((await repos.groups.list()).items.map((g) => g.id)).toEqual(['night', 'staff']);
      expect(await repos.areas.get('outside')).toBeDefined();
      const applied = await store.db
        .withTables<{ kysely_migration: { name: string } }>()
        .selectFrom('kysely_migration')
        .select('name')
        .orderBy('name')
        .execute();
      expect(applied.map((m) => m.name)).toContain('2026_11_22_0100_site_model');
    } finally {
      await store.close();
    }
    // Opening again applies nothing new.
    const again = await openStore(old.location);
    await again.close();
  });
});

// Features are built in parallel: an installation that ran a later-dated migration first must still
// take an earlier-dated one that arrives with an upgrade, instead of refusing to start.
describe('a migration dated before ones already applied', () => {
  it('is applied on the next start', async () => {
    const file = join(dir, 'unordered.db');
    const late = '2026_12_02_1535_scale_out_relay_mac';
    const all = await discoverMigrations('sqlite');
    expect(Object.keys(all)).toContain(late);
    const raw = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
    const withoutLate = Object.fromEntries(Object.entries(all).filter(([name]) => name !== late));
    const first = await new Migrator({
      db: raw,
      provider: { getMigrations: async () => withoutLate },
    }).migrateToLatest();
    expect(first.error).toBeUndefined();
    await raw.destroy();

    const store = await openStore({ sqliteFile: file });
    try {
      const status = await migrationStatus(store);
      expect(status.pending).toEqual([]);
      expect(status.applied).toContain(late);
      const columns = sqliteConnection(store.db)
        ?.prepare("SELECT name FROM pragma_table_info('cluster_messages')")
        .all();
      expect(columns).toContainEqual({ name: 'mac' });
    } finally {
      await store.close();
    }
  });
});
