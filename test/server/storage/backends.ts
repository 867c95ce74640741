// The storage backends every storage test runs on: a real SQLite file always, and the local
// PostgreSQL when MONBAN_TEST_DATABASE_URL is set (CI sets it), each in a fresh database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { openStore, type Store } from '../../../src/server/storage/db.ts';

const PG_URL = process.env.MONBAN_TEST_DATABASE_URL;

export interface Backend {
  name: string;
  open(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

export const backends: Backend[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'monban-store-'));
      const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
      return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];
if (PG_URL) {
  backends.push({
    name: 'PostgreSQL',
    async open() {
      const schema = `monban_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      const store = await openStore({ postgresUrl: PG_URL, schema });
      return {
        store,
        cleanup: async () => {
          await admin.query(`DROP SCHEMA ${schema} CASCADE`);
          await admin.end();
        },
      };
    },
  });
} else {
  describe('PostgreSQL storage', () => {
    it.skip('skipped: set MONBAN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres to run it', () => {});
  });
}
