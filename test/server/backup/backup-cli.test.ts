// `monban backup` / `monban restore` on a live data directory: a real server stack (the security
// harness) keeps writing audit records while the backup runs; the archive restores into a new data
// directory whose audit and event chains pass `monban audit verify`. A wrong passphrase, a changed
// byte, a truncated archive and a non-empty target are each refused with a clear message, and
// nothing is restored from them.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '../../../src/server/storage/events.ts';
import { type Harness, startHarness } from '../security/support/harness.ts';
import { cli } from './run-cli.ts';

const PASSPHRASE = 'vault lantern 42 harbour mist';

const work = mkdtempSync(join(tmpdir(), 'monban-backup-'));
let h: Harness;
let archive: string;
let passFile: string;

beforeAll(async () => {
  h = await startHarness();
  const { agent: admin } = await h.loggedInAdmin();
  for (let i = 0; i < 5; i++)
    await admin.post('/api/people', { id: `person-${i}`, name: `Person ${i}`, department: 'sales' });
  const events = new EventStore(h.store.db, h.app.security.ctx.anchorKeys.events);
  await events.append(
    Array.from({ length: 20 }, (_, i) => ({
      controllerId: 'ctl-a',
      seq: 1 + i,
      at: h.clock.now() + i,
      type: 'access',
      door: 'D1',
      personId: `person-${i % 5}`,
      detail: { result: 'grant' },
    })),
  );
  await h.checkpoint();
  archive = join(work, `backup.mbk`);
  passFile = join(work, `pass.txt`);
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

describe('monban backup and restore', () => {
  it('backs up while the server writes, and the restore passes audit verify', async () => {
    // The server keeps working during the backup: audit records and a checkpoint land meanwhile.
    const { agent: admin } = await h.loggedInAdmin('admin2');
    const busy = (async () => {
      for (let i = 0; i < 5; i++) {
        await admin.post('/api/people', { id: `late-${i}`, name: `Late ${i}`, department: 'sales' });
        await h.checkpoint();
      }
    })();
    const backup = await cli([
      'backup',
      '--out',
      archive,
      '--data-dir',
      h.dir,
      '--passphrase-file',
      passFile,
    ]);
    await busy;
    expect(backup.out).toMatch(/backup written: .*sha256 [0-9a-f]{64}/);
    expect(backup.code).toBe(0);
    expect(backup.out).toContain('installation.key');
    expect(backup.out).toContain('anchors/checkpoints.jsonl');
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    // Encrypted: neither the key nor a person's id is readable in the archive.
    const bytes = readFileSync(archive);
    const key = readFileSync(join(h.dir, 'installation.key'), 'utf8').trim();
    expect(bytes.includes(Buffer.from(key))).toBe(false);
    expect(bytes.includes(Buffer.from('person-1'))).toBe(false);
    expect(bytes.includes(Buffer.from('SQLite format 3'))).toBe(false);

    const target = join(work, `restored`);
    const restore = await cli(['restore', archive, '--data-dir', target, '--passphrase-file', passFile]);
    expect(restore.out).toContain('audit log intact');
    expect(restore.code).toBe(0);
    expect(readFileSync(join(target, 'installation.key'), 'utf8').trim()).toBe(key);
    expect(statSync(target).mode & 0o777).toBe(0o700);
    expect(statSync(join(target, 'monban.db')).mode & 0o777).toBe(0o600);

    const verify = await cli(['audit', 'verify', '--data-dir', target]);
    expect(verify.out).toMatch(/audit log intact: \d+ audit record\(s\), 20 event\(s\) of 1 controller/);
    expect(verify.code).toBe(0);

    const db = new BetterSqlite3(join(target, 'monban.db'), { readonly: true });
    try {
      const ids = (db.prepare('SELECT id FROM people ORDER BY id').all() as { id: string }[]).map(
        (r) => r.id,
      );
      expect(ids).toEqual(expect.arrayContaining(['person-0', 'person-4']));
      const audited = db
        .prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'backup.create'")
        .get() as {
        n: number;
      };
      expect(audited.n).toBe(1);
    } finally {
      db.close();
    }
  }, 120_000);

  it('refuses a wrong passphrase, and restores nothing', async () => {
    const wrong = join(work, `wrong.txt`);
    writeFileSync(wrong, 'not the passphrase at all 99\n', { mode: 0o600 });
    const target = join(work, `wrong-target`);
    const result = await cli(['restore', archive, '--data-dir', target, '--passphrase-file', wrong]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('wrong passphrase');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(work).some((n) => n.includes('restoring'))).toBe(false);
  }, 60_000);

  it('refuses a changed byte and a truncated archive, naming the damage', async () => {
    const original = readFileSync(archive);
    const changed = Buffer.from(original);
    changed[Math.floor(changed.length / 2)]! ^= 0x01;
    const changedFile = `${archive}.changed`;
    writeFileSync(changedFile, changed);
    const target = join(work, `tampered`);
    const result = await cli(['restore', changedFile, '--data-dir', target, '--passphrase-file', passFile]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/damaged or was altered: frame \d+ at byte \d+ does not authenticate/);
    expect(existsSync(target)).toBe(false);

    const cut = `${archive}.cut`;
    writeFileSync(cut, original);
    truncateSync(cut, original.length - 100);
    const truncated = await cli(['restore', cut, '--data-dir', target, '--passphrase-file', passFile]);
    expect(truncated.code).toBe(1);
    expect(truncated.out).toMatch(/damaged or was altered: .*truncated/);
    expect(existsSync(target)).toBe(false);
  }, 60_000);

  it('refuses a target that is not empty, before reading the archive', async () => {
    const target = join(work, `busy`);
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'mine');
    const result = await cli(['restore', archive, '--data-dir', target, '--passphrase-file', passFile]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('is not empty');
    expect(readdirSync(target)).toEqual(['keep.txt']);
  });

  it('refuses a weak passphrase and an existing output file', async () => {
    const weak = join(work, `weak.txt`);
    writeFileSync(weak, 'password\n', { mode: 0o600 });
    const out = `${archive}.weak`;
    const refused = await cli(['backup', '--out', out, '--data-dir', h.dir, '--passphrase-file', weak]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('refused: PASSWORD_TOO_SHORT');
    expect(existsSync(out)).toBe(false);
    const exists = await cli([
      'backup',
      '--out',
      archive,
      '--data-dir',
      h.dir,
      '--passphrase-file',
      passFile,
    ]);
    expect(exists.code).toBe(1);
    expect(exists.out).toContain('exists');
  });
});
