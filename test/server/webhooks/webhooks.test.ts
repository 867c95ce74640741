// Webhooks through the real server and a real controller (issue 13): a receiver that verifies every
// signature (HMAC-SHA256 over timestamp and body, within a replay window) is down while the site
// goes on — a booking, its key used at the door and refused at another, a tamper alarm, a
// cancellation, the controller going offline — and once it is back it gets every one of those
// events from the durable outbox, none lost; the delivery log shows the retries and redelivers on
// request. Subscriptions refuse plain-HTTP URLs outside loopback and show their secret once.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerAgent } from '../../../src/controller/agent.ts';
import { SIGNATURE_HEADER, sign, verify } from '../../../src/server/webhooks/signature.ts';
import { freePort, waitFor } from '../../support/fleet.ts';
import { type Call, type KeysServer, linkToken, startKeysServer } from '../keys/support.ts';

const HOUR = 3_600_000;
const isoAt = (ms: number) => new Date(ms).toISOString();

interface Received {
  id: string;
  type: string;
  data: Record<string, unknown>;
  deliveryId: string;
}

/** A receiver that verifies signatures and can be taken down (connections refused) and back. */
class Receiver {
  server: Server | undefined;
  secret = '';
  readonly events = new Map<string, Received>();
  readonly deliveries: string[] = [];
  rejected = 0;
  constructor(readonly port: number) {}

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      void body(req).then((text) => {
        const verdict = verify(
          this.secret,
          req.headers[SIGNATURE_HEADER] as string | undefined,
          text,
          Date.now() / 1000,
        );
        if (!verdict.ok) {
          this.rejected++;
          res.writeHead(400).end();
          return;
        }
        const event = JSON.parse(text) as Received;
        this.events.set(event.id, { ...event, deliveryId: String(req.headers['monban-delivery-id']) });
        this.deliveries.push(event.id);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise((resolve) => s.close(resolve));
  }

  ofType(type: string): Received[] {
    return [...this.events.values()].filter((e) => e.type === type);
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => resolve(text));
  });
}

