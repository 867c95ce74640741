// Rule: what one server instance's live hub hears (access events, door changes, door reports) reaches
// every other instance's hub through the cluster — in order, once, numbered by the receiving hub, in
// messages of at most 500 events and 20 door reports — and a `live` message that does not match the
// schema, even one carrying a valid MAC, is refused and logged without its content and changes
// nothing. Two clusters (the real wiring of cluster.ts) on one real PostgreSQL database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { Cluster } from '../../../src/server/cluster/cluster.ts';
import { LIVE_BATCH } from '../../../src/server/cluster/live-relay.ts';
import { type DoorStateReport, type LiveEvent, LiveHub } from '../../../src/server/live/hub.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { waitFor } from '../../support/fleet.ts';
import { backends } from '../storage/backends.ts';

const postgres = backends.find((b) => b.name === 'PostgreSQL');
const KEY = new Uint8Array(32).fill(9);

const event = (seq: number, type: ControllerEvent['type'] = 'access'): ControllerEvent => ({
  seq,
  at: 1_800_000_000_000 + seq,
  type,
  door: 'D1',
  area: 'office',
  ...(type === 'access' && { person: `p-${seq % 7}` }),
  detail: { result: 'grant', n: seq },
});

const report = (door: string, phase: 'secured' | 'open'): DoorStateReport => ({
  kind: 'door-state',
  doors: [{ door, phase, heldOpen: false, mode: 'card', source: 'base', overrideUntil: null }],
  lockdown: null,
  threatLevel: 0,
  fireZones: [],
});

function instance(store: Store, id: string) {
  const hub = new LiveHub();
  const warnings: { details: unknown; message: string }[] = [];
  const logger = {
    info: () => {},
    warn: (details: unknown, message: string) => warnings.push({ details, message }),
    error: (details: unknown, message: string) => warnings.push({ details, message }),
  };
  const cluster = new Cluster(
    store.db,
    KEY,
    { url: process.env.MONBAN_TEST_DATABASE_URL!, leaseMs: 3_000, instanceId: id },
    {
      controllers: async () => [],
      acquired: async () => {},
      lost: () => {},
      message: async () => {},
      live: hub,
    },
    logger as never,
    Date.now,
  );
  const seen: LiveEvent[] = [];
  hub.subscribe((e) => seen.push(e));
  return { hub, cluster, warnings, seen };
}

