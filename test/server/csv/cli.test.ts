// Rule: `monban import` and `monban export` work on a real data directory: the kind comes from the
// header, Shift_JIS is detected, errors list row and column and exit 1 with nothing written, PINs
// are never printed, progress goes to stderr (plain lines when not on a terminal).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import iconv from 'iconv-lite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { registerExportCommand } from '../../../src/cli/commands/export.ts';
import { registerImportCommand } from '../../../src/cli/commands/import.ts';
import { DataDirLock } from '../../../src/server/data-dir-lock.ts';
import { openStore } from '../../../src/server/storage/db.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-csv-cli-'));
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const io = {
    stdout: {
      write(s: string | Uint8Array) {
        out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8');
        return true;
      },
    },
    stderr: {
      isTTY: false,
      write(s: string | Uint8Array) {
        err += String(s);
        return true;
      },
    } as unknown as NodeJS.WritableStream & { isTTY?: boolean },
  };
  const program = new Command('monban').exitOverride();
  registerImportCommand(program, io);
  registerExportCommand(program, io);
  await program.parseAsync([...args, '--data-dir', dataDir], { from: 'user' });
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { out, err, code };
}

describe('monban import / export', () => {
  it('imports a Shift_JIS people file, then credentials, with progress lines', async () => {
    const people = join(dir, '社員.csv');
    writeFileSync(
      people,
      iconv.encode('社員番号,氏名,部署\r\nE1,渡邉 健,総務部\r\nE2,斎藤 茂,開発部\r\n', 'cp932'),
    );
    const first = await run('import', people);
    expect(first.code).toBe(0);
    expect(first.out).toContain('imported 2 people row(s): 2 created, 0 updated (shift_jis)');
    expect(first.err).toContain('importing people: writing 2/2 rows');

    const credentials = join(dir, 'cards.csv');
    writeFileSync(credentials, 'id,personId,type,identifier,pin\nC1,E1,card,0001,2468\nC2,E2,pin,,97531\n');
    const second = await run('import', credentials);
    expect(second.out).toContain('imported 2 credentials row(s)');
  });

  it('lists every error, writes nothing, exits 1, and never prints a PIN', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'id,personId,type,identifier,pin\nC3,E1,card,0003,13579x\nC4,E9,card,0004,\n');
    const result = await run('import', bad, '--kind', 'credentials');
    expect(result.code).toBe(1);
    expect(result.err).toContain('2 error(s); nothing was imported');
    expect(result.err).toContain('row 2, column pin: must be 4 to 12 digits');
    expect(result.err).not.toContain('13579');
    const again = await run('import', bad.replace('bad', 'bad'), '--kind', 'credentials', '--json');
    expect(JSON.parse(again.out)).toMatchObject({ ok: false, created: 0 });
  });

  it('audits a direct import as the CLI user, and refuses while a server holds the data directory', async () => {
    const store = await openStore({ sqliteFile: join(dataDir, 'monban.db') });
    const rows = await store.db
      .selectFrom('audit_log')
      .select(['actor', 'source', 'action'])
      .where('target', '=', 'person:E1')
      .execute();
    await store.close();
    expect(rows).toEqual([{ actor: expect.stringMatching(/^cli:/), source: 'cli', action: 'person.create' }]);

    const people = join(dir, 'more.csv');
    writeFileSync(people, 'id,name\nE3,Ito\n');
    const server = DataDirLock.acquire(dataDir, 'serve');
    server.update({ url: 'https://127.0.0.1:1' });
    const saved = process.env.MONBAN_API_TOKEN;
    delete process.env.MONBAN_API_TOKEN;
    try {
      const refused = await run('import', people);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(
        /monban serve \(pid \d+, https:\/\/127\.0\.0\.1:1\) is running on this data directory/,
      );
      expect(refused.err).toContain('MONBAN_API_TOKEN');
    } finally {
      server.release();
      if (saved !== undefined) process.env.MONBAN_API_TOKEN = saved;
    }
    // Nothing was written behind the server's back.
    const after = await openStore({ sqliteFile: join(dataDir, 'monban.db') });
    expect(await after.db.selectFrom('people').select('id').where('id', '=', 'E3').execute()).toEqual([]);
    await after.close();
  });

  it('refuses an unknown encoding name', async () => {
    expect((await run('import', join(dir, 'x.csv'), '--encoding', 'latin9')).code).toBe(2);
  });

  it('exports people and credentials without PINs, for Excel on request', async () => {
    const out = join(dir, 'people-out.csv');
    const result = await run('export', 'people', '--out', out, '--bom');
    expect(result.err).toContain('exported 2 people row(s)');
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('\uFEFFid,name,department')).toBe(true);
    expect(text).toContain('E1,渡邉 健,総務部');
    const credentials = await run('export', 'credentials');
    expect(credentials.out).toContain('C1,E1,card,0001,,,active');
    expect(credentials.out).not.toContain('2468');
    expect(credentials.out).not.toContain('97531');
    const sjis = join(dir, 'people-sjis.csv');
    await run('export', 'people', '--out', sjis, '--encoding', 'shift_jis');
    expect(iconv.decode(readFileSync(sjis), 'cp932')).toContain('斎藤 茂');
  });
});
