// Group commit (issue 9 speed): batches of many controllers that arrive while a group is being
// committed are stored together, in one transaction — and still each exactly once per (controller,
// sequence), each caller answered with the new events of its own batch only, and one bad batch
// failing only its own controller (the others of its group are stored and answered).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { AlarmService } from '../../../src/server/alarms/service.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { controllerAlarms } from '../../../src/server/controllers/controller-alarms.ts';
import type { EventIngestDeps } from '../../../src/server/controllers/ingest.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { type Executor, openStore, type Store } from '../../../src/server/storage/db.ts';
import { EventStore } from '../../../src/server/storage/events.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { standaloneIngest } from '../../support/event-ingest.ts';

const KEY = new Uint8Array(32).fill(7);
const T0 = Date.parse('2026-03-02T09:00:00Z');
const logger = pino({ level: 'silent' });

const batch = (from: number, count: number): ControllerEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    at: T0 + from + i,
    type: 'access',
    door: 'D1',
    detail: { result: 'deny', reason: 'unknown_credential', side: 'in' },
  }));

describe('event ingest: group commit', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-group-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ingestWith = (extra: Partial<EventIngestDeps>) => {
    const repos = repositories(store.db, KEY);
    const raise = controllerAlarms(
      new AlarmService(securityDb(store.db), logger, { now: () => T0 }),
      'main',
      logger,
    );
    return standaloneIngest(store.db, repos, raise, {
      eventKey: chainKeys(KEY).events,
      ...extra,
    });
  };
  const stored = async () =>
    (await new EventStore(store.db, chainKeys(KEY).events).search({ limit: 1000 })).items.map(
      (e) => `${e.controllerId}#${e.seq}`,
    );

  it('stores batches of many controllers in shared transactions, each once, each answered with its own', async () => {
    const transactions = new Map<string, Executor>();
    const committed: string[] = [];
    const ingest = ingestWith({
      inBatch: async (tx, controllerId) => {
        transactions.set(controllerId, tx);
      },
      committed: (controllerId, events) => committed.push(`${controllerId}:${events.length}`),
    });
    const ids = Array.from({ length: 20 }, (_, i) => `ctl-${String(i).padStart(2, '0')}`);
    // Sent at once, as a hundred controllers do under load; ctl-00's batch also twice (a resend).
    const answers = await Promise.all([
      ...ids.map((id) => ingest.ingest(id, batch(1, 5))),
      ingest.ingest('ctl-00', batch(1, 5)),
    ]);
    expect(answers.slice(0, 20).map((a) => a.length)).toEqual(ids.map(() => 5));
    expect(answers[20]).toEqual([]); // the resend carried nothing new
    // Fewer transactions than controllers: the first alone, the rest waited and went together.
    const distinct = new Set(transactions.values()).size;
    expect(distinct).toBeGreaterThanOrEqual(1);
    expect(distinct).toBeLessThan(ids.length);
    expect(committed.sort()).toEqual(ids.map((id) => `${id}:5`));
    expect((await stored()).length).toBe(100);
    // Once each, whatever comes again.
    expect(await Promise.all(ids.map((id) => ingest.ingest(id, batch(1, 5))))).toEqual(ids.map(() => []));
    expect((await stored()).length).toBe(100);
  });

  it('fails only the batch that breaks its group; the others in it are stored and answered', async () => {
    const ingest = ingestWith({
      inBatch: async (_tx, controllerId) => {
        if (controllerId === 'ctl-bad') throw new Error('bad batch');
      },
    });
    const first = ingest.ingest('ctl-first', batch(1, 1)); // commits alone; the rest queue behind it
    const results = await Promise.allSettled([
      first,
      ingest.ingest('ctl-a', batch(1, 2)),
      ingest.ingest('ctl-bad', batch(1, 2)),
      ingest.ingest('ctl-b', batch(1, 2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((await stored()).sort()).toEqual(
      ['ctl-a#1', 'ctl-a#2', 'ctl-b#1', 'ctl-b#2', 'ctl-first#1'].sort(),
    );
  });

  it('keeps a group within its size: a big backlog does not become one huge transaction', async () => {
    const transactions = new Set<Executor>();
    const ingest = ingestWith({
      groupEvents: 10,
      inBatch: async (tx) => {
        transactions.add(tx);
      },
    });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => ingest.ingest(`ctl-${i}`, batch(1, 4))),
    );
    expect(answers.map((a) => a.length)).toEqual(Array.from({ length: 8 }, () => 4));
    // 8 batches of 4, at most 10 events a group: the first alone, then the rest in pairs.
    expect(transactions.size).toBe(5);
  });
});
