// Mobile keys (R-KEY-2, issue 13 §2) through the real server and real controller agents, with a
// simulated phone that signs as the /m/ page does (WebCrypto, non-extractable P-256 key):
// an invitation registers the phone; it opens a door online (the core decides, the controller
// unlocks, the open is logged as mobile:<device>); a replayed server challenge is refused with an
// alarm; a revoked device is denied online and at the door. Then with the server stopped, the
// controller alone verifies a fresh token against its snapshot and grants — and denies the same
// token again (credential_replay alarm), a token for another door or controller (alarm), an unknown
// device and an answer after the challenge expired. Bad input is refused naming the field.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerAgent, type DriverEvent } from '../../../src/controller/agent.ts';
import type { ControllerIdentity } from '../../../src/controller/identity.ts';
import { runSimDriver } from '../../../src/controller/sim-driver.ts';
import type { CoreEvent } from '../../../src/core/events.ts';
import { serverConfig } from '../../../src/server/config.ts';
import { type RunningServer, startServer } from '../../../src/server/serve.ts';
import { SimPhone } from '../../../src/sim/phone.ts';
import { waitFor } from '../../support/fleet.ts';
import { type Call, type KeysServer, startKeysServer } from '../keys/support.ts';

const fragment = (url: string) => new URL(url).hash.slice(1);

