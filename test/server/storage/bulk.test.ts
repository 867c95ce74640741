// Rule: storage/bulk.ts writes and finds text exactly as given, whatever characters it holds. On
// PostgreSQL the rows and the keys travel as array literals that bulk.ts writes itself, so a quote,
// a backslash, a comma, a brace, the word NULL, an empty string or a non-ASCII name must come back
// unchanged, and a real null stay null. On every storage backend (SQLite always, PostgreSQL when
// MONBAN_TEST_DATABASE_URL is set).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE_COLUMNS } from '../../../src/server/imports/people-bulk.ts';
import { bulkInsert, selectByKeys } from '../../../src/server/storage/bulk.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { backends } from './backends.ts';

const COLUMNS = PEOPLE_COLUMNS;

const AWKWARD = [
  'O"Brien',
  'back\\slash',
  'both \\" at once',
  'a,b',
  '{braces}',
  'NULL',
  '',
  ' spaced ',
  '山田 太郎',
  'tab\there',
];

describe.each(backends)('bulk rows on $name', (backend) => {
  let opened: { store: Store; cleanup(): Promise<void> };

  beforeAll(async () => {
    opened = await backend.open();
  });
  afterAll(async () => {
    await opened.store.close();
    await opened.cleanup();
  });

  it('writes and finds every value as given', async () => {
    const { db } = opened.store;
    const rows = AWKWARD.map((text, i) => [
      `k${i}${text}`,
      text,
      i % 2 === 0 ? null : text,
      null,
      1,
      null,
      i,
      i,
    ]);
    await db.transaction().execute((tx) => bulkInsert(tx, 'people', COLUMNS, rows));
    const found = await selectByKeys(
      db,
      rows.map((r) => r[0] as string),
      (match) =>
        db.selectFrom('people').select(['id', 'name', 'department', 'site']).where(match('id')).execute(),
    );
    expect(found.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      rows
        .map((r) => ({ id: r[0], name: r[1], department: r[2], site: null }))
        .sort((a, b) => String(a.id).localeCompare(String(b.id))),
    );
    // A key that only looks like one of them finds nothing.
    expect(
      await selectByKeys(db, ['k5null', 'k0O\\"Brien'], (match) =>
        db.selectFrom('people').select('id').where(match('id')).execute(),
      ),
    ).toEqual([]);
  });

  it('upserts on a key, keeping what the update leaves out', async () => {
    const { db } = opened.store;
    await db.transaction().execute((tx) =>
      bulkInsert(tx, 'people', COLUMNS, [['k0O"Brien', 'changed "name"', 'x', 's', 0, 5, 99, 100]], {
        key: ['id'],
        update: ['name', 'updated_at'],
      }),
    );
    const row = await db
      .selectFrom('people')
      .selectAll()
      .where('id', '=', 'k0O"Brien')
      .executeTakeFirstOrThrow();
    expect({ name: row.name, department: row.department, created_at: Number(row.created_at) }).toEqual({
      name: 'changed "name"',
      department: null,
      created_at: 0,
    });
    expect(Number(row.updated_at)).toBe(100);
  });
});
