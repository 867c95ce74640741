// Retention per data class and the purge, through the real server (composition root, SQLite file).
// Rules shown here:
// - what is older than its class's retention is removed, from the front of each chain only, and the
//   purge is on the audit trail;
// - after a purge `audit verify` still finds both chains intact against the checkpoints, starting at
//   the sealed floor; removing a record after the floor, or forging the floor, is still found;
// - retention is an administrator's setting, the audit trail's at least 90 days; bad input changes nothing.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raiseAlarm, resolveAlarm } from '../../../src/server/alarms/store.ts';
import { anchorKeys, verifyChains, writeCheckpoint } from '../../../src/server/audit/anchors.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { lifecycleDb } from '../../../src/server/lifecycle/tables.ts';
import { EventStore } from '../../../src/server/storage/events.ts';
import { type Api, KEY, startApi, T0 } from '../api/support.ts';

const DAY = 86_400_000;

describe('retention and purge', () => {
  let api: Api;
  let anchorFile = '';
  const keys = anchorKeys(KEY);
  const events = () => new EventStore(api.store.db, keys.events);

  beforeAll(async () => {
    api = await startApi();
    anchorFile = join(api.dir, 'anchors', 'checkpoints.jsonl');
    // 100 days of history: an event per controller per day, a person created per day (audited).
    for (let day = 0; day < 100; day++) {
      api.now = T0 + day * DAY;
      await events().append(
        ['ctl-1', 'ctl-2'].map((controllerId) => ({
          controllerId,
          seq: day + 1,
          at: api.now,
          type: 'access.granted',
          door: 'D1',
          detail: { day },
        })),
      );
      expect(
        (await api.post('admin', '/api/people', { id: `p${day}`, name: `Person ${day}` })).statusCode,
      ).toBe(201);
    }
    // A controller that delivered late: a 90-day-old event stored after newer ones.
    await events().append([
      { controllerId: 'ctl-2', seq: 101, at: T0 + 10 * DAY, type: 'access.granted', detail: {} },
    ]);
    const db = securityDb(api.store.db);
    const old = await raiseAlarm(db, { type: 'tamper', source: 'ctl-1', message: 'case opened' }, T0);
    await resolveAlarm(db, old.id, 'admin-1', T0 + DAY);
    await raiseAlarm(db, { type: 'comms_lost', source: 'ctl-2', message: 'lost' }, T0);
    api.now = T0 + 100 * DAY;
    expect(await writeCheckpoint(api.store.db, keys, anchorFile, api.now)).toBeDefined();
  });
  afterAll(async () => {
    await api.close();
  });

  it('is an administrator’s setting, the audit trail kept at least 90 days', async () => {
    expect((await api.get('auditor', '/api/lifecycle/retention')).json()).toEqual({
      events: null,
      audit: null,
      alarms: null,
    });
    expect((await api.patch('salesOp', '/api/lifecycle/retention', { events: 30 })).statusCode).toBe(403);
    for (const bad of [{ audit: 30 }, { events: 0 }, { nope: 10 }, { events: 1.5 }, { events: 'ten' }]) {
      const answer = await api.patch('admin', '/api/lifecycle/retention', bad);
      expect(answer.statusCode, JSON.stringify(bad)).toBe(400);
    }
    expect((await api.get('admin', '/api/lifecycle/retention')).json()).toEqual({
      events: null,
      audit: null,
      alarms: null,
    });
    const set = await api.patch('admin', '/api/lifecycle/retention', { events: 30, audit: 90, alarms: 7 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ events: 30, audit: 90, alarms: 7 });
    const audited = await api.store.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('action', '=', 'retention.set')
      .execute();
    expect(audited).toEqual([{ action: 'retention.set', actor: 'admin-1' }]);
  });

  it('purges what is older, audited, and the chains still verify from their floors', async () => {
    const before = await events().heads();
    const purged = await api.request('admin', 'POST', '/api/lifecycle/purge');
    expect(purged.statusCode).toBe(200);
    const outcomes = Object.fromEntries(
      purged.json().outcomes.map((o: { dataClass: string }) => [o.dataClass, o]),
    );
    // Events of days 0–69 on ctl-1; on ctl-2 the same, the late one waits behind day 99.
    expect(outcomes.events.removed).toBe(140);
    expect(outcomes.alarms.removed).toBe(1);
    expect(outcomes.audit.removed).toBeGreaterThanOrEqual(10);
    const left = await api.store.db
      .selectFrom('events')
      .select(['controller_id', 'seq'])
      .orderBy('controller_id')
      .orderBy('seq')
      .execute();
    expect(left.filter((e) => e.controller_id === 'ctl-1').map((e) => e.seq)).toEqual(
      Array.from({ length: 30 }, (_, i) => 71 + i),
    );
    expect(left.filter((e) => e.controller_id === 'ctl-2').map((e) => e.seq)).toContain(101);
    expect(await events().heads()).toEqual(before);
    const alarms = await securityDb(api.store.db).selectFrom('alarms').select('state').execute();
    expect(alarms).toEqual([{ state: 'active' }]);

    const report = await verifyChains(api.store.db, keys, anchorFile);
    expect(report.spans).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.events.find((e) => e.chain === 'events:ctl-1')).toMatchObject({ records: 30, head: 100 });
    const run = await api.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'retention.purge')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(run.detail).classes.map((c: { dataClass: string }) => c.dataClass)).toEqual([
      'events',
      'audit',
      'alarms',
    ]);

    // A second run with nothing due removes nothing and still verifies.
    expect(
      (await api.request('admin', 'POST', '/api/lifecycle/purge'))
        .json()
        .outcomes.every((o: { removed: number }) => o.removed === 0),
    ).toBe(true);
    expect((await verifyChains(api.store.db, keys, anchorFile)).ok).toBe(true);
  });

  it('still finds a record removed behind the floor, and a forged floor', async () => {
    const first = await api.store.db
      .selectFrom('events')
      .select(['id', 'chain_index'])
      .where('controller_id', '=', 'ctl-1')
      .orderBy('chain_index')
      .limit(1)
      .executeTakeFirstOrThrow();
    await api.store.db.deleteFrom('events').where('id', '=', first.id).execute();
    const cut = await verifyChains(api.store.db, keys, anchorFile);
    expect(cut.ok).toBe(false);
    expect(cut.spans).toEqual([
      expect.objectContaining({ chain: 'events:ctl-1', problem: 'missing', from: Number(first.chain_index) }),
    ]);

    // Moving the floor past the hole without the key: not believed.
    await lifecycleDb(api.store.db)
      .updateTable('chain_floors')
      .set({ first_index: Number(first.chain_index) + 1 })
      .where('chain', '=', 'events:ctl-1')
      .execute();
    const forged = await verifyChains(api.store.db, keys, anchorFile);
    expect(forged.ok).toBe(false);
    expect(forged.anchors.problems).toContain(
      'events:ctl-1: the purge floor at #72 is not genuine (ignored)',
    );
    expect(
      forged.spans.some((s) => s.chain === 'events:ctl-1' && s.problem === 'missing' && s.from === 1),
    ).toBe(true);
  });
});
