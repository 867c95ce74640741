// Rule (flood control): what a controller reports folds into one open alarm per (controller, door,
// type) whose `occurrences` count the repeats and whose message is the latest — a door forced open
// ten times is one line in the queue, not ten; acknowledging it keeps it the one that counts, and
// once resolved the next occurrence is a new alarm. A duress alarm always stands alone: each is its
// own alarm, whatever key it is raised with. Each repeat reaches the push stream as `repeated`.
// Real parts: the composed server on a SQLite file, and the real event ingest path for the
// controller's batches (resent batches count once).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerEvent } from '../../../src/contracts/messages.ts';
import { type ComposedServer, composeServer } from '../../../src/server/compose.ts';
import { controllerAlarms } from '../../../src/server/controllers/controller-alarms.ts';
import type { EventIngest } from '../../../src/server/controllers/ingest.ts';
import type { LiveEvent } from '../../../src/server/live/hub.ts';
import { chainKeys } from '../../../src/server/storage/chain.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { repositories } from '../../../src/server/storage/index.ts';
import { standaloneIngest } from '../../support/event-ingest.ts';

const KEY = new Uint8Array(32).fill(11);
const T0 = Date.parse('2026-03-02T09:00:00Z');
const logger = pino({ level: 'silent' });

interface AlarmRow {
  id: string;
  type: string;
  state: string;
  occurrences: number;
  message: string;
  detail: Record<string, unknown>;
}

describe('alarm flood control', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-alarm-flood-'));
  let store: Store;
  let server: ComposedServer;
  let ingest: EventIngest;
  let seq = 0;
  let now = T0;
  const changes: LiveEvent[] = [];

  /** One batch from ctl-1, as its uplink sends it: alarms at doors (or none). */
  const report = (...alarms: [alarm: string, door: string | undefined, detail?: string][]) => {
    now += 1_000;
    const batch: ControllerEvent[] = alarms.map(([alarm, door, detail]) => ({
      seq: ++seq,
      at: now,
      type: 'alarm',
      ...(door && { door }),
      detail: { alarm, ...(detail && { detail }) },
    }));
    return ingest.ingest('ctl-1', batch).then(() => batch);
  };
  const list = async (query = '') =>
    (
      await server.app.inject({
        method: 'GET',
        url: `/api/alarms?limit=500${query}`,
        headers: { 'x-test-principal': 'admin' },
      })
    ).json().items as AlarmRow[];

  beforeAll(async () => {
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    server = await composeServer({
      store,
      installationKey: KEY,
      logger,
      clock: { now: () => now },
      controllers: false,
      authenticate: (request) =>
        request.headers['x-test-principal'] === 'admin'
          ? { kind: 'operator', id: 'admin-1', role: 'admin', scope: 'all' }
          : undefined,
    });
    server.live.subscribe((e) => {
      if (e.kind === 'alarm') changes.push(e);
    });
    const repos = repositories(store.db, KEY);
    const raise = controllerAlarms(server.alarms, 'main', logger);
    ingest = standaloneIngest(store.db, repos, raise, {
      eventKey: chainKeys(KEY).events,
    });
  });
  afterAll(async () => {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('folds repeats per controller, door and type, counting them; a resent batch counts once', async () => {
    await report(['forced_open', 'D1', 'first']);
    const batch = await report(['forced_open', 'D1', 'second'], ['forced_open', 'D2'], ['held_open', 'D1']);
    await ingest.ingest('ctl-1', batch); // the uplink resends: stored once, counted once
    await report(
      ['forced_open', 'D1', 'third'],
      ['tamper', undefined, 'case opened'],
      ['tamper', undefined, 'case opened'],
    );

    const forced = await list('&type=forced_open');
    expect(forced.map((a) => [a.detail.door, a.occurrences])).toEqual([
      ['D2', 1],
      ['D1', 3],
    ]);
    expect(forced.find((a) => a.detail.door === 'D1')!.message).toMatch(/door D1: third$/);
    expect((await list('&type=held_open')).map((a) => a.occurrences)).toEqual([1]);
    // At the controller itself (no door): one alarm per type too.
    expect((await list('&type=tamper')).map((a) => [a.detail.door, a.occurrences])).toEqual([[undefined, 2]]);
    // On the stream: the first of each is `raised`, the rest `repeated` with the count so far.
    const d1 = changes.filter((e) => e.door === 'D1' && (e.detail.alarm as AlarmRow).type === 'forced_open');
    expect(d1.map((e) => [e.detail.change, (e.detail.alarm as AlarmRow).occurrences])).toEqual([
      ['raised', 1],
      ['repeated', 2],
      ['repeated', 3],
    ]);
  });

  it('keeps counting on an acknowledged alarm; after it is resolved the next one is new', async () => {
    const [d1] = (await list('&type=forced_open')).filter((a) => a.detail.door === 'D1');
    const act = (action: string) =>
      server.app.inject({
        method: 'POST',
        url: `/api/alarms/${d1!.id}/${action}`,
        headers: { 'x-test-principal': 'admin' },
        payload: {},
      });
    expect((await act('acknowledge')).statusCode).toBe(200);
    await report(['forced_open', 'D1', 'fourth']);
    expect((await list('&type=forced_open')).find((a) => a.id === d1!.id)).toMatchObject({
      state: 'acknowledged',
      occurrences: 4,
    });
    expect((await act('resolve')).statusCode).toBe(200);
    await report(['forced_open', 'D1', 'fifth']);
    const open = (await list('&type=forced_open&state=active')).filter((a) => a.detail.door === 'D1');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ occurrences: 1, message: expect.stringMatching(/fifth$/) });
    expect(open[0]!.id).not.toBe(d1!.id);
  });

  it('never folds duress: each is its own alarm, from a controller or raised with a key', async () => {
    await report(['duress', 'D1'], ['duress', 'D1']);
    await report(['duress', 'D1']);
    await server.alarms.raise({
      type: 'duress',
      source: 'controller:ctl-1',
      message: 'duress',
      dedupeKey: 'same',
    });
    await server.alarms.raise({
      type: 'duress',
      source: 'controller:ctl-1',
      message: 'duress',
      dedupeKey: 'same',
    });
    const duress = await list('&type=duress');
    expect(duress).toHaveLength(5);
    expect(duress.every((a) => a.occurrences === 1 && a.state === 'active')).toBe(true);
    expect(
      changes.filter((e) => (e.detail.alarm as AlarmRow).type === 'duress').map((e) => e.detail.change),
    ).toEqual(Array(5).fill('raised'));
  });
});
