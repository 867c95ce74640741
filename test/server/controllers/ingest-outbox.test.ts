// A controller's batch and its webhook outbox entries are stored in one transaction: if anything in
// the batch's transaction fails after the outbox was written (a crash, in effect), neither the events
// nor their webhook entries remain, and the controller's resend stores both — no webhook event is
// lost between ingest and the outbox, and none is queued for an event that was not stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { AlarmService } from '../../../src/server/alarms/service.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { controllerAlarms } from '../../../src/server/controllers/controller-alarms.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { EventStore } from '../../../src/server/storage/events.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { WebhookService, webhookDb } from '../../../src/server/webhooks/service.ts';
import { fromControllerEvents } from '../../../src/server/webhooks/sources.ts';
import { standaloneIngest } from '../../support/event-ingest.ts';

const KEY = new Uint8Array(32).fill(7);
const T0 = Date.parse('2026-03-02T09:00:00Z');
const logger = pino({ level: 'silent' });

describe('event ingest and the webhook outbox', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monban-outbox-'));
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a batch and its outbox entries together, or neither', async () => {
    const repos = repositories(store.db, KEY);
    const webhooks = new WebhookService(store.db, KEY, { now: () => T0 });
    await webhooks.create({ name: 'pms', url: 'https://pms.example/hook', events: ['access.*'] }, 'admin');
    const raise = controllerAlarms(
      new AlarmService(securityDb(store.db), logger, { now: () => T0 }),
      'main',
      logger,
    );
    let crashAfterOutbox = true;
    const ingest = standaloneIngest(store.db, repos, raise, {
      eventKey: chainKeys(KEY).events,
      inBatch: async (tx, controllerId, events) => {
        await webhooks.enqueue(fromControllerEvents(controllerId, events), tx);
        if (crashAfterOutbox) throw new Error('power cut');
      },
    });
    const batch: ControllerEvent[] = [1, 2, 3].map((seq) => ({
      seq,
      at: T0 + seq,
      type: 'access',
      door: 'D1',
      detail: { result: 'grant', reason: 'granted', side: 'in' },
    }));
    const outbox = async () =>
      (await webhookDb(store.db).selectFrom('webhook_events').select('type').execute()).length;
    const stored = async () =>
      (await new EventStore(store.db, chainKeys(KEY).events).search({ limit: 10 })).items;

    await expect(ingest.ingest('ctl-1', batch)).rejects.toThrow('power cut');
    expect(await stored()).toEqual([]);
    expect(await outbox()).toBe(0);

    // The controller sends the batch again (it had no acknowledgement): both are stored, once.
    crashAfterOutbox = false;
    expect(await ingest.ingest('ctl-1', batch)).toHaveLength(3);
    expect(await ingest.ingest('ctl-1', batch)).toHaveLength(0);
    expect((await stored()).map((e) => e.seq).sort()).toEqual([1, 2, 3]);
    expect(await outbox()).toBe(3);
  });
});
