// Rule: CSV import is all or nothing. A file with one bad row imports nothing and reports that row
// (row, column, reason), never echoing a PIN. UTF-8 (with or without BOM) and Shift_JIS/CP932 files
// from Japanese Excel import the same. An export imports back without changing anything. On every
// storage backend (SQLite always, PostgreSQL when MONBAN_TEST_DATABASE_URL is set).
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsCsv } from '../../../src/server/csv/credentials.ts';
import { decodeCsv } from '../../../src/server/csv/decode.ts';
import { collect, exportCredentials, exportPeople } from '../../../src/server/csv/export.ts';
import { importCsv } from '../../../src/server/csv/import.ts';
import { peopleCsv } from '../../../src/server/csv/people.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { type Repositories, repositories } from '../../../src/server/storage/index.ts';
import { backends } from '../storage/backends.ts';

const KEY = new Uint8Array(32).fill(9);
const NOW = Date.parse('2026-04-01T00:00:00Z');
const utf8 = (s: string) => new TextEncoder().encode(s);

describe.each(backends)('CSV import and export on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let repos: Repositories;
  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
    repos = repositories(store.db, KEY);
    await repos.groups.create({ id: 'staff', name: 'Staff', description: null, levels: [] }, NOW);
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  const snapshot = async () =>
    JSON.stringify([
      await store.db.selectFrom('people').selectAll().orderBy('id').execute(),
      await store.db
        .selectFrom('person_groups')
        .selectAll()
        .orderBy('person_id')
        .orderBy('group_id')
        .execute(),
      await store.db.selectFrom('credentials').selectAll().orderBy('id').execute(),
    ]);

  it('imports a Shift_JIS (CP932) file with Japanese headers and text', async () => {
    const text = [
      '社員番号,氏名,部署,拠点,在籍,グループ',
      'J-001,髙橋 一郎,営業部,東京本社,有効,staff',
      'J-002,"山田, 花子",㈱開発部①,大阪,無効,',
      '',
    ].join('\r\n');
    const bytes = iconv.encode(text, 'cp932');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    const report = await importCsv(peopleCsv, store.db, KEY, bytes, { now: NOW });
    expect(report).toMatchObject({
      ok: true,
      encoding: 'shift_jis',
      rows: 2,
      created: 2,
      updated: 0,
      errors: [],
    });
    expect(await repos.people.get('J-001')).toMatchObject({
      name: '髙橋 一郎',
      department: '営業部',
      site: '東京本社',
      active: true,
      groups: ['staff'],
    });
    expect(await repos.people.get('J-002')).toMatchObject({
      name: '山田, 花子',
      department: '㈱開発部①',
      active: false,
    });
  });

  it('imports UTF-8 with a BOM and with --encoding given', async () => {
    const text = '\uFEFFid,name,department\r\nU-1,石田 三成,総務\r\n';
    const report = await importCsv(peopleCsv, store.db, KEY, utf8(text), { now: NOW });
    expect(report).toMatchObject({ ok: true, encoding: 'utf-8', created: 1 });
    const sjis = await importCsv(
      peopleCsv,
      store.db,
      KEY,
      iconv.encode('id,name\r\nU-2,伊達 政宗\r\n', 'cp932'),
      {
        encoding: 'shift_jis',
        now: NOW,
      },
    );
    expect(sjis).toMatchObject({ ok: true, created: 1 });
    expect((await repos.people.get('U-2'))?.name).toBe('伊達 政宗');
    expect(decodeCsv(utf8('a,b'), 'auto').encoding).toBe('utf-8');
  });

  it('imports nothing when one row is bad, and names that row and column', async () => {
    const before = await snapshot();
    const text = [
      'id,name,department,groups',
      'B-1,Good One,sales,staff',
      'B-2,Good Two,sales,',
      'B-3,,sales,', // no name
      'B-4,Good Four,sales,ghosts',
      '',
    ].join('\r\n');
    const report = await importCsv(peopleCsv, store.db, KEY, utf8(text), { now: NOW });
    expect(report.ok).toBe(false);
    // One run lists every problem: the format error and the unknown group found in the database.
    expect(report.errors).toEqual([
      { row: 4, line: 4, column: 'name', reason: 'must not be empty' },
      { row: 5, line: 5, column: 'groups', reason: "no group 'ghosts'" },
    ]);
    expect(await snapshot()).toBe(before);
    const second = await importCsv(peopleCsv, store.db, KEY, utf8(text.replace('B-3,,', 'B-3,Three,')), {
      now: NOW,
    });
    expect(second.errors).toEqual([{ row: 5, line: 5, column: 'groups', reason: "no group 'ghosts'" }]);
    expect(await snapshot()).toBe(before);
  });

  it('reports header problems, ragged rows, duplicates and quoting errors', async () => {
    const run = async (text: string) =>
      (await importCsv(peopleCsv, store.db, KEY, utf8(text), { now: NOW })).errors;
    expect(await run('id,nom\r\nx,y\r\n')).toEqual([
      expect.objectContaining({ row: 1, column: 'nom', reason: expect.stringContaining('unknown column') }),
      expect.objectContaining({ row: 1, column: 'name', reason: 'required column is missing' }),
    ]);
    expect(await run('id,name\r\nx,y,z\r\n')).toEqual([expect.objectContaining({ row: 2, column: null })]);
    expect(await run('id,name\r\nx,one\r\nx,two\r\n')).toEqual([
      expect.objectContaining({ row: 3, column: 'id', reason: 'the same id as row 2' }),
    ]);
    expect(await run('id,name\r\nx,"broken\r\n')).toEqual([expect.objectContaining({ row: 2, line: 2 })]);
    expect(await run('')).toEqual([
      expect.objectContaining({ row: 1, reason: expect.stringContaining('empty') }),
    ]);
    expect(await run('id,name\r\nx,y\r\n\r\n')).toEqual([]);
  });

  it('imports credentials; PIN errors never echo the PIN; a dry run writes nothing', async () => {
    const secret = '90817263';
    const bad = [
      'id,personId,type,identifier,pin,validFrom',
      `K-1,J-001,card,C-9,${secret}x,2026/4/1 9:00`,
      '',
    ].join('\r\n');
    const refused = await importCsv(credentialsCsv, store.db, KEY, utf8(bad), { now: NOW });
    expect(refused.errors).toEqual([{ row: 2, line: 2, column: 'pin', reason: 'must be 4 to 12 digits' }]);
    expect(JSON.stringify(refused)).not.toContain(secret);

    const good = [
      'id,personId,type,identifier,pin,validFrom,validUntil,maxUses,state,label',
      `K-1,J-001,card,C-9,${secret},2026/4/1 9:00,2027-03-31T18:00:00+09:00,,active,社員証`,
      'K-2,J-002,pin,,55667788,,,3,,',
      '',
    ].join('\r\n');
    const overHttp = await importCsv(credentialsCsv, store.db, KEY, utf8(good), { now: NOW, dryRun: true });
    expect(overHttp.errors).toEqual([
      {
        row: 3,
        line: 3,
        column: 'pin',
        reason: 'PIN-only codes are issued by the server: leave this cell blank',
      },
      {
        row: 3,
        line: 3,
        column: 'type',
        reason: 'PIN-only credentials are created in the console or API, which issue their code',
      },
    ]);
    const host = { now: NOW, givenPinCodes: true };
    const dry = await importCsv(credentialsCsv, store.db, KEY, utf8(good), { ...host, dryRun: true });
    expect(dry).toMatchObject({ ok: true, dryRun: true, created: 2 });
    expect(await repos.credentials.get('K-1')).toBeUndefined();
    const report = await importCsv(credentialsCsv, store.db, KEY, utf8(good), host);
    expect(report).toMatchObject({ ok: true, created: 2 });
    expect(await repos.credentials.get('K-1')).toMatchObject({
      identifier: 'C-9',
      hasPin: true,
      validFrom: Date.parse('2026-04-01T00:00:00Z'),
      validUntil: Date.parse('2027-03-31T09:00:00Z'),
      label: '社員証',
    });
    expect(await repos.credentials.verifyPin('K-1', secret)).toBe('ok');
    expect((await repos.credentials.findPresented('pin', '55667788'))?.id).toBe('K-2');
    const rows = JSON.stringify(await store.db.selectFrom('credentials').selectAll().execute());
    expect(rows).not.toContain(secret);

    const taken = await importCsv(
      credentialsCsv,
      store.db,
      KEY,
      utf8('id,personId,type,identifier\r\nK-3,J-002,card,C-9\r\n'),
      { now: NOW },
    );
    expect(taken.errors).toEqual([
      { row: 2, line: 2, column: 'identifier', reason: 'another credential already holds this identifier' },
    ]);
    const samePin = await importCsv(
      credentialsCsv,
      store.db,
      KEY,
      utf8('id,personId,type,pin\r\nK-4,J-001,pin,55667788\r\n'),
      host,
    );
    expect(samePin.errors).toEqual([
      { row: 2, line: 2, column: 'pin', reason: 'another credential already has this PIN' },
    ]);
    expect(JSON.stringify(samePin)).not.toContain('55667788');
  });

  it('exports what it imports: re-importing an export changes nothing', async () => {
    const people = await collect(exportPeople(repos));
    const credentials = await collect(exportCredentials(repos));
    expect(people.split('\r\n')[0]).toBe('id,name,department,site,active,groups,levels,leftAt');
    expect(credentials).toContain(
      'K-1,J-001,card,C-9,,,active,2026-04-01T09:00:00+09:00,2027-03-31T18:00:00+09:00',
    );
    const before = await snapshot();
    const later = NOW + 3_600_000;
    const again = await importCsv(peopleCsv, store.db, KEY, utf8(people), { now: later });
    expect(again).toMatchObject({ ok: true, created: 0 });
    const againCredentials = await importCsv(credentialsCsv, store.db, KEY, utf8(credentials), {
      now: later,
    });
    expect(againCredentials).toMatchObject({ ok: true, created: 0 });
    // Only the update times moved.
    const strip = (s: string) => s.replace(/"updated_at":\d+/g, '');
    expect(strip(await snapshot())).toBe(strip(before));
  });

  it('makes Excel exports formula-safe and reads them back', async () => {
    await repos.people.create({ id: 'X-1', name: '=HYPERLINK("http://evil")', department: '+sales' }, NOW);
    const excel = await collect(exportPeople(repos, { bom: true }));
    expect(excel.startsWith('\uFEFF')).toBe(true);
    expect(excel).toContain(`X-1,"'=HYPERLINK(""http://evil"")",'+sales`);
    const report = await importCsv(peopleCsv, store.db, KEY, utf8(excel), { now: NOW });
    expect(report.ok).toBe(true);
    expect(await repos.people.get('X-1')).toMatchObject({
      name: '=HYPERLINK("http://evil")',
      department: '+sales',
    });
  });

  it('reports progress while writing', async () => {
    const lines = ['id,name', ...Array.from({ length: 50 }, (_, i) => `PR-${i},Person ${i}`)].join('\n');
    const progress: number[] = [];
    const report = await importCsv(peopleCsv, store.db, KEY, utf8(lines), {
      now: NOW,
      onProgress: (done, total) => {
        expect(total).toBe(50);
        progress.push(done);
      },
    });
    expect(report.created).toBe(50);
    expect(progress.at(-1)).toBe(50);
  });
});