describe('webhooks', () => {
  let s: KeysServer;
  let call: Call;
  let agent: ControllerAgent;
  let receiver: Receiver;
  let webhookId: string;

  beforeAll(async () => {
    s = await startKeysServer('monban-webhooks-', {
      MONBAN_WEBHOOK_RETRY_SECONDS: '0.2',
      MONBAN_LINK_TIMEOUT_SECONDS: '2',
      MONBAN_HEARTBEAT_SECONDS: '1',
    });
    call = s.call;
    const ok = async (method: string, path: string, b?: unknown) => {
      const r = await call(method, path, b);
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json;
    };
    await ok('POST', '/api/controllers', { id: 'ctl-w', name: 'Webhooks' });
    await ok('POST', '/api/areas', { id: 'room', name: 'Room' });
    await ok('POST', '/api/areas', { id: 'store', name: 'Store' });
    await ok('POST', '/api/doors', {
      id: 'ROOM',
      name: 'Room',
      fromArea: 'outside',
      toArea: 'room',
      controllerId: 'ctl-w',
    });
    await ok('POST', '/api/doors', {
      id: 'STORE',
      name: 'Store',
      fromArea: 'outside',
      toArea: 'store',
      controllerId: 'ctl-w',
    });
    await ok('POST', '/api/people', { id: 'resident', name: 'Resident' });
    agent = await s.enroll('ctl-w');
    await waitFor('the first snapshot', () => agent.snapshotVersion > 0, 15_000);
    receiver = new Receiver(await freePort());
    await receiver.up();
  }, 60_000);

  afterAll(async () => {
    await receiver?.down();
    await s?.close();
  });

  it('refuses plain HTTP outside loopback and shows the secret once', async () => {
    const plain = await call('POST', '/api/webhooks', {
      name: 'x',
      url: 'http://example.com/hook',
      events: ['*'],
    });
    expect(plain.status).toBe(400);
    expect(plain.json.error.field).toBe('body.url');
    const unknown = await call('POST', '/api/webhooks', {
      name: 'x',
      url: 'https://example.com/hook',
      events: ['nope'],
    });
    expect(unknown.json.error.field).toBe('body.events[0]');
    const created = await call('POST', '/api/webhooks', {
      name: 'Receiver',
      url: `http://127.0.0.1:${receiver.port}/hook`,
      events: ['*'],
    });
    expect(created.status).toBe(201);
    expect(created.json.secret).toMatch(/^whsec_/);
    receiver.secret = created.json.secret;
    webhookId = created.json.webhook.id;
    const listed = await call('GET', '/api/webhooks');
    expect(JSON.stringify(listed.json)).not.toContain(receiver.secret);
    expect(JSON.stringify((await call('GET', `/api/webhooks/${webhookId}`)).json)).not.toContain(
      receiver.secret,
    );
    expect((await call('GET', '/api/webhooks')).json.items).toHaveLength(1);
  });

  it('delivers every event, signed, after the receiver was down', async () => {
    await receiver.down();
    const now = Date.now();
    const booked = await call(
      'POST',
      '/api/reservations',
      { spaceId: 'room', guest: { name: 'Guest' }, startsAt: isoAt(now - HOUR), endsAt: isoAt(now + HOUR) },
      { 'idempotency-key': 'wh-1' },
    );
    expect(booked.status).toBe(201);
    const code = (
      await s.anonymous('POST', '/api/key-links/open', { token: linkToken(booked.json.link.url) })
    ).json.code;
    await waitFor(
      'the key at the controller',
      () => agent.present({ door: 'ROOM', side: 'in', type: 'key', card: code }).result === 'grant',
      15_000,
    );
    expect(agent.present({ door: 'STORE', side: 'in', type: 'key', card: code }).result).toBe('deny');
    // A parcel is delivered to the store room: its recipient is told.
    const delivery = await call('POST', '/api/deliveries', {
      door: 'STORE',
      recipientPersonId: 'resident',
      courier: { name: 'Courier' },
      validFrom: isoAt(now - HOUR),
      validUntil: isoAt(now + HOUR),
    });
    const parcel = (
      await s.anonymous('POST', '/api/key-links/open', { token: linkToken(delivery.json.link.url) })
    ).json.code;
    await waitFor(
      'the delivery key at the controller',
      () => agent.present({ door: 'STORE', side: 'in', type: 'key', card: parcel }).result === 'grant',
      15_000,
    );
    agent.doorSensor('ROOM', true);
    agent.doorSensor('ROOM', false);
    agent.tamper('case opened');
    await call('POST', `/api/reservations/${booked.json.reservation.id}/cancel`, undefined, {
      'idempotency-key': 'wh-2',
    });
    // The delivery log shows attempts that failed while the receiver was away.
    await waitFor(
      'failed attempts in the log',
      async () => {
        const log = await call('GET', `/api/webhooks/${webhookId}/deliveries?state=pending`);
        return log.json.items.some(
          (d: { attempts: number; lastError: string | null }) => d.attempts >= 1 && d.lastError,
        );
      },
      15_000,
    );
    // Everything the controller journaled is at the server before it goes away (a batch may still be
    // in flight; an agent that is never restarted would keep the rest in its journal).
    await waitFor(
      'the controller’s events at the server',
      () => agent.journal.acknowledged === agent.journal.next - 1,
      15_000,
    );
    await s.stopAgent(agent);
    await new Promise((r) => setTimeout(r, 4_000)); // the link falls silent: controller.offline

    await receiver.up();
    const wanted = [
      'reservation.created',
      'key.issued',
      'access.granted',
      'access.denied',
      'key.used',
      'door.state',
      'alarm.raised',
      'reservation.cancelled',
      'key.revoked',
      'controller.offline',
      'delivery.used',
    ];
    await waitFor(
      'every event at the receiver',
      () => wanted.every((t) => receiver.ofType(t).length > 0),
      // retries back off (10 s, doubling): margin for a loaded machine
      120_000,
      100,
    );
    expect(receiver.rejected).toBe(0);
    const granted = receiver.ofType('access.granted')[0]!;
    expect(granted.data).toMatchObject({ door: 'ROOM', controllerId: 'ctl-w' });
    expect(String(granted.data.credential)).toMatch(/^key#/);
    expect(receiver.ofType('delivery.used')[0]!.data).toMatchObject({ recipient: 'resident', door: 'STORE' });
    // No secret anywhere in what was sent.
    const all = JSON.stringify([...receiver.events.values()]);
    expect(all).not.toContain(code);
    expect(all).not.toContain(linkToken(booked.json.link.url));
    // The log: all delivered, some after several attempts.
    const log = await waitFor(
      'the log to settle',
      async () => {
        const r = await call('GET', `/api/webhooks/${webhookId}/deliveries?limit=1000`);
        return r.json.items.every((d: { state: string }) => d.state === 'delivered') && r.json.items;
      },
      30_000,
    );
    expect(log.some((d: { attempts: number }) => d.attempts > 1)).toBe(true);
    expect(log.length).toBe(receiver.events.size);

    // Redelivery on request: the same event again, with the same id.
    const first = log[0];
    const before = receiver.deliveries.length;
    expect((await call('POST', `/api/webhooks/${webhookId}/deliveries/${first.id}/redeliver`)).status).toBe(
      204,
    );
    await waitFor('the redelivery', () => receiver.deliveries.length > before, 10_000);
    expect(receiver.deliveries.at(-1)).toBe(first.eventId);
  }, 150_000);

  it('signs so that a replayed or altered delivery fails verification', () => {
    const secret = 'whsec_test';
    const b = '{"id":"evt_1"}';
    const t = Math.floor(Date.now() / 1000);
    expect(verify(secret, sign(secret, b, t), b, t)).toMatchObject({ ok: true });
    expect(verify(secret, sign(secret, b, t - 600), b, t)).toEqual({ ok: false, reason: 'stale' });
    expect(verify(secret, sign(secret, b, t), `${b} `, t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify('whsec_other', sign(secret, b, t), b, t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(secret, 'garbage', b, t)).toEqual({ ok: false, reason: 'malformed' });
  });
});
