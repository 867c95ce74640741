// Rule: every change of an alarm reaches connected push-stream clients as it happens — raised,
// repeated (flood control counts it on the open alarm), acknowledged, resolved, commented — with the
// alarm as the API shows it; server alarms (clock drift, a controller's link lost) come the same way
// as those a controller reports, with `controllerId` null when no controller is concerned. A scoped
// operator's stream shows exactly the alarms their alarm list shows; a client that reconnects with
// Last-Event-ID is given the alarm changes it missed.
// Real parts: the composed server listening on a port, SQLite, real SSE clients over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComposedServer, composeServer } from '../../../src/server/compose.ts';
import { controllerAlarms } from '../../../src/server/controllers/controller-alarms.ts';
import type { Principal } from '../../../src/server/http/principal.ts';
import { openStore, type Store } from '../../../src/server/storage/db.ts';
import { openSse, type SseClient } from '../../support/sse.ts';

const KEY = new Uint8Array(32).fill(9);
const logger = pino({ level: 'silent' });
const PRINCIPALS: Record<string, Principal> = {
  admin: { kind: 'operator', id: 'admin-1', role: 'admin', scope: 'all' },
  tokyo: { kind: 'operator', id: 'op-tokyo', role: 'operator', scope: { departments: [], sites: ['tokyo'] } },
  sales: { kind: 'operator', id: 'op-sales', role: 'operator', scope: { departments: ['sales'], sites: [] } },
};

