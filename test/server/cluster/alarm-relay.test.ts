// Rule: with several server instances on one PostgreSQL database, an alarm change on one instance —
// raised, repeated, acknowledged, resolved — reaches the push stream of every other instance, once,
// in order, through the cluster relay (kind `alarm`); a relayed alarm that does not match the alarm
// schema is refused whole and logged, and no stream shows it. PostgreSQL only.
// Real parts: two alarm services and live hubs wired as the composition root wires them
// (live/alarms.ts), two relays over one real PostgreSQL database.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmService } from '../../../src/server/alarms/service.ts';
import { securityDb } from '../../../src/server/auth/context.ts';
import { ClusterRelay } from '../../../src/server/cluster/relay.ts';
import { applyRelayedAlarm, liveAlarms } from '../../../src/server/live/alarms.ts';
import { type LiveEvent, LiveHub } from '../../../src/server/live/hub.ts';
import type { Store } from '../../../src/server/storage/db.ts';
import { waitFor } from '../../support/fleet.ts';
import { backends } from '../storage/backends.ts';

const postgres = backends.find((b) => b.name === 'PostgreSQL');
const KEY = new Uint8Array(32).fill(6);
const logger = pino({ level: 'silent' });

interface Instance {
  hub: LiveHub;
  alarms: AlarmService;
  relay: ClusterRelay;
  seen: LiveEvent[];
  errors: string[];
}

describe.skipIf(!postgres)('alarm changes relayed between server instances on PostgreSQL', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const instances: Instance[] = [];

  function instance(instanceId: string): Instance {
    const hub = new LiveHub();
    const errors: string[] = [];
    const relay = new ClusterRelay({
      db: store.db,
      installationKey: KEY,
      instanceId,
      url: process.env.MONBAN_TEST_DATABASE_URL!,
      now: Date.now,
      handle: async (m) => {
        if (m.kind === 'alarm') applyRelayedAlarm(hub, m.body);
      },
      onError: (e) => errors.push((e as Error).message),
      pollMs: 100,
    });
    const alarms = new AlarmService(securityDb(store.db), logger, { now: Date.now });
    alarms.listen(liveAlarms({ hub, now: Date.now, relay: (body) => relay.publish('alarm', null, body) }));
    const seen: LiveEvent[] = [];
    hub.subscribe((e) => seen.push(e));
    const made = { hub, alarms, relay, seen, errors };
    instances.push(made);
    return made;
  }
  const story = (i: Instance) =>
    i.seen.map((e) => `${(e.detail.alarm as { type: string }).type}:${e.detail.change}`);

  beforeAll(async () => {
    ({ store, cleanup } = await postgres!.open());
  });
  afterAll(async () => {
    for (const i of instances) await i.relay.stop();
    await store.close();
    await cleanup();
  });

  it('shows an alarm raised on A to a client of B, and B’s acknowledgement to a client of A', async () => {
    const a = instance('a');
    const b = instance('b');
    await a.relay.start();
    await b.relay.start();

    const forced = await a.alarms.raise({
      type: 'forced_open',
      source: 'controller:ctl-1',
      site: 'tokyo',
      message: 'forced_open at controller ctl-1, door D1',
      detail: { controllerId: 'ctl-1', door: 'D1' },
      dedupeKey: 'at:ctl-1:D1',
    });
    await a.alarms.raise({
      type: 'forced_open',
      source: 'controller:ctl-1',
      site: 'tokyo',
      message: 'again',
      dedupeKey: 'at:ctl-1:D1',
    });
    await waitFor('both on B', () => b.seen.length === 2, 10_000);
    expect(b.seen[0]).toMatchObject({
      kind: 'alarm',
      controllerId: 'ctl-1',
      door: 'D1',
      detail: { change: 'raised', alarm: { id: forced.id, site: 'tokyo', occurrences: 1 } },
    });
    expect(b.seen[1]!.detail).toMatchObject({ change: 'repeated', alarm: { id: forced.id, occurrences: 2 } });

    // An operator on B acknowledges and resolves it: A's clients see both, after the raise.
    await b.alarms.acknowledge(forced.id, 'operator:ito');
    await b.alarms.resolve(forced.id, 'operator:ito');
    await waitFor('the acknowledgement and resolution on A', () => a.seen.length === 4, 10_000);
    expect(story(a)).toEqual([
      'forced_open:raised',
      'forced_open:repeated',
      'forced_open:acknowledged',
      'forced_open:resolved',
    ]);
    expect(a.seen[2]!.detail.alarm).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'operator:ito' });
    // Each instance's own stream has the same story once: a change is not relayed back to itself.
    expect(story(b)).toEqual(story(a));
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('refuses a relayed alarm that does not match the alarm schema, whoever signed it', async () => {
    const [a, b] = instances as [Instance, Instance];
    const before = b.seen.length;
    // Signed by an instance (a valid MAC), but not an alarm: no id, an unknown type, a script as detail.
    await a.relay.publish('alarm', null, {
      change: 'raised',
      at: Date.now(),
      alarm: { type: 'fire!', detail: '<script>' },
    });
    await a.relay.publish('alarm', null, { change: 'exploded', at: Date.now(), alarm: {} });
    await a.alarms.raise({ type: 'time_drift', source: 'server', message: 'server clock changed by 3600 s' });
    await waitFor('the real alarm on B', () => b.seen.length > before, 10_000);
    await waitFor('both refusals logged on B', () => b.errors.length >= 2, 10_000);
    expect(b.errors.every((e) => /relayed alarm refused/.test(e))).toBe(true);
    expect(b.seen.slice(before).map((e) => [e.controllerId, e.detail.change])).toEqual([[null, 'raised']]);
  });
});
