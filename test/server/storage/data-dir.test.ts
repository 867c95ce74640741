// Rule: the data directory holds card numbers, password hashes, keys and the audit log: it is 0700
// and every file in it 0600 from the first start (SQLite's -wal and -shm files too). At every start
// the server checks: modes that are too open are fixed with a warning; a directory or file owned by
// another user is refused (someone else controls it).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { secureDataDir } from '../../../src/server/storage/data-dir.ts';
import { openStore } from '../../../src/server/storage/db.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('data directory permissions', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'monban-perm-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates the directory 0700 and the database with its -wal and -shm files 0600', async () => {
    const dir = join(root, 'data');
    expect(secureDataDir(dir)).toEqual([]);
    const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    try {
      await store.db.selectFrom('people').selectAll().execute();
      expect(mode(dir)).toBe(0o700);
      for (const file of ['monban.db', 'monban.db-wal', 'monban.db-shm'])
        expect(mode(join(dir, file)), file).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it('fixes modes that are too open, with a warning naming each path', () => {
    const dir = join(root, 'data');
    mkdirSync(join(dir, 'tls'), { recursive: true });
    writeFileSync(join(dir, 'monban.db'), '');
    writeFileSync(join(dir, 'tls', 'server.key'), '');
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'tls'), 0o755);
    chmodSync(join(dir, 'monban.db'), 0o644);
    chmodSync(join(dir, 'tls', 'server.key'), 0o666);
    const warnings = secureDataDir(dir);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toContain('was 0755, now 0700');
    expect([mode(dir), mode(join(dir, 'tls'))]).toEqual([0o700, 0o700]);
    expect([mode(join(dir, 'monban.db')), mode(join(dir, 'tls', 'server.key'))]).toEqual([0o600, 0o600]);
    expect(secureDataDir(dir)).toEqual([]);
  });
});
