// Rule: `monban admin create` reads one line per prompt from piped input — the password, then
// optionally its repeat — and applies the API's password policy (the same function, the same codes).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerAdminCommand } from '../src/cli/commands/admin.ts';
import { securityDb } from '../src/server/auth/context.ts';
import { checkPasswordPolicy, verifyPassword } from '../src/server/auth/passwords.ts';
import { openStore } from '../src/server/storage/db.ts';

const PASSWORD = 'yuugure-no-kane-2026';

describe('monban admin create with piped input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-admin-piped-'));
    await (await openStore({ sqliteFile: join(dir, 'monban.db') })).close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    process.exitCode = 0;
  });

  async function create(username: string, piped: string[]): Promise<string> {
    const output: string[] = [];
    const program = new Command().exitOverride();
    registerAdminCommand(program, {
      stdin: Readable.from(piped),
      prompt: (t) => output.push(t),
      out: (l) => output.push(l),
    });
    await program.parseAsync(['admin', 'create', '--username', username, '--data-dir', dir], {
      from: 'user',
    });
    return output.join('');
  }

  async function storedHash(username: string): Promise<string | undefined> {
    const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    try {
      const row = await securityDb(store.db)
        .selectFrom('operators')
        .innerJoin('password_credentials', 'operator_id', 'operators.id')
        .select('hash')
        .where('username', '=', username)
        .executeTakeFirst();
      return row?.hash;
    } finally {
      await store.close();
    }
  }

  it('takes the password and its repeat, one line each (CRLF or LF)', async () => {
    const out = await create('piped-1', [`${PASSWORD}\r\n${PASSWORD}\r\n`]);
    expect(out).toContain('New password: ');
    expect(out).toContain('Repeat it: ');
    expect(out).toMatch(/created admin piped-1/);
    expect(out).not.toContain(PASSWORD);
    expect(await verifyPassword((await storedHash('piped-1'))!, PASSWORD)).toBe(true);
  });

  it('takes a single line, as scripts pipe it once', async () => {
    expect(await create('piped-2', [`${PASSWORD}\n`])).toMatch(/created admin piped-2/);
    expect(await verifyPassword((await storedHash('piped-2'))!, PASSWORD)).toBe(true);
  });

  it('refuses a repeat that differs, and nothing at all', async () => {
    await expect(create('piped-3', [`${PASSWORD}\n${PASSWORD}x\n`])).rejects.toThrow(/differ/);
    await expect(create('piped-4', [])).rejects.toThrow(/no password/);
    expect(await storedHash('piped-3')).toBeUndefined();
  });

  it('refuses what the API refuses, with the same code', async () => {
    for (const [password, username] of [
      ['short-one', 'piped-5'],
      ['qwertyuiop12', 'piped-6'],
      ['hoshizora-admin', 'hoshizora-admin'],
    ] as const) {
      const code = checkPasswordPolicy(password, { username, email: null });
      expect(code).toBeDefined();
      const out = await create(username, [`${password}\n${password}\n`]);
      expect(out).toContain(`refused: ${code}`);
      expect(out).not.toContain(password);
      expect(await storedHash(username)).toBeUndefined();
    }
  });

  it('works as a real process reading a pipe', () => {
    const run = spawnSync(
      process.execPath,
      ['bin/monban.js', 'admin', 'create', '--username', 'piped-cli', '--data-dir', dir],
      { input: `${PASSWORD}\n${PASSWORD}\n`, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/created admin piped-cli/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
  });
});
