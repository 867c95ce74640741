// The audit log is tamper-evident (R-SEC-4): changing, removing or reordering any record is found,
// and verify names every span of records that no longer fit. On every storage backend.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/server/storage/audit-log.ts';

const KEY = Buffer.alloc(32, 9);

import type { Store } from '../../../src/server/storage/db.ts';
import { backends } from './backends.ts';

describe.each(backends)('audit log on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let log: AuditLog;
  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
    log = new AuditLog(store.db, KEY);
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  it('chains records and verifies them, also when appended concurrently', async () => {
    for (let i = 0; i < 20; i++)
      await log.append({
        at: 1000 + i,
        actor: 'admin-1',
        source: '127.0.0.1',
        action: 'person.update',
        target: `p${i}`,
        detail: { field: 'department', to: 'sales' },
      });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        log.append({
          at: 2000 + i,
          actor: 'op-2',
          source: '10.0.0.9',
          action: 'credential.revoke',
          target: `c${i}`,
          detail: {},
        }),
      ),
    );
    expect(await log.verify()).toEqual({ chain: 'audit', records: 30, head: 30, spans: [] });
  });

  it('names the first record changed after it was written', async () => {
    await sql`UPDATE audit_log SET target = 'someone-else' WHERE id = 7`.execute(store.db);
    await sql`UPDATE audit_log SET detail = '{}' WHERE id = 12`.execute(store.db);
    expect((await log.verify()).spans).toMatchObject([
      { from: 7, to: 7, problem: 'changed' },
      { from: 12, to: 12, problem: 'changed' },
    ]);
  });

  it('names a removed record', async () => {
    await sql`DELETE FROM audit_log WHERE id >= 7 AND id < 9`.execute(store.db);
    expect((await log.verify()).spans).toMatchObject([
      {
        from: 7,
        to: 8,
        problem: 'missing',
        message: 'audit: records #7–#8 missing (deleted from the middle)',
      },
      { from: 12, to: 12, problem: 'changed' },
    ]);
  });
});

describe.each(backends)('audit log text on $name', (backend) => {
  it('stores exactly the bytes it hashed: lone surrogates and NUL in any field keep the chain intact', async () => {
    const { store, cleanup } = await backend.open();
    try {
      const log = new AuditLog(store.db, KEY);
      await log.append({
        at: 1,
        actor: 'anonymous\ud800',
        source: '127.0.0.1\u0000',
        action: 'login.failure',
        target: 'operator:x\udfff\u0000y',
        detail: { name: 'x\ud800', nul: 'a\u0000b' },
      });
      await log.append({ at: 2, actor: 'system', source: 'local', action: 'a', target: 't', detail: {} });
      expect(await log.verify()).toMatchObject({ records: 2, spans: [] });
      const row = await store.db
        .selectFrom('audit_log')
        .selectAll()
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      expect(row.target).toBe('operator:x\ufffd\ufffdy');
    } finally {
      await store.close();
      await cleanup();
    }
  });
});
