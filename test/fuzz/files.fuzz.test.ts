// Rule (issue 10 §3): files from outside never crash the server or leave half a change. CSV imports
// of random, hostile and malformed files (people and credentials; UTF-8, Shift_JIS and garbage bytes;
// scoped and unscoped; dry runs) always answer with a report, change nothing unless the whole file is
// good, export formula-safe cells, and re-importing an export changes nothing. Scenario files mutated
// at random are either run or refused with a ScenarioError, never anything else. Bounded in CI;
// `npm run fuzz` runs them long.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../../src/scenario/load.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { CREDENTIAL_COLUMNS, credentialsCsv } from '../../src/server/csv/credentials.ts';
import { collect, exportCredentials, exportPeople } from '../../src/server/csv/export.ts';
import { type CsvKind, importCsv } from '../../src/server/csv/import.ts';
import { PEOPLE_COLUMNS, peopleCsv } from '../../src/server/csv/people.ts';
import { parseCsv } from '../../src/server/csv/rfc4180.ts';
import { openStore, type Store } from '../../src/server/storage/db.ts';
import { repositories } from '../../src/server/storage/index.ts';
import { FUZZ_SLACK_MS, fuzzBudgetMs, fuzzSeed } from './budget.ts';

const KEY = Buffer.alloc(32, 5);
const CELLS = [
  'p-1',
  'p-2',
  'P-3',
  'ＰＥＲＳＯＮ',
  'c-1',
  '',
  ' ',
  'sales',
  'tokyo',
  'staff',
  'true',
  'false',
  '有効',
  'card',
  'pin',
  'mobile',
  'revoked',
  '2026-04-01 09:00',
  '2026/4/1',
  '2026-02-30',
  '12345678',
  '1234',
  '=HYPERLINK("http://x","y")',
  "'=quoted",
  '+1',
  '-2',
  '@SUM(A1)',
  'a,b',
  'say "hi"',
  'line\nbreak',
  'x\u202Ey',
  'tab\tin',
  '\u0000',
  '山田 太郎',
  '㈱髙',
  'a'.repeat(300),
  'staff;staff',
  'level-1',
];

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

const fileArb = (columns: readonly { name: string; aliases?: readonly string[] }[]) =>
  fc.record({
    header: fc.subarray(columns.flatMap((c) => [c.name, ...(c.aliases ?? [])]).concat(['unknown', '']), {
      minLength: 1,
    }),
    rows: fc.array(fc.array(fc.constantFrom(...CELLS), { minLength: 0, maxLength: 12 }), { maxLength: 30 }),
    eol: fc.constantFrom('\r\n', '\n', '\r'),
    encoding: fc.constantFrom('utf-8', 'shift_jis', 'garbage'),
    dryRun: fc.boolean(),
    scoped: fc.boolean(),
    noise: fc.uint8Array({ maxLength: 64 }),
  });

describe('file fuzzers', () => {
  let dir: string;
  let store: Store;
  const seed = fuzzSeed();

  async function digest(): Promise<string> {
    const hash = createHash('sha256');
    for (const table of ['people', 'person_groups', 'person_levels', 'credentials'] as const)
      hash.update(JSON.stringify(await store.db.selectFrom(table).selectAll().execute()));
    return hash.digest('hex');
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-file-fuzz-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    const repos = repositories(store.db, KEY);
    await repos.groups.create({ id: 'staff', name: 'Staff', description: null, levels: [] }, 1);
    await repos.people.create({ id: 'p-1', name: 'Yamada', department: 'sales', site: 'tokyo' }, 1);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [name, spec, columns] of [
    ['people', peopleCsv, PEOPLE_COLUMNS],
    ['credentials', credentialsCsv, CREDENTIAL_COLUMNS],
  ] as const)
    it(`CSV ${name}: a report every time, all or nothing, formula-safe exports that re-import as no change (seed ${seed})`, {
      timeout: fuzzBudgetMs(10) + FUZZ_SLACK_MS,
    }, async () => {
      const deadline = Date.now() + fuzzBudgetMs(10);
      await fc.assert(
        fc.asyncProperty(fileArb(columns), async (file) => {
          const text =
            [file.header, ...file.rows].map((r) => r.map(csvField).join(',')).join(file.eol) + file.eol;
          const bytes =
            file.encoding === 'garbage'
              ? Buffer.concat([Buffer.from(text), Buffer.from(file.noise)])
              : file.encoding === 'shift_jis'
                ? iconv.encode(text, 'shift_jis')
                : Buffer.from(text);
          const before = await digest();
          const report = await importCsv(spec as CsvKind<unknown>, store.db, KEY, bytes, {
            dryRun: file.dryRun,
            now: 2,
            ...(file.scoped && { scope: { departments: ['sales'], sites: [] } }),
          });
          expect(typeof report.ok).toBe('boolean');
          if (!report.ok || file.dryRun) expect(await digest()).toBe(before);
          if (report.ok && !file.dryRun) {
            const repos = repositories(store.db, KEY);
            const exported = await collect(
              name === 'people' ? exportPeople(repos) : exportCredentials(repos),
            );
            for (const record of parseCsv(exported.replace(/^\uFEFF/, '')).slice(1))
              for (const field of record.fields) expect(field).not.toMatch(/^[=+\-@\t\r]/);
            const again = await importCsv(spec as CsvKind<unknown>, store.db, KEY, Buffer.from(exported), {
              now: 3,
              givenPinCodes: true,
            });
            expect(again).toMatchObject({ ok: true, created: 0 });
          }
        }),
        {
          seed,
          numRuns: 1_000_000,
          interruptAfterTimeLimit: Math.max(1, deadline - Date.now()),
          markInterruptAsFailure: false,
        },
      );
    });

  it(`scenario files mutated at random are run or refused, never crash (seed ${seed})`, {
    timeout: fuzzBudgetMs(10) + FUZZ_SLACK_MS,
  }, () => {
    const folder = new URL('../../scenarios/', import.meta.url).pathname;
    const files = readdirSync(folder)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(join(folder, f), 'utf8'));
    const hostile = [
      '',
      'null',
      '[]',
      '{',
      '- - -',
      '&a [*a, *a]',
      '!!js/function x',
      '"\\ud800"',
      '99999999999999999999',
      '-1',
      '~',
      'pin:',
      '2026-13-45T99:99',
      'x'.repeat(5000),
    ];
    const deadline = Date.now() + fuzzBudgetMs(10);
    fc.assert(
      fc.property(
        fc.nat(files.length - 1),
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom('delete', 'duplicate', 'replace', 'swap'),
            fc.constantFrom(...hostile),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (which, edits) => {
          const lines = files[which]!.split('\n');
          for (const [at, kind, value] of edits) {
            const i = at % Math.max(1, lines.length);
            if (kind === 'delete') lines.splice(i, 1);
            else if (kind === 'duplicate') lines.splice(i, 0, lines[i] ?? '');
            else if (kind === 'swap') [lines[i], lines[0]] = [lines[0] ?? '', lines[i] ?? ''];
            else lines[i] = (lines[i] ?? '').replace(/:\s.*$/, `: ${value}`);
          }
          try {
            runScenario(loadScenario(lines.join('\n'), 'fuzz.yaml'));
          } catch (error) {
            if (!(error instanceof ScenarioError)) throw error;
          }
        },
      ),
      {
        seed,
        numRuns: 1_000_000,
        interruptAfterTimeLimit: Math.max(1, deadline - Date.now()),
        markInterruptAsFailure: false,
      },
    );
  });
});
