// Reservations and their keys through the real server and a real controller agent (issue 13):
// a booking issues a key and its link; the link's page gives the QR code; the controller grants the
// code at the booked room's door with its own core decision; moving the dates moves the key;
// cancelling denies it at once. A retried booking (same Idempotency-Key) issues no second key, and
// bad input changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerAgent } from '../../../src/controller/agent.ts';
import { waitFor } from '../../support/fleet.ts';
import { type Call, type KeysServer, linkToken, startKeysServer } from './support.ts';

const HOUR = 3_600_000;
const isoAt = (ms: number) => new Date(ms).toISOString();

describe('reservations → keys → doors', () => {
  let s: KeysServer;
  let call: Call;
  let agent: ControllerAgent;

  beforeAll(async () => {
    s = await startKeysServer('monban-reservations-');
    call = s.call;
    const ok = async (method: string, path: string, body?: unknown) => {
      const r = await call(method, path, body);
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
      return r.json;
    };
    await ok('POST', '/api/controllers', { id: 'ctl-k', name: 'Keys' });
    await ok('POST', '/api/areas', { id: 'meeting', name: 'Meeting room' });
    await ok('POST', '/api/areas', { id: 'office', name: 'Office' });
    await ok('POST', '/api/doors', {
      id: 'MEET',
      name: 'Meeting room',
      fromArea: 'outside',
      toArea: 'meeting',
      controllerId: 'ctl-k',
    });
    await ok('POST', '/api/doors', {
      id: 'OFFICE',
      name: 'Office',
      fromArea: 'outside',
      toArea: 'office',
      controllerId: 'ctl-k',
    });
    await ok('POST', '/api/people', { id: 'host-1', name: 'Host' });
    agent = await s.enroll('ctl-k');
    await waitFor('the first snapshot', () => agent.snapshotVersion > 0, 15_000);
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  const present = (code: string, door = 'MEET') =>
    agent.present({ door, side: 'in', type: 'key', card: code });

  it('books, grants at the door, follows date changes, and denies once cancelled', async () => {
    const now = Date.now();
    const booking = {
      spaceId: 'meeting',
      guest: {
        name: 'Hanako Tanaka',
        company: 'Example KK',
        contact: 'hanako@example.com',
        hostPersonId: 'host-1',
      },
      startsAt: isoAt(now - HOUR),
      endsAt: isoAt(now + 2 * HOUR),
      externalRef: 'PMS-1',
    };
    const versionBefore = agent.snapshotVersion;
    const created = await call('POST', '/api/reservations', booking, { 'idempotency-key': 'book-1' });
    expect(created.status).toBe(201);
    const { reservation, key, link } = created.json;
    expect(reservation).toMatchObject({ spaceId: 'meeting', state: 'booked', keyId: key.id });
    expect(key).toMatchObject({ holder: { kind: 'guest', id: reservation.guestId }, areas: ['meeting'] });
    expect(link.url).toMatch(/\/k\/#mkl_/);

    // The retry issues nothing new: same reservation, same key, same link.
    const retry = await call('POST', '/api/reservations', booking, { 'idempotency-key': 'book-1' });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json.reservation.id).toBe(reservation.id);
    expect(retry.json.key.id).toBe(key.id);
    expect(retry.json.link.url).toBe(link.url);
    const keys = await call('GET', `/api/keys?reservation=${reservation.id}`);
    expect(keys.json.items).toHaveLength(1);
    expect((await call('GET', '/api/guests')).json.items).toHaveLength(1);
    // The same key with another body: refused, nothing changed.
    const reused = await call(
      'POST',
      '/api/reservations',
      { ...booking, externalRef: 'PMS-2' },
      { 'idempotency-key': 'book-1' },
    );
    expect(reused.status).toBe(422);
    expect(reused.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await call('GET', '/api/reservations')).json.items).toHaveLength(1);

    // The guest opens the link (no login): the code of the QR code.
    const opened = await s.anonymous('POST', '/api/key-links/open', { token: linkToken(link.url) });
    expect(opened.status).toBe(200);
    expect(opened.json.qrSvg).toContain('<svg');
    const code: string = opened.json.code;
    expect(code).toMatch(/^MK1-/);

    // Presented only once a snapshot issued after the booking is in: each presentation before it
    // would be logged as a (denied) use of the key.
    await waitFor('a snapshot with the key', () => agent.snapshotVersion > versionBefore, 15_000);
    await waitFor('the key to reach the controller', () => present(code).result === 'grant', 15_000);
    // Its own level is the meeting room only.
    expect(present(code, 'OFFICE')).toMatchObject({ result: 'deny', reason: 'no_access' });
    // Each use is logged with its sponsor (the API token that booked it).
    const uses = await waitFor(
      'the uses on the server',
      async () => {
        const r = await call('GET', `/api/keys/${key.id}/uses`);
        return r.json.items.length >= 2 && r.json.items;
      },
      15_000,
    );
    expect(uses.map((u: { result: string }) => u.result).sort()).toEqual(
      ['deny', 'grant', ...Array(uses.length - 2).fill('grant')].sort(),
    );
    expect(uses[0].sponsor).toMatch(/^token:/);
    expect((await call('GET', `/api/keys/${key.id}`)).json.uses).toBeGreaterThanOrEqual(1);

    // Moved to tomorrow: the same code is outside its validity now.
    const moved = await call(
      'PATCH',
      `/api/reservations/${reservation.id}`,
      { startsAt: isoAt(now + 24 * HOUR), endsAt: isoAt(now + 26 * HOUR) },
      { 'idempotency-key': 'move-1' },
    );
    expect(moved.status).toBe(200);
    expect(moved.json.key.validFrom).toBe(isoAt(now + 24 * HOUR));
    await waitFor(
      'the move to reach the controller',
      () => present(code).reason === 'outside_validity',
      15_000,
    );

    // Back to now, then cancelled: denied at once (revocation by command), the key revoked.
    await call(
      'PATCH',
      `/api/reservations/${reservation.id}`,
      { startsAt: isoAt(now - HOUR), endsAt: isoAt(now + 2 * HOUR) },
      { 'idempotency-key': 'move-2' },
    );
    await waitFor('the key to work again', () => present(code).result === 'grant', 15_000);
    const cancelled = await call('POST', `/api/reservations/${reservation.id}/cancel`, undefined, {
      'idempotency-key': 'cancel-1',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.reservation.state).toBe('cancelled');
    expect(cancelled.json.key.state).toBe('revoked');
    const start = Date.now();
    await waitFor('the cancel to reach the controller', () => present(code).result === 'deny', 5_000, 10);
    expect(Date.now() - start).toBeLessThan(3_000);
    // A cancelled reservation cannot be changed; its link is gone.
    const late = await call('PATCH', `/api/reservations/${reservation.id}`, {
      endsAt: isoAt(now + 3 * HOUR),
    });
    expect(late.status).toBe(400);
    expect((await s.anonymous('POST', '/api/key-links/open', { token: linkToken(link.url) })).status).toBe(
      410,
    );
  }, 120_000);

  it('refuses bad input with a 4xx naming the field, and changes nothing', async () => {
    const before = (await call('GET', '/api/reservations')).json.items.length;
    const now = Date.now();
    const base = {
      spaceId: 'meeting',
      guest: { name: 'Someone' },
      startsAt: isoAt(now + HOUR),
      endsAt: isoAt(now + 2 * HOUR),
    };
    const backwards = await call('POST', '/api/reservations', { ...base, endsAt: isoAt(now) });
    expect(backwards.status).toBe(400);
    expect(backwards.json.error.field).toBe('body.endsAt');
    const unknown = await call('POST', '/api/reservations', { ...base, spaceId: 'no-such-room' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: 'UNKNOWN_REFERENCE', field: 'body.spaceId' });
    const outside = await call('POST', '/api/reservations', { ...base, spaceId: 'outside' });
    expect(outside.json.error.field).toBe('body.spaceId');
    const huge = await call('POST', '/api/reservations', { ...base, externalRef: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
    const long = await call('POST', '/api/reservations', { ...base, externalRef: 'x'.repeat(500) });
    expect(long.status).toBe(400);
    expect(long.json.error.field).toBe('body.externalRef');
    const badKey = await call('POST', '/api/reservations', base, { 'idempotency-key': 'with space' });
    expect(badKey.status).toBe(400);
    expect(badKey.json.error.field).toMatch(/idempotency-key/);
    const keyBackwards = await call('POST', '/api/keys', {
      holder: { person: 'host-1' },
      doors: ['MEET'],
      validFrom: isoAt(now),
      validUntil: isoAt(now - HOUR),
    });
    expect(keyBackwards.json.error.field).toBe('body.validUntil');
    const keyUnknownDoor = await call('POST', '/api/keys', {
      holder: { person: 'host-1' },
      doors: ['MEET', 'NOPE'],
      validFrom: isoAt(now),
      validUntil: isoAt(now + HOUR),
    });
    expect(keyUnknownDoor.json.error).toMatchObject({ code: 'UNKNOWN_REFERENCE', field: 'body.doors[1]' });
    expect((await call('GET', '/api/reservations')).json.items).toHaveLength(before);
    expect((await call('GET', '/api/guests')).json.items.map((g: { name: string }) => g.name)).not.toContain(
      'Someone',
    );
  });

  it('issues a key for a person for chosen doors and weekday windows, and revokes it at once', async () => {
    const now = Date.now();
    const issued = await call('POST', '/api/keys', {
      holder: { person: 'host-1' },
      doors: ['OFFICE'],
      validFrom: isoAt(now - HOUR),
      validUntil: isoAt(now + 24 * HOUR),
      windows: ['00:00-24:00'],
      maxUses: 5,
      validForHours: 2,
    });
    expect(issued.status).toBe(201);
    const code = (
      await s.anonymous('POST', '/api/key-links/open', { token: linkToken(issued.json.link.url) })
    ).json.code;
    await waitFor(
      'the person key at the controller',
      () => present(code, 'OFFICE').result === 'grant',
      15_000,
    );
    expect(present(code, 'MEET').reason).toBe('no_access');
    // The first use started its two hours: the server knows it, and narrows the key's end.
    const key = await waitFor(
      'the first use on the server',
      async () => {
        const r = await call('GET', `/api/keys/${issued.json.key.id}`);
        return r.json.firstUsedAt !== null && r.json;
      },
      15_000,
    );
    expect(Date.parse(key.effectiveUntil) - Date.parse(key.firstUsedAt)).toBe(2 * HOUR);
    const revoked = await call('POST', `/api/keys/${key.id}/revoke`);
    expect(revoked.json.state).toBe('revoked');
    await waitFor(
      'the revocation at the controller',
      () => present(code, 'OFFICE').result === 'deny',
      5_000,
      10,
    );
  }, 60_000);

  it('gives one-time delivery access: one door, one use, and ends with it', async () => {
    const now = Date.now();
    const issued = await call('POST', '/api/deliveries', {
      door: 'OFFICE',
      recipientPersonId: 'host-1',
      courier: { name: 'Courier', company: 'Parcel KK' },
      validFrom: isoAt(now - HOUR),
      validUntil: isoAt(now + HOUR),
    });
    expect(issued.status).toBe(201);
    expect(issued.json.key).toMatchObject({ kind: 'delivery', maxUses: 1, recipientPersonId: 'host-1' });
    const code = (
      await s.anonymous('POST', '/api/key-links/open', { token: linkToken(issued.json.link.url) })
    ).json.code;
    await waitFor(
      'the delivery key at the controller',
      () => present(code, 'MEET').reason === 'no_access',
      15_000,
    );
    expect(present(code, 'OFFICE').result).toBe('grant');
    expect(present(code, 'OFFICE')).toMatchObject({ result: 'deny', reason: 'uses_exhausted' });
    const key = await waitFor(
      'the delivery to end on the server',
      async () => {
        const r = await call('GET', `/api/keys/${issued.json.key.id}`);
        return r.json.state === 'ended' && r.json;
      },
      15_000,
    );
    expect(key.uses).toBe(1);
    const two = await call('POST', '/api/deliveries', {
      door: 'OFFICE',
      recipientPersonId: 'nobody',
      courier: { name: 'Courier' },
      validFrom: isoAt(now),
      validUntil: isoAt(now + HOUR),
    });
    expect(two.json.error).toMatchObject({ code: 'UNKNOWN_REFERENCE', field: 'body.recipientPersonId' });
  }, 60_000);

  it('serves the holder page without inline script', async () => {
    const page = await s.anonymous('GET', '/k/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(String(page.json)).toContain('/k/key.js');
  });
});
