// Rule: the import job's bulk switch for credentials (imports/credentials-bulk.ts) writes exactly what
// writing each row through the service writes does (csv/import.ts importCsv → credentialWrites.upsert)
// and raises the same domain events in the same order — created; given fields replaced and the rest
// kept; revoked with the key controllers know it by; reinstated; a PIN-only credential's new PIN
// replacing its old key — and a row the stored data refuses fails the whole file with its row number,
// changing nothing. On every storage backend (SQLite always, PostgreSQL when MONBAN_TEST_DATABASE_URL
// is set).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsCsv } from '../../../src/server/csv/credentials.ts';
import { importCsv } from '../../../src/server/csv/import.ts';
import type { DomainEvent } from '../../../src/server/domain/events.ts';
import { runImportPipeline } from '../../../src/server/imports/pipeline.ts';
import { AuditLog } from '../../../src/server/storage/audit-log.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { backends } from '../storage/backends.ts';

const KEY = new Uint8Array(32).fill(7);
const NOW = Date.parse('2026-04-01T00:00:00Z');
const utf8 = (s: string) => new TextEncoder().encode(s);

const FILES = [
  [
    'id,personId,type,identifier,pin,duressPin,state,validFrom,validUntil,maxUses,label',
    'c1,p1,card,C-1001,4321,9999,,,,,front desk',
    'c2,p2,mobile,M-7,,,,,,3,',
    'k1,p3,pin,,123456,,,,,,',
    'c3,p3,card,C-1003,,,suspended,2026-04-01T00:00,2026-12-31T00:00,,',
  ],
  // Re-imported with changes: a revocation, a reinstatement, a new PIN-only code, a label, a new card.
  [
    'id,personId,type,identifier,pin,state,label',
    'c1,p1,card,C-1001,,revoked,',
    'c3,p3,card,C-1003,,active,back door',
    'k1,p3,pin,,654321,,',
    'c2,p2,mobile,M-7,,,phone',
    'c4,p2,card,C-1004,1111,,',
  ],
].map((lines) => utf8(`${lines.join('\n')}\n`));

// validUntil before the stored validFrom of c3: only the stored record says so.
const REFUSED = utf8(
  'id,personId,type,identifier,validUntil\nc2,p2,mobile,M-7,\nc3,p3,card,C-1003,2026-01-01T00:00\n',
);

describe.each(backends)('bulk credentials switch on $name', (backend) => {
  const opened: { store: Store; cleanup(): Promise<void> }[] = [];
  let bulk: Store;
  let rowByRow: Store;

  const seed = async (store: Store) => {
    const repos = repositories(store.db, KEY);
    for (const id of ['p1', 'p2', 'p3'])
      await repos.people.create({ id, name: id, department: null, site: null, groups: [], levels: [] }, NOW);
  };
  const rows = (store: Store) => store.db.selectFrom('credentials').selectAll().orderBy('id').execute();
  const normal = (r: Awaited<ReturnType<typeof rows>>) =>
    r.map((c) =>
      Object.fromEntries(
        Object.entries(c).map(([k, v]) => [
          k,
          typeof v === 'string' && /^\d+$/.test(v) && k !== 'identifier' ? Number(v) : v,
        ]),
      ),
    );

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) opened.push(await backend.open());
    [bulk, rowByRow] = opened.map((o) => o.store) as [Store, Store];
    await seed(bulk);
    await seed(rowByRow);
  });
  afterAll(async () => {
    for (const o of opened) {
      await o.store.close();
      await o.cleanup();
    }
  });

  const viaPipeline = (bytes: Uint8Array) =>
    runImportPipeline('credentials', bulk.db, KEY, bytes, { now: NOW, jobId: 'job-1', givenPinCodes: true });
  const viaServiceWrites = async (bytes: Uint8Array) => {
    const events: DomainEvent[] = [];
    const report = await importCsv(credentialsCsv, rowByRow.db, KEY, bytes, {
      now: NOW,
      givenPinCodes: true,
      raise: (e) => events.push(e),
    });
    return { report, events };
  };

  it('writes the same rows and raises the same events as the row-by-row service writes', async () => {
    for (const [i, file] of FILES.entries()) {
      const fast = await viaPipeline(file);
      const slow = await viaServiceWrites(file);
      expect(fast.report.errors).toEqual([]);
      expect(slow.report.errors).toEqual([]);
      expect({ created: fast.report.created, updated: fast.report.updated }).toEqual({
        created: slow.report.created,
        updated: slow.report.updated,
      });
      expect(fast.events).toEqual(slow.events);
      expect(normal(await rows(bulk))).toEqual(normal(await rows(rowByRow)));
      if (i === 1)
        expect(fast.events.map((e) => e.type)).toEqual([
          'credential.revoked',
          'credential.updated',
          'credential.reinstated',
          'credential.updated',
          'credential.updated',
          'credential.updated',
          'credential.created',
        ]);
    }
    const c1 = (await rows(bulk)).find((c) => c.id === 'c1')!;
    // A blank label cell clears the label; a blank PIN cell keeps the PIN (exports never write one).
    expect(c1).toMatchObject({ state: 'revoked', label: null });
    expect(c1.pin_hash).not.toBeNull();
    const revoked = (await viaPipeline(FILES[1]!)).events; // the same file again: no state changes
    expect(revoked.map((e) => e.type)).toEqual(Array(5).fill('credential.updated'));
  });

  it('refuses the whole file at the row the stored record refuses, and changes nothing', async () => {
    const before = await rows(bulk);
    const result = await viaPipeline(REFUSED);
    expect(result.report.ok).toBe(false);
    expect(result.events).toEqual([]);
    expect(result.report.errors).toEqual([
      { row: 3, line: 3, column: 'validUntil', reason: 'validUntil must be after validFrom' },
    ]);
    expect(await rows(bulk)).toEqual(before);
  });

  it("writes the rows' audit records inside the switch when told who imports, on an intact chain", async () => {
    const log = new AuditLog(bulk.db, chainKeys(KEY).audit);
    const before = (await log.verify()).records;
    const file = utf8('id,personId,type,identifier\nc5,p1,card,C-1005\nc6,p2,card,C-1006\n');
    const origin = { actor: 'token:t1', source: '10.0.0.9', via: 'api' as const };
    const result = await runImportPipeline('credentials', bulk.db, KEY, file, {
      now: NOW,
      jobId: 'job-2',
      origin,
    });
    expect(result.report.ok).toBe(true);
    const verdict = await log.verify();
    expect(verdict.spans).toEqual([]);
    expect(verdict.records).toBe(before + 2);
    const records = await bulk.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    expect(records.map((r) => [r.actor, r.source, r.action, r.target])).toEqual([
      ['token:t1', '10.0.0.9', 'credential.create', 'credential:c6'],
      ['token:t1', '10.0.0.9', 'credential.create', 'credential:c5'],
    ]);
    // A refused file writes no audit record either.
    await runImportPipeline('credentials', bulk.db, KEY, REFUSED, { now: NOW, jobId: 'job-3', origin });
    expect((await log.verify()).records).toBe(before + 2);
  });
});