describe('alarms on the push stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-alarm-stream-'));
  let store: Store;
  let server: ComposedServer;
  let url: string;
  const clients: SseClient[] = [];
  const stream = async (who: string, headers: Record<string, string> = {}) => {
    const client = await openSse(`${url}/api/live/stream`, {
      headers: { 'x-test-principal': who, ...headers },
    });
    clients.push(client);
    return client;
  };
  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: { 'x-test-principal': who, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the answer carries
    return { status: r.status, json: (await r.json()) as any };
  };
  const alarmEvents = (c: SseClient) => c.events.filter((e) => e.event === 'alarm').map((e) => e.data);

  beforeAll(async () => {
    store = await openStore({ sqliteFile: join(dir, 'monban.db') });
    server = await composeServer({
      store,
      installationKey: KEY,
      logger,
      controllers: false,
      authenticate: (request) => {
        const who = request.headers['x-test-principal'];
        return typeof who === 'string' ? PRINCIPALS[who] : undefined;
      },
    });
    const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
    url = address;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes raise, repeat, acknowledge, comment and resolve, scoped as the alarm list', async () => {
    const admin = await stream('admin');
    const tokyo = await stream('tokyo');
    const sales = await stream('sales');
    // A controller at the Tokyo site reports its door forced open, twice (as ingest raises it).
    const raise = controllerAlarms(server.alarms, 'tokyo', logger);
    await raise('forced_open', 'ctl-1', 'forced_open at controller ctl-1, door D1', 'at:ctl-1:D1', 'D1');
    const raised = (await admin.waitFor('the forced_open raised', (e) => e.event === 'alarm')).data;
    expect(raised).toMatchObject({
      kind: 'alarm',
      controllerId: 'ctl-1',
      door: 'D1',
      personId: null,
      detail: {
        change: 'raised',
        alarm: {
          type: 'forced_open',
          state: 'active',
          site: 'tokyo',
          occurrences: 1,
          source: 'controller:ctl-1',
        },
      },
    });
    const id = raised.detail.alarm.id as string;
    await raise(
      'forced_open',
      'ctl-1',
      'forced_open at controller ctl-1, door D1 (again)',
      'at:ctl-1:D1',
      'D1',
    );
    await admin.waitFor('the repeat', (e) => e.data.detail.change === 'repeated');
    expect(alarmEvents(admin)[1].detail.alarm).toMatchObject({
      id,
      occurrences: 2,
      message: expect.stringMatching(/again/),
    });

    // The server's own alarm: its clock jumped an hour (no controller, no site).
    await server.alarms.clockSample({ wallMs: 1_000_000, monoMs: 0 });
    await server.alarms.clockSample({ wallMs: 1_000_000 + 3_600_000, monoMs: 1_000 });
    const drift = (await admin.waitFor('time_drift', (e) => e.data.detail.alarm?.type === 'time_drift')).data;
    expect(drift).toMatchObject({
      controllerId: null,
      door: null,
      detail: { change: 'raised', alarm: { site: null } },
    });

    // The link of a controller lost: raised by the server, about the controller.
    await raise('comms_lost', 'ctl-1', 'controller ctl-1: no heartbeat', 'link:ctl-1:comms_lost');
    await admin.waitFor('comms_lost', (e) => e.data.detail.alarm?.type === 'comms_lost');

    // Acknowledged with a comment, then resolved: each step reaches every stream that sees the alarm.
    const ack = await call('admin', 'POST', `/api/alarms/${id}/acknowledge`, { comment: 'guard on the way' });
    expect(ack.status).toBe(200);
    const acked = await admin.waitFor('the acknowledgement', (e) => e.data.detail.change === 'acknowledged');
    expect(acked.data.detail.alarm).toMatchObject({
      id,
      state: 'acknowledged',
      acknowledgedBy: expect.any(String),
    });
    await admin.waitFor('the comment', (e) => e.data.detail.change === 'commented');
    expect((await call('admin', 'POST', `/api/alarms/${id}/resolve`, {})).status).toBe(200);
    await tokyo.waitFor('the resolution', (e) => e.data.detail.change === 'resolved');

    // In order, on each stream: what the Tokyo operator sees is what their alarm list shows.
    await admin.waitFor('every change', () => alarmEvents(admin).length === 7);
    expect(alarmEvents(admin).map((e) => `${e.detail.alarm.type}:${e.detail.change}`)).toEqual([
      'forced_open:raised',
      'forced_open:repeated',
      'time_drift:raised',
      'comms_lost:raised',
      'forced_open:acknowledged',
      'forced_open:commented',
      'forced_open:resolved',
    ]);
    const tokyoList = (await call('tokyo', 'GET', '/api/alarms?limit=500')).json.items as { id: string }[];
    const tokyoSeen = new Set(alarmEvents(tokyo).map((e) => e.detail.alarm.id));
    expect([...tokyoSeen].sort()).toEqual(tokyoList.map((a) => a.id).sort());
    expect(alarmEvents(tokyo).map((e) => `${e.detail.alarm.type}:${e.detail.change}`)).toEqual([
      'forced_open:raised',
      'forced_open:repeated',
      'comms_lost:raised',
      'forced_open:acknowledged',
      'forced_open:commented',
      'forced_open:resolved',
    ]);
    // Alarms carry a site, never a department: a department-scoped operator sees none, as in the list.
    expect((await call('sales', 'GET', '/api/alarms')).json.items).toEqual([]);
    expect(alarmEvents(sales)).toEqual([]);
  });

  it('gives a client that reconnects with Last-Event-ID the alarm changes it missed', async () => {
    const first = await stream('admin');
    await server.alarms.loginFailed(); // not a burst: no alarm
    await controllerAlarms(server.alarms, 'main', logger)(
      'tamper',
      'ctl-2',
      'tamper at controller ctl-2',
      'at:ctl-2:-',
    );
    const seen = await first.waitFor('the tamper', (e) => e.data.detail.alarm?.type === 'tamper');
    first.close();
    await server.alarms.raise({
      type: 'duress',
      source: 'controller:ctl-2',
      site: 'main',
      message: 'duress at D9',
      detail: { door: 'D9' },
    });
    const again = await stream('admin', { 'last-event-id': seen.id! });
    const missed = await again.waitFor(
      'the duress missed while away',
      (e) => e.data.detail.alarm?.type === 'duress',
    );
    expect(missed.data).toMatchObject({ controllerId: 'ctl-2', door: 'D9', detail: { change: 'raised' } });
    expect(again.events.some((e) => e.id === seen.id)).toBe(false); // not the one it had
  });
});