describe.skipIf(!postgres)('the live stream between server instances on PostgreSQL', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let a: ReturnType<typeof instance>;
  let b: ReturnType<typeof instance>;
  beforeAll(async () => {
    ({ store, cleanup } = await postgres!.open());
    a = instance(store, 'live-a');
    b = instance(store, 'live-b');
    await a.cluster.start();
    await b.cluster.start();
  }, 60_000);
  afterAll(async () => {
    await a?.cluster.stop();
    await b?.cluster.stop();
    await store?.close();
    await cleanup?.();
  }, 60_000);

  const liveMessages = async () =>
    (
      await store.db
        .selectFrom('cluster_messages')
        .select(['origin', 'body'])
        .where('kind', '=', 'live')
        .orderBy('id')
        .execute()
    ).map((r) => ({
      origin: r.origin,
      body: JSON.parse(r.body) as { events: unknown[]; reports: unknown[] },
    }));

  it('carries events and door reports to the other hub, in order and once, in bounded messages', async () => {
    const events = Array.from({ length: 1_200 }, (_, i) => event(i + 1, i % 10 === 9 ? 'door' : 'access'));
    // What the owner's ingest hands its hub: a few batches in one turn, and a reader event that is not live.
    a.hub.ingested('ctl-1', events.slice(0, 700));
    a.hub.ingested('ctl-1', [{ ...event(5_000), type: 'reader' }]);
    a.hub.ingested('ctl-1', events.slice(700));
    for (let c = 0; c < 45; c++) a.hub.reported(`ctl-${c}`, report(`D${c}`, 'secured'), 1_800_000_000_000);
    // A later report of ctl-0 replaces the one not yet sent.
    a.hub.reported('ctl-0', report('D0', 'open'), 1_800_000_000_500);

    await waitFor('B to hear every event', () => b.seen.length >= 1_200, 30_000);
    await waitFor('B to hold every report', () => b.hub.reportOf('ctl-44') !== undefined, 30_000);
    expect(b.seen).toHaveLength(1_200);
    expect(b.seen.map((e) => e.detail.n)).toEqual(events.map((e) => e.seq));
    expect(b.seen.map((e) => e.id)).toEqual(events.map((_, i) => b.hub.idBase + i + 1));
    expect(b.seen[9]).toMatchObject({ kind: 'door', controllerId: 'ctl-1', door: 'D1', personId: null });
    expect(b.seen[0]).toMatchObject({
      kind: 'access',
      area: 'office',
      personId: 'p-1',
      at: 1_800_000_000_001,
    });
    expect(b.hub.reportOf('ctl-0')).toEqual({ report: report('D0', 'open'), at: 1_800_000_000_500 });
    for (let c = 1; c < 45; c++) expect(b.hub.reportOf(`ctl-${c}`)?.report.doors[0]?.door).toBe(`D${c}`);

    // A heard its own events once (not back from B), and B sent nothing of what it was told.
    expect(a.seen).toHaveLength(1_200);
    const messages = await liveMessages();
    expect(messages.every((m) => m.origin === 'live-a')).toBe(true);
    expect(messages.reduce((n, m) => n + m.body.events.length, 0)).toBe(1_200);
    expect(messages.reduce((n, m) => n + m.body.reports.length, 0)).toBe(45);
    expect(messages.length).toBeGreaterThanOrEqual(3);
    for (const m of messages) {
      expect(m.body.events.length).toBeLessThanOrEqual(LIVE_BATCH.events);
      expect(m.body.reports.length).toBeLessThanOrEqual(LIVE_BATCH.reports);
    }
  }, 60_000);

  it('keeps a newer report over an older one relayed late', async () => {
    b.hub.reported('ctl-late', report('DL', 'open'), 1_900_000_000_000);
    a.hub.reported('ctl-late', report('DL', 'secured'), 1_800_000_000_000);
    a.hub.ingested('ctl-late', [event(1)]);
    await waitFor(
      'the event after the report to reach B',
      () => b.seen.some((e) => e.controllerId === 'ctl-late'),
      30_000,
    );
    expect(b.hub.reportOf('ctl-late')?.report.doors[0]?.phase).toBe('open');
  }, 60_000);

  it('refuses a malformed live message with a valid MAC, logs it without its content, and changes nothing', async () => {
    const before = b.seen.length;
    const held = b.hub.reportOf('ctl-3');
    const good = {
      kind: 'access',
      at: 1,
      controllerId: 'ctl-3',
      door: 'D3',
      area: null,
      personId: null,
      detail: {},
    };
    const malformed = [
      { v: 1, events: [{ ...good, personId: 42, detail: { pin: 'SECRET-4711' } }], reports: [] },
      { v: 1, events: [{ ...good, kind: 'tamper-free-for-all' }], reports: [] },
      { v: 1, events: Array.from({ length: LIVE_BATCH.events + 1 }, () => good), reports: [] },
      { v: 1, events: [], reports: [{ controllerId: 'ctl-3', at: 2e12, report: { kind: 'door-state' } }] },
      { v: 2, events: [good], reports: [] },
      { v: 1, events: [{ ...good, extra: 'SECRET-4711' }], reports: [] },
      'SECRET-4711',
    ];
    for (const body of malformed) await a.cluster.publish('live', null, body);
    await waitFor(
      'B to refuse all of them',
      () => b.warnings.filter((w) => /live relay message refused/.test(w.message)).length >= malformed.length,
      30_000,
    );
    // Then a good one goes through, so B has read past them all.
    a.hub.ingested('ctl-3', [event(77)]);
    await waitFor('the good event', () => b.seen.length === before + 1, 30_000);
    expect(b.seen.at(-1)).toMatchObject({ controllerId: 'ctl-3', detail: { n: 77 } });
    expect(b.hub.reportOf('ctl-3')).toEqual(held);
    const refused = b.warnings.filter((w) => /live relay message refused/.test(w.message));
    expect(refused).toHaveLength(malformed.length);
    expect(JSON.stringify(refused)).not.toContain('SECRET-4711');
    expect(refused[0]!.details).toMatchObject({
      origin: 'live-a',
      problems: [expect.stringMatching(/personId/)],
    });
  }, 60_000);
});
