// Rule: `monban admin create` makes an account without any default password: the password is typed
// without echo at a terminal or piped on stdin, never taken from the command line and never printed,
// and it must pass the password policy. `monban admin recover` lifts a lockout and resets second
// factors from the server host, for the case where no other admin can.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AdminCommandIO, registerAdminCommand } from '../../../src/cli/commands/admin.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { openStore } from '../../../src/server/storage/db.ts';

const PASSWORD = 'hotaru-no-hikari-2026';

describe('monban admin', () => {
  let dir: string;
  let output: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-admin-cli-'));
    const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    process.exitCode = 0;
  });

  async function run(args: string[], stdin: AdminCommandIO['stdin']) {
    output = [];
    const program = new Command().exitOverride();
    program.configureOutput({ writeErr: (s) => output.push(s), writeOut: (s) => output.push(s) });
    registerAdminCommand(program, { stdin, prompt: (t) => output.push(t), out: (l) => output.push(l) });
    await program.parseAsync(['admin', ...args, '--data-dir', dir], { from: 'user' });
    return output.join('');
  }

  async function withDb<T>(fn: (db: ReturnType<typeof securityDb>) => Promise<T>): Promise<T> {
    const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    try {
      return await fn(securityDb(store.db));
    } finally {
      await store.close();
    }
  }

  it('creates an admin with a password piped on stdin, never printing it', async () => {
    const out = await run(['create', '--username', 'root-admin'], Readable.from([`${PASSWORD}\n`]));
    expect(out).toMatch(/created admin root-admin/);
    expect(out).not.toContain(PASSWORD);
    const row = await withDb((db) =>
      db
        .selectFrom('operators')
        .innerJoin('password_credentials', 'operator_id', 'operators.id')
        .selectAll()
        .executeTakeFirstOrThrow(),
    );
    expect(row).toMatchObject({ username: 'root-admin', role: 'admin' });
    expect(row.hash).toMatch(/^\$argon2id\$/);
  });

  it('prompts without echo at a terminal and asks twice', async () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => tty });
    const done = run(['create', '--username', 'second-admin'], tty);
    setImmediate(() => {
      tty.write(`${PASSWORD}x\u007f\r`);
      setImmediate(() => tty.write(`${PASSWORD}\r`));
    });
    const out = await done;
    expect(out).toContain('New password: ');
    expect(out).toContain('Repeat it: ');
    expect(out).toMatch(/created admin second-admin/);
    expect(out).not.toContain(PASSWORD);
  });

  it('refuses a weak password and a password given as an argument', async () => {
    const out = await run(['create', '--username', 'weak'], Readable.from(['qwertyuiop12\n']));
    expect(out).toContain('PASSWORD_TOO_COMMON');
    expect(process.exitCode).toBe(1);
    await expect(
      run(['create', '--username', 'x', '--password', PASSWORD], Readable.from([])),
    ).rejects.toThrow(/unknown option/);
  });

  it('recovers a locked-out admin: lock lifted, second factors reset, audited', async () => {
    await withDb(async (db) => {
      const op = await db
        .selectFrom('operators')
        .select('id')
        .where('username', '=', 'root-admin')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('login_throttle')
        .values({
          username: 'root-admin',
          failures: 5,
          locked_until: Date.now() + 900_000,
          last_failure_at: Date.now(),
        })
        .execute();
      await db
        .insertInto('totp_factors')
        .values({ operator_id: op.id, secret_enc: 'x.y.z', confirmed: 1, last_step: 1, created_at: 0 })
        .execute();
    });
    const out = await run(['recover', '--username', 'root-admin'], Readable.from([]));
    expect(out).toContain('recovered root-admin');
    await withDb(async (db) => {
      expect(await db.selectFrom('login_throttle').selectAll().execute()).toEqual([]);
      expect(await db.selectFrom('totp_factors').selectAll().execute()).toEqual([]);
      const audit = await db.selectFrom('audit_log').select(['action', 'actor']).execute();
      expect(audit).toContainEqual({ action: 'operator.recover', actor: 'cli' });
    });
  });

  it('issues no setup token once an admin exists', async () => {
    const out = await run(['setup-token'], Readable.from([]));
    expect(out).toContain('an administrator exists already');
  });

  it('links an account to its single sign-on identity and removes the link, audited', async () => {
    await run(['create', '--username', 'sso-admin'], Readable.from([`${PASSWORD}\n`]));
    const issuer = 'https://idp.example.jp/realms/monban';
    expect(
      await run(
        ['sso-link', '--username', 'sso-admin', '--subject', 'abc-123', '--issuer', issuer],
        Readable.from([]),
      ),
    ).toMatch(/sso-admin: linked to abc-123/);
    const linked = await withDb((db) =>
      db.selectFrom('operator_oidc_links').selectAll().where('subject', '=', 'abc-123').executeTakeFirst(),
    );
    expect(linked).toMatchObject({ issuer });
    expect(await run(['sso-link', '--username', 'sso-admin', '--issuer', issuer], Readable.from([]))).toMatch(
      /refused: give --subject/,
    );
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    await run(['sso-link', '--username', 'sso-admin', '--remove', '--issuer', issuer], Readable.from([]));
    const actions = await withDb((db) =>
      db.selectFrom('audit_log').select('action').where('target', '=', 'operator:sso-admin').execute(),
    );
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(['operator.oidc_link', 'operator.oidc_unlink']),
    );
    expect(await withDb((db) => db.selectFrom('operator_oidc_links').selectAll().execute())).toEqual([]);
  });
});
