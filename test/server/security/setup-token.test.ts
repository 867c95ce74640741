// Rule: there are no default credentials. With no admin, the first start prints a one-time setup
// token to the console (not the log); it is stored only hashed, expires, works exactly once (also
// under concurrent use), and only while no admin exists; a new start replaces an unused token.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/server/auth/secrets.ts';
import { ensureFirstAdminSetup } from '../../../src/server/auth/setup.ts';
import { type Harness, startHarness, strongPassword } from './support/harness.ts';

describe('first-admin setup token', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function issue() {
    const printed: string[] = [];
    const result = await ensureFirstAdminSetup(h.db, h.app.log as never, {
      clock: h.clock,
      print: (line) => printed.push(line),
    });
    if (result) h.scanner.secret('setup token', result.token);
    return { result, printed: printed.join('\n') };
  }

  function setup(
    token: string,
    username = 'first-admin',
    password = h.scanner.secret('admin password', strongPassword()),
  ) {
    return h.inject({ method: 'POST', url: '/api/auth/setup', payload: { token, username, password } });
  }

  it('prints a token to the console only, stores only its hash, and it creates the first admin once', async () => {
    const { result, printed } = await issue();
    expect(result).toBeDefined();
    const token = result!.token;
    expect(printed).toContain(token);
    const stored = await h.db.selectFrom('setup_tokens').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).toBe(sha256Hex(token));
    expect(JSON.stringify(stored)).not.toContain(token);

    const created = await setup(token);
    expect(created.statusCode).toBe(201);
    expect(created.json().operator).toMatchObject({ username: 'first-admin', role: 'admin' });
    const again = await setup(token, 'second-admin');
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('SETUP_TOKEN_INVALID');
    expect(await issue()).toEqual({ result: undefined, printed: '' });
  });

  it('works once under concurrent use', async () => {
    const { result } = await issue();
    const responses = await Promise.all([1, 2, 3, 4].map((i) => setup(result!.token, `admin-${i}`)));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 401, 401, 401]);
    expect(await h.db.selectFrom('operators').select('id').execute()).toHaveLength(1);
  });

  it('expires, and a new start replaces an unused token', async () => {
    const first = (await issue()).result!.token;
    const second = (await issue()).result!.token;
    expect((await setup(first)).statusCode).toBe(401);
    h.clock.advance(24 * 3_600_000);
    expect((await setup(second)).statusCode).toBe(401);
    const third = (await issue()).result!.token;
    expect((await setup(third)).statusCode).toBe(201);
  });

  it('refuses a weak password without using up the token', async () => {
    const { result } = await issue();
    const weak = await setup(result!.token, 'first-admin', 'password1234');
    expect(weak.statusCode).toBe(400);
    expect(weak.json().error.code).toBe('PASSWORD_TOO_COMMON');
    expect((await setup(result!.token)).statusCode).toBe(201);
  });

  it('logs that a token was printed, never the token', async () => {
    await issue();
    expect(h.scanner.logLines.some((line) => line.includes('setup token was printed'))).toBe(true);
  });
});
