// The PostgreSQL backup as docs/operations.md tells it: `monban backup` first (the key material and
// checkpoints of the data directory), `pg_dump` second; into a new database with `pg_restore`, and
// `monban restore --database-url` puts the keys back and verifies the chains against it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { anchorFileIn, anchorKeys, writeCheckpoint } from '../../../src/server/audit/anchors.ts';
import { recordAudit } from '../../../src/server/audit/store.ts';
import { openStore } from '../../../src/server/storage/db.ts';
import { loadOrCreateInstallationKey } from '../../../src/server/storage/installation-key.ts';
import { cli } from './run-cli.ts';

const PG_URL = process.env.MONBAN_TEST_DATABASE_URL;
const hasTools = (() => {
  try {
    execFileSync('pg_dump', ['--version']);
    execFileSync('pg_restore', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

const work = mkdtempSync(join(tmpdir(), 'monban-pgbackup-'));
const suffix = randomBytes(5).toString('hex');
const databases = [`monban_bk_src_${suffix}`, `monban_bk_dst_${suffix}`];
const urlOf = (name: string) => {
  const url = new URL(PG_URL ?? 'postgres://localhost/postgres');
  url.pathname = `/${name}`;
  return url.toString();
};

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  if (!PG_URL) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.end();
});

describe.skipIf(!PG_URL || !hasTools)('PostgreSQL backup (pg_dump + key archive)', () => {
  it('backs up keys, dumps, restores both, and the chains verify', async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    for (const name of databases) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const [source, restored] = databases.map(urlOf) as [string, string];

    const dataDir = join(work, 'data');
    const key = loadOrCreateInstallationKey(dataDir);
    const keys = anchorKeys(key);
    const store = await openStore({ postgresUrl: source });
    for (let i = 0; i < 5; i++)
      await recordAudit(store.db, keys.audit, {
        at: Date.now(),
        actor: 'system',
        source: 'local',
        action: 'test.record',
        target: `thing:${i}`,
        detail: {},
      });
    await writeCheckpoint(store.db, keys, anchorFileIn(dataDir), Date.now());
    await store.close();

    const passFile = join(work, 'pass.txt');
    writeFileSync(passFile, 'vault lantern 42 harbour mist\n', { mode: 0o600 });
    const archive = join(work, 'keys.mbk');
    const backup = await cli([
      'backup',
      '--out',
      archive,
      '--data-dir',
      dataDir,
      '--database-url',
      source,
      '--passphrase-file',
      passFile,
    ]);
    expect(backup.out).toContain('the PostgreSQL database is not in it: dump it with pg_dump');
    expect(backup.code).toBe(0);
    const dump = join(work, 'monban.pgdump');
    execFileSync('pg_dump', ['--format=custom', `--file=${dump}`, source]);
    execFileSync('pg_restore', ['--no-owner', `--dbname=${restored}`, dump]);

    const target = join(work, 'restored');
    const restore = await cli([
      'restore',
      archive,
      '--data-dir',
      target,
      '--database-url',
      restored,
      '--passphrase-file',
      passFile,
    ]);
    // 5 records, and the backup's own record written after the checkpoint
    expect(restore.out).toContain('audit log intact: 6 audit record(s)');
    expect(restore.code).toBe(0);
  }, 120_000);
});