describe('mobile keys, online and offline at the door', () => {
  let s: KeysServer;
  let call: Call;
  let anonymous: Call;
  let main: ControllerAgent;
  let annex: ControllerAgent;
  let serverStopped = false;
  /** the server started again after the offline part */
  let again: RunningServer | undefined;
  let mqttPort = 0;
  let webhookId: string;
  /** the main controller's clock runs `skew` ms ahead (to let a challenge expire) */
  let skew = 0;
  const journaled: (CoreEvent | DriverEvent)[] = [];
  const agents: ControllerAgent[] = [];

  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };

  async function enroll(controllerId: string, now?: () => number): Promise<ControllerAgent> {
    const service = s.server.controllers!;
    const { token } = await service.createEnrollment(controllerId);
    const keys = generateKeyPairSync('ed25519');
    const answer = (await service.enroll(
      controllerId,
      token,
      keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    ))!;
    mqttPort = Number(new URL(answer.mqttUrl).port);
    const identity: ControllerIdentity = {
      controllerId,
      site: answer.site,
      mqttUrl: answer.mqttUrl,
      mqttProtocol: answer.mqttProtocol,
      brokerCa: answer.brokerCa,
      serverKey: createPublicKey(answer.serverPublicKey),
      credentialKey: new Uint8Array(Buffer.from(answer.credentialKey, 'base64')),
      privateKey: keys.privateKey,
    };
    const agent = new ControllerAgent({
      dataDir: join(s.dir, controllerId),
      identity,
      softwareVersion: 'test',
      heartbeatMs: 200,
      ...(now && { now }),
      onEvent: (e) => {
        if (controllerId === 'ctl-m') journaled.push(e);
      },
    });
    agents.push(agent);
    await agent.start();
    return agent;
  }

  /** A phone registered for a person through an invitation. */
  async function phoneFor(person: string, name: string): Promise<SimPhone> {
    const invitation = await ok('POST', `/api/people/${person}/mobile-invitations`, { hours: 1 });
    expect(invitation.url).toMatch(/\/m\/#mmi_/);
    const phone = await SimPhone.create();
    const registered = await anonymous(
      'POST',
      '/api/mobile/register',
      await phone.registration(fragment(invitation.url), name),
    );
    expect(registered.status).toBe(201);
    phone.device = registered.json.device;
    return phone;
  }

  /** An online open: a server challenge for the door, signed, sent. */
  async function openOnline(phone: SimPhone, door: string) {
    const challenge = await anonymous('POST', '/api/mobile/challenges', { device: phone.device, door });
    expect(challenge.status).toBe(201);
    const token = await phone.answer(challenge.json);
    return { token, answer: await anonymous('POST', '/api/mobile/open', { token }) };
  }

  /** Offline at a controller's door: its challenge, signed by the phone, presented there. */
  async function atDoor(agent: ControllerAgent, phone: SimPhone, door: string) {
    const challenge = agent.mobile.challenge(door)!;
    const token = await phone.answer(challenge);
    return { token, decision: await agent.mobile.present(door, 'in', token) };
  }

  beforeAll(async () => {
    s = await startKeysServer('monban-mobile-');
    call = s.call;
    anonymous = s.anonymous;
    await ok('POST', '/api/controllers', { id: 'ctl-m', name: 'Main' });
    await ok('POST', '/api/controllers', { id: 'ctl-n', name: 'Annex' });
    for (const area of ['lab', 'office', 'annex']) await ok('POST', '/api/areas', { id: area, name: area });
    const door = (id: string, to: string, controllerId: string) =>
      ok('POST', '/api/doors', { id, name: `${id} door`, fromArea: 'outside', toArea: to, controllerId });
    await door('LAB', 'lab', 'ctl-m');
    await door('OFFICE', 'office', 'ctl-m');
    await door('ANNEX', 'annex', 'ctl-n');
    await ok('POST', '/api/access-levels', {
      id: 'lab-annex',
      name: 'Lab and annex',
      doors: ['LAB', 'ANNEX'],
    });
    await ok('POST', '/api/access-levels', { id: 'office', name: 'Office', doors: ['OFFICE'] });
    await ok('POST', '/api/people', { id: 'alice', name: 'Alice', levels: ['lab-annex'] });
    await ok('POST', '/api/people', { id: 'bob', name: 'Bob', levels: ['lab-annex'] });
    await ok('POST', '/api/people', { id: 'carol', name: 'Carol', levels: ['office'] });
    // A receiver that is away: what would be sent stays in the delivery log to look at.
    webhookId = (
      await ok('POST', '/api/webhooks', {
        name: 'access',
        url: 'http://127.0.0.1:9/hook',
        events: ['access.*'],
      })
    ).webhook.id;
    main = await enroll('ctl-m', () => Date.now() + skew);
    annex = await enroll('ctl-n');
    await waitFor('the first snapshots', () => main.snapshotVersion > 0 && annex.snapshotVersion > 0, 20_000);
  }, 90_000);

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    if (!serverStopped) await s?.server.close();
    await again?.close();
    await s?.close().catch(() => {});
  }, 60_000);

  let alice: SimPhone;
  let bob: SimPhone;

  it('serves the phone page installable, with no inline script', async () => {
    const page = await anonymous('GET', '/m/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['cache-control']).toBe('no-store');
    const html = String(page.json);
    expect(html).toContain('<script src="/m/mobile.js" defer></script>');
    expect(html.match(/<script/g)).toHaveLength(1);
    const manifest = await anonymous('GET', '/m/manifest.webmanifest');
    expect(manifest.json).toMatchObject({ start_url: '/m/', display: 'standalone' });
    const script = await anonymous('GET', '/m/mobile.js');
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('registers a phone through a one-time invitation; bad input is refused naming the field', async () => {
    const invitation = await ok('POST', '/api/people/alice/mobile-invitations', { label: 'Alice phone' });
    const token = fragment(invitation.url);
    alice = await SimPhone.create();
    expect(alice.privateKeyExtractable).toBe(false);
    const body = await alice.registration(token, 'Alice Pixel');

    const refused = async (what: unknown, status: number, field?: string) => {
      const r = await anonymous('POST', '/api/mobile/register', what);
      expect(r.status, JSON.stringify(r.json)).toBe(status);
      if (field) expect(r.json.error.field).toBe(field);
      return r;
    };
    await refused({ ...body, publicKey: { ...body.publicKey, x: 'short' } }, 400, 'body.publicKey.x');
    await refused({ ...body, publicKey: { ...body.publicKey, crv: 'P-384' } }, 400, 'body.publicKey.crv');
    await refused({ ...body, publicKey: { ...body.publicKey, kty: 'RSA' } }, 400, 'body.publicKey.kty');
    await refused(
      { ...body, publicKey: { ...body.publicKey, d: body.publicKey.x } },
      400,
      'body.publicKey.d',
    );
    await refused(
      { ...body, publicKey: { ...body.publicKey, y: Buffer.alloc(32, 7).toString('base64url') } },
      400,
      'body.publicKey',
    );
    const stranger = await SimPhone.create();
    await refused({ ...body, proof: (await stranger.registration(token, 'x')).proof }, 400, 'body.proof');
    await refused({ ...body, deviceName: 'x'.repeat(101) }, 400, 'body.deviceName');
    const huge = await anonymous('POST', '/api/mobile/register', { ...body, deviceName: 'x'.repeat(5000) });
    expect(huge.status).toBe(413);
    // None of that used the invitation up.
    const registered = await anonymous('POST', '/api/mobile/register', body);
    expect(registered.status).toBe(201);
    alice.device = registered.json.device;
    expect(alice.device).toMatch(/^md-/);
    // An invitation registers one device.
    expect((await anonymous('POST', '/api/mobile/register', body)).json.error.code).toBe(
      'MOBILE_INVITATION_GONE',
    );

    const devices = await ok('GET', '/api/people/alice/mobile-devices');
    expect(devices.items).toEqual([
      expect.objectContaining({
        id: alice.device,
        deviceName: 'Alice Pixel',
        state: 'active',
        reference: `mobile:${alice.device}`,
      }),
    ]);
    // The person's credentials list it as a mobile credential; no key material in either answer.
    const credentials = await ok('GET', '/api/credentials?personId=alice');
    expect(credentials.items).toEqual([
      expect.objectContaining({ type: 'mobile', identifier: alice.device }),
    ]);
    expect(JSON.stringify(devices)).not.toContain(alice.publicKey.x);
    bob = await phoneFor('bob', 'Bob iPhone');
    // Each invitation is audited once, naming the person; the token is in no record.
    const invited = await ok('GET', '/api/audit?action=mobile.invite');
    expect(invited.items.map((r: { target: string }) => r.target)).toEqual(
      expect.arrayContaining(['person:alice', 'person:bob']),
    );
    const generic = await ok('GET', '/api/audit?action=api.post');
    expect(JSON.stringify(generic)).not.toContain('mobile-invitations');
    expect(JSON.stringify(invited)).not.toContain(token);
  }, 60_000);

  it('opens online: the core decides, the controller unlocks, the open is logged; a replay alarms', async () => {
    const doors = await (async () => {
      const c = await anonymous('POST', '/api/mobile/challenges', { device: alice.device });
      return anonymous('POST', '/api/mobile/doors', { token: await alice.answer(c.json) });
    })();
    expect(doors.status).toBe(200);
    expect(doors.json.doors.map((d: { id: string }) => d.id)).toEqual(['ANNEX', 'LAB']);

    const { token, answer } = await openOnline(alice, 'LAB');
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json).toMatchObject({ door: 'LAB', result: 'grant', unlocked: true });

    // The same token again: the challenge is used up — refused and alarmed.
    const replayed = await anonymous('POST', '/api/mobile/open', { token });
    expect(replayed.status).toBe(410);
    expect(replayed.json.error.code).toBe('MOBILE_CHALLENGE_GONE');
    const alarms = await ok('GET', '/api/alarms?type=credential_replay');
    expect(alarms.items.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(alarms.items[0])).toContain(alice.device!);

    // A door of no level of hers: the core's reason.
    const office = await openOnline(alice, 'OFFICE');
    expect(office.answer.status).toBe(403);
    expect(office.answer.json.error).toMatchObject({ code: 'MOBILE_ACCESS_DENIED', reason: 'no_access' });

    // A token signed for the LAB challenge but sent as another device's: the signature fails.
    const c = await anonymous('POST', '/api/mobile/challenges', { device: bob.device, door: 'LAB' });
    const forged = await alice.tokenFor({
      device: bob.device!,
      issuer: '~server',
      door: 'LAB',
      nonce: c.json.nonce,
      issuedAt: c.json.issuedAt,
    });
    const wrong = await anonymous('POST', '/api/mobile/open', { token: forged });
    expect(wrong.json.error.code).toBe('MOBILE_SIGNATURE_INVALID');
    const garbage = await anonymous('POST', '/api/mobile/open', { token: 'mm1.nope' });
    expect(garbage.status).toBe(400);
    expect(garbage.json.error.field).toBe('body.token');

    // A lockdown the controller reports: the server's decision follows it (door_locked), and after.
    await ok('POST', '/api/actions', { action: 'set-lockdown', active: true });
    await waitFor(
      'the lockdown reported',
      async () => {
        const r = await openOnline(alice, 'LAB');
        return r.answer.status === 403 && r.answer.json.error.reason === 'door_locked';
      },
      10_000,
    );
    await ok('POST', '/api/actions', { action: 'set-lockdown', active: false });
    await waitFor(
      'the lockdown lifted',
      async () => (await openOnline(alice, 'LAB')).answer.status === 200,
      10_000,
    );

    // Both decisions are in the event log under the device's reference; the unlock is audited.
    const events = await waitFor('the online opens in the event log', async () => {
      const r = await ok('GET', '/api/events?type=access&person=alice');
      const mine = r.items.filter((e: { credential: string }) => e.credential === `mobile:${alice.device}`);
      return mine.length >= 2 && mine;
    });
    expect(events.map((e: { door: string; result: string }) => `${e.door}:${e.result}`).sort()).toEqual(
      expect.arrayContaining(['LAB:grant', 'OFFICE:deny']),
    );
    // …and go to the webhooks as controllers' decisions do (no controller has decided any yet).
    const deliveries = await waitFor('the webhook events of the online opens', async () => {
      const r = await ok('GET', `/api/webhooks/${webhookId}/deliveries?limit=100`);
      const types = r.items.map((d: { eventType: string }) => d.eventType);
      return types.includes('access.granted') && types.includes('access.denied') && types;
    });
    expect(deliveries.every((t: string) => t.startsWith('access.'))).toBe(true);
    const audit = await ok('GET', '/api/audit?action=operation.unlock-door');
    expect(JSON.stringify(audit)).toContain(`mobile:${alice.device}`);
    const device = await ok('GET', `/api/mobile-devices/${alice.device}`);
    expect(device.lastUsedAt).not.toBeNull();
  }, 60_000);

  it('denies a revoked device online and at the door, and forgets a removed one', async () => {
    expect((await openOnline(bob, 'LAB')).answer.status).toBe(200);
    await waitFor(
      'bob’s key at the controller',
      async () => (await atDoor(main, bob, 'LAB')).decision.result === 'grant',
      20_000,
    );

    await ok('PATCH', `/api/credentials/${bob.device}`, { state: 'revoked' });
    const online = await openOnline(bob, 'LAB');
    expect(online.answer.status).toBe(403);
    expect(online.answer.json.error.reason).toBe('credential_inactive');
    // At once at the controller (revocation by command), not at the next snapshot.
    await waitFor(
      'the revocation at the controller',
      async () => (await atDoor(main, bob, 'LAB')).decision.result === 'deny',
      5_000,
    );

    const removed = await call('DELETE', `/api/mobile-devices/${bob.device}`);
    expect(removed.status).toBe(204);
    expect((await ok('GET', '/api/people/bob/mobile-devices')).items).toEqual([]);
    const gone = await anonymous('POST', '/api/mobile/challenges', { device: bob.device, door: 'LAB' });
    expect(gone.json.error.code).toBe('MOBILE_DEVICE_NOT_FOUND');
    await waitFor(
      'the removal at the controller',
      async () => {
        const { decision } = await atDoor(main, bob, 'LAB');
        return decision.result === 'deny' && decision.reason === 'unknown_credential';
      },
      10_000,
    );
  }, 60_000);

  it('verifies at the door with the server stopped; replayed and relayed tokens are denied and alarmed', async () => {
    // Alice's key is in the controllers' snapshots already (her open above went through ctl-m).
    await waitFor(
      'alice’s key at both controllers',
      async () =>
        (await atDoor(main, alice, 'LAB')).decision.result === 'grant' &&
        (await atDoor(annex, alice, 'ANNEX')).decision.result === 'grant',
      20_000,
    );

    // A `mobile` credential made without a device key (POST /api/credentials): at the door its
    // identifier alone opens nothing through a token, whoever signs it.
    const keyless = `md-${'k'.repeat(22)}`;
    await ok('POST', '/api/credentials', {
      id: 'keyless',
      personId: 'alice',
      type: 'mobile',
      identifier: keyless,
    });
    await waitFor(
      'the key-less credential at the controller',
      () => main.present({ door: 'LAB', side: 'in', type: 'mobile', card: keyless }).result === 'grant',
      20_000,
    );
    // A battery lock's key list (ids, no signatures) has the key-less one, not alice's phone.
    expect(main.lockList('LAB').filter((e) => e.credential.startsWith('mobile:'))).toHaveLength(1);
    const forger = await SimPhone.create();
    forger.device = keyless;
    expect((await atDoor(main, forger, 'LAB')).decision).toMatchObject({
      result: 'deny',
      refused: 'unknown_device',
    });

    await s.server.close();
    serverStopped = true;
    await waitFor('the broker to be gone', () => !main.link.connected, 20_000);

    // Her device id alone (it is in every event that names her phone) opens nothing.
    expect(main.present({ door: 'LAB', side: 'in', type: 'mobile', card: alice.device! })).toMatchObject({
      result: 'deny',
      reason: 'unknown_credential',
    });
    const fresh = await atDoor(main, alice, 'LAB');
    expect(fresh.decision).toMatchObject({ result: 'grant', person: 'alice' });
    const alarmsBefore = journaled.filter(
      (e) => e.type === 'alarm' && e.alarm === 'credential_replay',
    ).length;

    // The same token again.
    const again = await main.mobile.present('LAB', 'in', fresh.token);
    expect(again).toMatchObject({ result: 'deny', reason: 'unknown_credential', refused: 'replayed' });
    // Answering the LAB challenge at OFFICE (another door of this controller).
    const forLab = await alice.answer(main.mobile.challenge('LAB')!);
    expect(await main.mobile.present('OFFICE', 'in', forLab)).toMatchObject({
      result: 'deny',
      refused: 'relayed',
    });
    // A token for the annex controller's door, presented here.
    const forAnnex = await alice.answer(annex.mobile.challenge('ANNEX')!);
    expect(await main.mobile.present('LAB', 'in', forAnnex)).toMatchObject({
      result: 'deny',
      refused: 'relayed',
    });
    const replayAlarms = journaled.filter((e) => e.type === 'alarm' && e.alarm === 'credential_replay');
    expect(replayAlarms.length - alarmsBefore).toBe(3);
    expect(
      journaled.filter((e) => e.type === 'access' && 'mobile' in e && e.mobile === 'replayed'),
    ).toHaveLength(1);
    // The annex controller still takes its own challenge's token (the relay attempt did not use it up).
    expect(await annex.mobile.present('ANNEX', 'in', forAnnex)).toMatchObject({ result: 'grant' });

    // A phone nobody registered: no key to verify it with.
    const stranger = await SimPhone.create();
    stranger.device = `md-${'z'.repeat(22)}`;
    const unknown = await atDoor(main, stranger, 'LAB');
    expect(unknown.decision).toMatchObject({
      result: 'deny',
      reason: 'unknown_credential',
      refused: 'unknown_device',
    });
    // A token claiming alice's device but signed by another key.
    const challenge = main.mobile.challenge('LAB')!;
    const claim = {
      device: alice.device!,
      issuer: 'ctl-m',
      door: 'LAB',
      nonce: challenge.nonce,
      issuedAt: challenge.issuedAt,
    };
    expect(await main.mobile.present('LAB', 'in', await stranger.tokenFor(claim))).toMatchObject({
      result: 'deny',
      refused: 'bad_signature',
    });
    // …and the real one still works: the forgery did not use the challenge up.
    expect(await main.mobile.present('LAB', 'out', await alice.tokenFor(claim))).toMatchObject({
      result: 'grant',
    });

    // A challenge answered after 30 s.
    const late = main.mobile.challenge('LAB')!;
    const lateToken = await alice.answer(late);
    skew += 31_000;
    expect(await main.mobile.present('LAB', 'in', lateToken)).toMatchObject({
      result: 'deny',
      refused: 'expired',
    });
    // Not an alarm: a slow hand is not an attack.
    expect(
      journaled.filter((e) => e.type === 'alarm' && e.alarm === 'credential_replay').length - alarmsBefore,
    ).toBe(3);
    // Malformed input is refused without a throw.
    expect(await main.mobile.present('LAB', 'in', 'x'.repeat(5000))).toMatchObject({ refused: 'malformed' });

    // The same through the simulated reader's lines (`monban controller run --driver sim`).
    const input = new PassThrough();
    const lines: string[] = [];
    const driver = runSimDriver(main, input, (line) => lines.push(line));
    const next = async () => {
      const seen = lines.length;
      await waitFor('a driver answer', () => lines.length > seen);
      return JSON.parse(lines.at(-1)!);
    };
    input.write(`${JSON.stringify({ challenge: { door: 'LAB' } })}\n`);
    const { challenge: shown } = await next();
    expect(shown).toMatchObject({ controller: 'ctl-m', door: 'LAB' });
    input.write(
      `${JSON.stringify({ mobile: { door: 'LAB', side: 'in', token: await alice.answer(shown) } })}\n`,
    );
    expect((await next()).decision).toMatchObject({ result: 'grant', person: 'alice' });
    input.write(
      `${JSON.stringify({ present: { door: 'LAB', side: 'in', type: 'mobile', card: alice.device } })}\n`,
    );
    expect((await next()).decision).toMatchObject({ result: 'deny', reason: 'unknown_credential' });
    input.write(`${JSON.stringify({ challenge: { door: 'NOWHERE' } })}\n`);
    expect((await next()).error).toMatch(/unknown door/);
    input.end();
    await driver;
  }, 90_000);

  it('reports the offline refusals and alarms to the server once it is back', async () => {
    // The same data, addresses and certificate: the controllers and this test's client find it again.
    again = await startServer(
      serverConfig({
        MONBAN_DATA_DIR: s.dir,
        MONBAN_PORT: new URL(s.server.url).port,
        MONBAN_MQTT_PORT: String(mqttPort),
        MONBAN_LOG_LEVEL: 'silent',
      }),
      { logger: pino({ level: 'silent' }), print: () => {}, background: false },
    );
    await waitFor(
      'the controller back and its journal delivered',
      () => main.link.connected && main.health().journalPending === 0,
      60_000,
    );
    // The alarms raised at the door while the server was away, from the controller.
    const alarms = await waitFor('the controller’s replay alarms at the server', async () => {
      const r = await ok('GET', '/api/alarms?type=credential_replay');
      const fromDoor = r.items.filter((a: { source: string }) => a.source.includes('ctl-m'));
      return fromDoor.length > 0 && fromDoor;
    });
    expect(JSON.stringify(alarms)).toMatch(/replayed|relayed/);
    // The refusals (before the core: no person decided), each naming her phone and why.
    const denied = await ok('GET', '/api/events?type=access&door=LAB&limit=500');
    const refusals = denied.items.filter(
      (e: { credential: string | null; detail: { mobile?: string } }) =>
        e.credential === `mobile:${alice.device}` && e.detail.mobile !== undefined,
    );
    expect(refusals.map((e: { detail: { mobile: string } }) => e.detail.mobile)).toEqual(
      expect.arrayContaining(['replayed', 'relayed', 'bad_signature', 'expired', 'unsigned']),
    );
  }, 120_000);
});
