// Rule: the import job's bulk switch for people (imports/people-bulk.ts through storage/bulk.ts:
// prepared statements on SQLite, unnest on PostgreSQL) writes exactly what writing each row through
// the service writes does (csv/import.ts importCsv → personWrites.upsert) and raises the same domain
// events in the same order — created; fields replaced; left and back; group and level lists replaced
// whole, a column left out keeping them — and a file naming a level that is gone changes nothing.
// On every storage backend (SQLite always, PostgreSQL when MONBAN_TEST_DATABASE_URL is set).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCsv } from '../../../src/server/csv/import.ts';
import { peopleCsv } from '../../../src/server/csv/people.ts';
import type { DomainEvent } from '../../../src/server/domain/events.ts';
import { runImportPipeline } from '../../../src/server/imports/pipeline.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { backends } from '../storage/backends.ts';

const KEY = new Uint8Array(32).fill(3);
const NOW = Date.parse('2026-04-01T00:00:00Z');
const utf8 = (s: string) => new TextEncoder().encode(s);

const FILES = [
  [
    'id,name,department,active,groups,levels',
    'p1,Aoki,Sales,true,staff,office',
    'p2,Baba,,true,staff;night,office;lab',
    'p3,Chiba,Lab,false,,lab',
  ],
  // Changes: a name, one who left, one back, lists replaced (or kept where the column is absent).
  [
    'id,name,active,levels',
    'p1,Aoki Ken,false,lab',
    'p2,Baba,true,',
    'p3,Chiba,true,lab;office',
    'p4,Doi,true,',
  ],
].map((lines) => utf8(`${lines.join('\n')}\n`));

describe.each(backends)('bulk people switch on $name', (backend) => {
  const opened: { store: Store; cleanup(): Promise<void> }[] = [];
  let bulk: Store;
  let rowByRow: Store;

  const seed = async (store: Store) => {
    const repos = repositories(store.db, KEY);
    for (const id of ['office', 'lab'])
      await repos.accessLevels.create(
        { id, name: id, doors: [], scheduleId: null, maxThreatLevel: null },
        NOW,
      );
    for (const id of ['staff', 'night'])
      await repos.groups.create({ id, name: id, description: null, levels: [] }, NOW);
  };
  const state = async (store: Store) => ({
    people: (await store.db.selectFrom('people').selectAll().orderBy('id').execute()).map((p) => ({
      ...p,
      active: Number(p.active),
      left_at: p.left_at === null ? null : Number(p.left_at),
      created_at: Number(p.created_at),
      updated_at: Number(p.updated_at),
    })),
    groups: await store.db
      .selectFrom('person_groups')
      .selectAll()
      .orderBy(['person_id', 'group_id'])
      .execute(),
    levels: await store.db
      .selectFrom('person_levels')
      .selectAll()
      .orderBy(['person_id', 'level_id'])
      .execute(),
  });

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) opened.push(await backend.open());
    [bulk, rowByRow] = opened.map((o) => o.store) as [Store, Store];
    await seed(bulk);
    await seed(rowByRow);
  });
  afterAll(async () => {
    for (const o of opened) {
      await o.store.close();
      await o.cleanup();
    }
  });

  it('writes the same rows and raises the same events as the row-by-row service writes', async () => {
    for (const file of FILES) {
      const fast = await runImportPipeline('people', bulk.db, KEY, file, { now: NOW, jobId: 'job-1' });
      const events: DomainEvent[] = [];
      const slow = await importCsv(peopleCsv, rowByRow.db, KEY, file, {
        now: NOW,
        raise: (e) => events.push(e),
      });
      expect(fast.report.errors).toEqual([]);
      expect(slow.errors).toEqual([]);
      expect([fast.report.created, fast.report.updated]).toEqual([slow.created, slow.updated]);
      expect(fast.events).toEqual(events);
      expect(await state(bulk)).toEqual(await state(rowByRow));
    }
    const after = await state(bulk);
    expect(after.people.find((p) => p.id === 'p1')).toMatchObject({ name: 'Aoki Ken', active: 0 });
    // p1's groups were not in the second file: kept; its levels were: replaced.
    expect(after.groups.filter((g) => g.person_id === 'p1').map((g) => g.group_id)).toEqual(['staff']);
    expect(after.levels.filter((l) => l.person_id === 'p1').map((l) => l.level_id)).toEqual(['lab']);
  });

  it('refuses a file naming a level that does not exist, with its row, and changes nothing', async () => {
    const before = await state(bulk);
    const result = await runImportPipeline(
      'people',
      bulk.db,
      KEY,
      utf8('id,name,levels\np9,Nine,office\np10,Ten,gone\n'),
      { now: NOW, jobId: 'job-2' },
    );
    expect(result.report.ok).toBe(false);
    expect(result.report.errors).toEqual([
      { row: 3, line: 3, column: 'levels', reason: "no access level 'gone'" },
    ]);
    expect(await state(bulk)).toEqual(before);
  });
});
