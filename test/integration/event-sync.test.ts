// Events flow from a controller's journal to the server's event store exactly once: journaled while
// the broker is down, replayed when it returns, acknowledged only once stored, never duplicated even
// when a batch arrives twice.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventUplink } from '../../src/controller/event-uplink.ts';
import { Journal } from '../../src/controller/journal.ts';
import { ServerLink } from '../../src/controller/server-link.ts';
import { SiteEngine } from '../../src/core/engine.ts';
import { ControllerHub } from '../../src/server/mqtt/controller-hub.ts';
import { startEmbeddedBroker } from '../../src/server/mqtt/embedded-broker.ts';
import { openStore } from '../../src/server/storage/db.ts';
import { EventStore } from '../../src/server/storage/events.ts';
import { at, site } from '../support/sites.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(condition: () => boolean, ms: number, step?: () => Promise<unknown>): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await step?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('event sync over MQTT', () => {
  it('delivers every journaled event exactly once across a broker outage', async () => {
    let broker = await startEmbeddedBroker({ port: 0 });
    const port = Number(new URL(broker.url).port);
    const store = await openStore({ sqliteFile: join(dir, 'server.db') });
    const events = new EventStore(store.db, Buffer.alloc(32, 1));
    const server = generateKeyPairSync('ed25519');
    const controller = generateKeyPairSync('ed25519');
    const T0 = at('2026-01-05T09:00');
    const hub = new ControllerHub({
      url: broker.url,
      site: 'sync',
      serverKey: server.privateKey,
      controllerKeys: (id) => (id === 'ctl-1' ? controller.publicKey : undefined),
      now: () => T0,
      ingest: async (from, batch) => {
        await events.append(
          batch.map((e) => ({
            controllerId: from,
            seq: e.seq,
            at: e.at,
            type: e.type,
            detail: e.detail,
            ...(e.door && { door: e.door }),
          })),
        );
      },
    });
    const journal = Journal.open(join(dir, 'journal'));
    let uplink: EventUplink | undefined;
    const link = new ServerLink({
      url: broker.url,
      site: 'sync',
      controllerId: 'ctl-1',
      controllerKey: controller.privateKey,
      serverKey: server.publicKey,
      credentialHashKey: new Uint8Array(32),
      engine: new SiteEngine(site({}), T0),
      now: () => T0,
      record: () => {},
      onEventsAck: (upTo) => uplink?.acknowledged(upTo),
    });
    uplink = new EventUplink(journal, link, 20);
    await Promise.all([hub.start(), link.start()]);
    const journalEvents = (from: number, count: number) => {
      for (let i = 0; i < count; i++)
        journal.append(
          new TextEncoder().encode(
            JSON.stringify({ at: T0 + from + i, type: 'access', door: 'D1', detail: { n: from + i } }),
          ),
        );
    };
    const stored = async () => (await events.search({ limit: 1000 })).items;

    journalEvents(0, 50);
    await until(
      () => journal.acknowledged === 50,
      5000,
      () => uplink!.flush(),
    );

    // The broker goes away; the controller keeps journaling.
    await broker.close();
    await until(() => !link.connected, 5000);
    journalEvents(50, 30);
    expect(await uplink.flush()).toBe(0);

    // It comes back on the same port: the backlog is replayed and acknowledged.
    broker = await startEmbeddedBroker({ port });
    await until(
      () => journal.acknowledged === 80,
      10_000,
      () => uplink!.flush(),
    );

    // A batch the server already has, delivered again, changes nothing.
    await link.publish('events', {
      kind: 'events',
      events: [{ seq: 1, at: T0, type: 'access', door: 'D1', detail: { n: 0 } }],
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const all = await stored();
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));

    await Promise.all([hub.stop(), link.stop()]);
    await broker.close();
    journal.close();
    await store.close();
  }, 30_000);

  it('keeps one batch in flight: events journaled meanwhile go together after its acknowledgement, and a batch never acknowledged is sent again', async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    const server = generateKeyPairSync('ed25519');
    const controller = generateKeyPairSync('ed25519');
    const T0 = at('2026-01-05T09:00');
    const batches: number[][] = [];
    let gate: (() => void) | undefined;
    let failNext = false;
    const hub = new ControllerHub({
      url: broker.url,
      site: 'window',
      serverKey: server.privateKey,
      controllerKeys: (id) => (id === 'ctl-1' ? controller.publicKey : undefined),
      now: () => T0,
      ingest: async (_from, batch) => {
        batches.push(batch.map((e) => e.seq));
        if (failNext) {
          failNext = false;
          throw new Error('storage away'); // no acknowledgement for this batch
        }
        if (batches.length === 1) await new Promise<void>((resolve) => (gate = resolve));
      },
    });
    const journal = Journal.open(join(dir, 'journal-window'));
    let uplink: EventUplink | undefined;
    const link = new ServerLink({
      url: broker.url,
      site: 'window',
      controllerId: 'ctl-1',
      controllerKey: controller.privateKey,
      serverKey: server.publicKey,
      credentialHashKey: new Uint8Array(32),
      engine: new SiteEngine(site({}), T0),
      now: () => T0,
      record: () => {},
      onEventsAck: (upTo) => {
        uplink?.acknowledged(upTo);
        void uplink?.flush();
      },
    });
    uplink = new EventUplink(journal, link, 500, 300);
    await Promise.all([hub.start(), link.start()]);
    await until(() => link.connected, 5000);
    const journalEvent = (n: number) =>
      journal.append(new TextEncoder().encode(JSON.stringify({ at: T0 + n, type: 'access', detail: { n } })));

    journalEvent(1);
    expect(await uplink.flush()).toBe(1);
    await until(() => gate !== undefined, 5000);
    // While the server stores the first batch, ten more events: none is sent yet.
    for (let n = 2; n <= 11; n++) {
      journalEvent(n);
      expect(await uplink.flush()).toBe(0);
    }
    gate!();
    await until(() => journal.acknowledged === 11, 5000);
    expect(batches).toEqual([[1], Array.from({ length: 10 }, (_, i) => i + 2)]);

    // A batch the server fails to store is never acknowledged: sent again after the timeout.
    failNext = true;
    journalEvent(12);
    expect(await uplink.flush()).toBe(1);
    await until(() => journal.acknowledged === 12, 5000);
    expect(batches.slice(2)).toEqual([[12], [12]]);

    uplink.stop();
    await Promise.all([hub.stop(), link.stop()]);
    await broker.close();
    journal.close();
  }, 30_000);
});
