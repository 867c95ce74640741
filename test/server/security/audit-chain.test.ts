// Rule: the audit log records every operator action and every login success and failure with actor,
// source address and time. It and every controller's access-event history are keyed MAC chains under
// a key derived from the installation key (not in the database), anchored by signed checkpoints in an
// append-only file outside it: editing, reordering, removing from the middle, truncating, or deleting
// every record of either chain is detected by `monban audit verify` and the API (admins only), which
// list every broken span, not only the first, and exit non-zero.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { EventStore } from '../../../src/server/storage/events.ts';
import { type Agent, type Harness, startHarness } from './support/harness.ts';

describe('tamper-evident records', () => {
  let h: Harness;
  let admin: Agent;
  let raw: BetterSqlite3.Database;
  beforeEach(async () => {
    h = await startHarness();
    ({ agent: admin } = await h.loggedInAdmin());
    for (let i = 0; i < 3; i++)
      await admin.post('/api/fixture/people', { id: `person-${i}`, department: 'sales', site: 'tokyo' });
    await h.agent('198.51.100.4').login('admin', 'this-is-not-it-at-all');
    const events = new EventStore(h.store.db, h.app.security.ctx.anchorKeys.events);
    for (const controllerId of ['ctl-a', 'ctl-b'])
      await events.append(
        Array.from({ length: 10 }, (_, i) => ({
          controllerId,
          seq: 100 + i,
          at: h.clock.now() + i,
          type: 'access',
          door: 'D1',
          personId: `person-${i % 3}`,
          detail: { result: 'grant' },
        })),
      );
    await h.checkpoint();
    raw = new BetterSqlite3(join(h.dir, 'monban.db'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    raw.close();
    process.exitCode = 0;
    await h.close();
  });

  async function cli(): Promise<{ code: number; out: string }> {
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    const code = await main(['audit', 'verify', '--data-dir', h.dir]);
    spy.mockRestore();
    const result = { code: code || Number(process.exitCode ?? 0), out: printed.join('\n') };
    process.exitCode = 0;
    return result;
  }

  const auditCount = () => (raw.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;

  it('records actions and logins with actor, source and time, readable with filters and pages', async () => {
    const all = (await admin.get('/api/audit?limit=500')).json().items as {
      action: string;
      source: string;
      at: number;
    }[];
    expect(all.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'login.password_accepted',
        'mfa.totp.enrolled',
        'login.success',
        'person.create',
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

  it('is intact as written, in the API and on the command line', async () => {
    const report = (await admin.get('/api/audit/verify')).json();
    expect(report).toMatchObject({ ok: true, spans: [] });
    expect(report.events.map((e: { records: number }) => e.records)).toEqual([10, 10]);
    const { code, out } = await cli();
    expect(code).toBe(0);
    expect(out).toContain('audit log intact');
  });

  it('finds every edited record of both chains, not only the first', async () => {
    raw.prepare("UPDATE audit_log SET actor = 'someone-else' WHERE id = 3").run();
    raw.prepare("UPDATE audit_log SET target = 'operator:nobody' WHERE id = 6").run();
    raw.prepare("UPDATE events SET person_id = 'person-2' WHERE controller_id = 'ctl-a' AND seq = 104").run();
    raw
      .prepare(
        'UPDATE events SET detail = \'{"result":"deny"}\' WHERE controller_id = \'ctl-b\' AND seq IN (101, 102)',
      )
      .run();
    const report = await h.verifyChains();
    expect(report.ok).toBe(false);
    expect(report.spans.map((s) => [s.chain, s.from, s.to, s.problem])).toEqual([
      ['audit', 3, 3, 'changed'],
      ['audit', 6, 6, 'changed'],
      ['events:ctl-a', 5, 5, 'changed'],
      ['events:ctl-b', 2, 3, 'changed'],
    ]);
    const { code, out } = await cli();
    expect(code).toBe(1);
    expect(out).toContain('audit: record #3 changed');
    expect(out).toContain('audit: record #6 changed');
    expect(out).toContain('events:ctl-b: events #2–#3 changed');
  });

  it('finds records swapped into each other’s place (reordering)', async () => {
    // Records 4 and 5 trade places, as do events 7 and 8 of ctl-a: contents intact, order not.
    const swap = (table: string, column: string, where: string, x: number, y: number) => {
      raw.prepare(`UPDATE ${table} SET ${column} = -1 WHERE ${where} ${column} = ?`).run(x);
      raw.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where} ${column} = ?`).run(x, y);
      raw.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where} ${column} = -1`).run(y);
    };
    swap('audit_log', 'id', '', 4, 5);
    swap('events', 'chain_index', "controller_id = 'ctl-a' AND", 7, 8);
    const spans = (await h.verifyChains()).spans.map((s) => [s.chain, s.from, s.to, s.problem]);
    expect(spans).toEqual([
      ['audit', 4, 5, 'changed'],
      ['events:ctl-a', 7, 8, 'changed'],
    ]);
  });

  it('finds records removed from the middle and from the end (truncation)', async () => {
    raw.prepare('DELETE FROM audit_log WHERE id IN (2, 3)').run();
    const last = auditCount() + 2;
    raw.prepare('DELETE FROM audit_log WHERE id >= ?').run(last - 1);
    raw.prepare("DELETE FROM events WHERE controller_id = 'ctl-a' AND chain_index > 7").run();
    raw.prepare("DELETE FROM events WHERE controller_id = 'ctl-b' AND chain_index = 4").run();
    const spans = (await h.verifyChains()).spans.map((s) => [s.chain, s.from, s.to, s.problem]);
    expect(spans).toEqual([
      ['audit', 2, 3, 'missing'],
      ['audit', last - 1, last, 'truncated'],
      ['events:ctl-a', 8, 10, 'truncated'],
      ['events:ctl-b', 4, 4, 'missing'],
    ]);
    const { code, out } = await cli();
    expect(code).toBe(1);
    expect(out).toContain('events:ctl-a: events #8–#10 missing at the end');
  });

  it('finds the deletion of every record of both chains, heads included', async () => {
    const count = auditCount();
    raw.prepare('DELETE FROM audit_log').run();
    raw.prepare('DELETE FROM events').run();
    raw.prepare('DELETE FROM event_chain_heads').run();
    const report = await h.verifyChains();
    expect(report.spans.map((s) => [s.chain, s.from, s.to, s.problem])).toEqual([
      ['audit', 1, count, 'deleted'],
      ['events:ctl-a', 1, 10, 'deleted'],
      ['events:ctl-b', 1, 10, 'deleted'],
    ]);
    const { code, out } = await cli();
    expect(code).toBe(1);
    expect(out).toContain(`audit: records #1–#${count} all missing`);
  });

  it('cannot be rebuilt without the key: a recomputed plain chain is still found', async () => {
    // What someone with database write access but not the installation key can do at best: change a
    // record and recompute the old unkeyed SHA-256 chain after it.
    raw.prepare("UPDATE audit_log SET hash = 'ab'||substr(hash, 3) WHERE id >= 4").run();
    const spans = (await h.verifyChains()).spans;
    expect(spans[0]).toMatchObject({ chain: 'audit', from: 4, problem: 'changed' });
  });

  it('finds checkpoints removed from or forged in the anchor file', async () => {
    await admin.post('/api/fixture/people', { id: 'person-9', department: 'sales', site: 'tokyo' });
    await h.checkpoint();
    const { readFileSync, writeFileSync } = await import('node:fs');
    const { anchorFileIn } = await import('../../../src/server/audit/anchors.ts');
    const file = anchorFileIn(h.dir);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    writeFileSync(file, `${lines[1]}\n`);
    expect((await h.verifyChains()).anchors.problems).toEqual([
      'anchor file line 1 does not follow line 0: checkpoints were removed',
    ]);
    const forged = JSON.parse(lines[1]!);
    forged.audit.index += 5;
    writeFileSync(file, `${lines[0]}\n${JSON.stringify(forged)}\n`);
    expect((await h.verifyChains()).anchors.problems).toEqual([
      'anchor file line 2: signature does not verify (forged or changed)',
    ]);
  });
});
