// Rule: the audit log records every operator action and every login success and failure with actor,
// source address and time, as a hash chain: changing a record directly in the database is detected
// and the first tampered record is named, by the API (admins only) and by `monban audit verify`,
// which exits non-zero. Reading is filtered and paginated.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { verifyAuditChain } from '../../../src/server/audit/store.ts';
import { storageView } from '../../../src/server/auth/context.ts';
import { type Agent, type Harness, startHarness } from './support/harness.ts';

describe('audit chain', () => {
  let h: Harness;
  let admin: Agent;
  beforeEach(async () => {
    h = await startHarness();
    ({ agent: admin } = await h.loggedInAdmin());
    for (let i = 0; i < 3; i++)
      await admin.post('/api/fixture/people', { id: `person-${i}`, department: 'sales', site: 'tokyo' });
    await h.agent('198.51.100.4').login('admin', 'this-is-not-it-at-all');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  it('records actions and logins with actor, source and time, readable with filters and pages', async () => {
    const all = (await admin.get('/api/audit?limit=500')).json().items as {
      action: string;
      actor: string;
      source: string;
      at: number;
    }[];
    const actions = all.map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'login.password_accepted',
        'mfa.totp.enrolled',
        'login.success',
        'person.create',
        'login.failure',
      ]),
    );
    const failure = all.find((r) => r.action === 'login.failure')!;
    expect(failure).toMatchObject({ source: '198.51.100.4', at: new Date(h.clock.now()).toISOString() });

    const logins = (await admin.get('/api/audit?actionPrefix=login.')).json().items as { action: string }[];
    expect(logins.every((r) => r.action.startsWith('login.'))).toBe(true);
    const page1 = (await admin.get('/api/audit?limit=2')).json();
    expect(page1.items).toHaveLength(2);
    const page2 = (await admin.get(`/api/audit?limit=2&cursor=${page1.next}`)).json();
    expect(page2.items[0].id).toBe(page1.items[1].id - 1);
    expect((await admin.get('/api/audit?limit=0')).statusCode).toBe(400);
  });

  it('names the first record changed directly in SQLite, in the API and in `monban audit verify`', async () => {
    expect(await verifyAuditChain(storageView(h.db))).toMatchObject({ ok: true });
    const raw = new BetterSqlite3(join(h.dir, 'monban.db'));
    try {
      const target = raw
        .prepare("SELECT id FROM audit_log WHERE action = 'person.create' ORDER BY id LIMIT 1")
        .get() as { id: number };
      raw.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE id = ?").run(target.id);
      raw.prepare("UPDATE audit_log SET detail = '{}' WHERE id = ?").run(target.id + 2);

      const verdict = await verifyAuditChain(storageView(h.db));
      expect(verdict).toEqual({
        ok: false,
        records: target.id - 1,
        firstBad: target.id,
        problem: `record #${target.id} was changed after it was written`,
      });
      expect((await admin.get('/api/audit/verify')).json()).toMatchObject({ ok: false, firstBad: target.id });

      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
      const code = await main(['audit', 'verify', '--data-dir', h.dir]);
      expect(code).not.toBe(0);
      expect(printed.join('\n')).toContain(`record #${target.id}`);
    } finally {
      raw.close();
      process.exitCode = 0;
    }
  });

  it('detects a record removed from the middle', async () => {
    const raw = new BetterSqlite3(join(h.dir, 'monban.db'));
    try {
      raw.prepare('DELETE FROM audit_log WHERE id = 3').run();
    } finally {
      raw.close();
    }
    expect(await verifyAuditChain(storageView(h.db))).toMatchObject({
      ok: false,
      firstBad: 3,
      problem: 'record #3 is missing',
    });
  });
});
