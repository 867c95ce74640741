// Mobile keys (R-KEY-2, issue 13 §2) at the server: invitations, registration of a phone's device
// key as a `mobile` credential of the person, the list and revocation of devices, and the online
// open — a server challenge bound to one door and a few seconds, signed by the device, decided by the
// core as for any credential at that door, and carried out as the remote unlock of the door's
// controller (operations/service.ts). Offline opens happen at the controller alone
// (controller/mobile-doors.ts) with the public key the snapshot carries (snapshot-mobile.ts).

import { randomBytes } from 'node:crypto';
import { credentialIdHash, siteCredentialKey } from '../../contracts/credential-key.ts';
import type { ControllerEvent } from '../../contracts/messages.ts';
import {
  devicePublicKey,
  type PublicJwk,
  parseMobileToken,
  registrationInput,
  SERVER_ISSUER,
  verifySignature,
} from '../../contracts/mobile-token.ts';
import type { Side } from '../../core/policy.ts';
import type { Reason } from '../../core/reasons.ts';
import type { AlarmService } from '../alarms/service.ts';
import { recordAudit } from '../audit/store.ts';
import type { ExplainService } from '../explain/service.ts';
import type { LiveHub } from '../live/hub.ts';
import type { ActionRecord } from '../operations/action-store.ts';
import type { OperationsService } from '../operations/service.ts';
import { credentialWrites } from '../services/credentials.ts';
import { type Actor, type ServiceDeps, write } from '../services/write.ts';
import { chainKeys } from '../storage/chain.ts';
import { EventStore } from '../storage/events.ts';
import { repositories } from '../storage/index.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { appendNumbered, MOBILE_EVENT_SOURCE } from './events.ts';
import { type MobileDevice, MobileStore, tokenHash } from './store.ts';

/** How long a server challenge may be answered. */
export const SERVER_CHALLENGE_MS = 30_000;
/** The door a challenge for the list of doors names. */
export const DOOR_LIST = '*';
const INVITATION_PREFIX = 'mmi_';

export class MobileError extends Error {
  constructor(
    readonly kind:
      | 'invitation_gone'
      | 'challenge_gone'
      | 'signature'
      | 'device_not_found'
      | 'person_not_found'
      | 'invalid'
      | 'unknown_door'
      | 'not_operable'
      | 'denied',
    message: string,
    readonly field?: string,
    /** the core's reason, for `denied` */
    readonly reason?: Reason,
  ) {
    super(message);
    this.name = 'MobileError';
  }
}

export const isInvitationToken = (text: string) => /^mmi_[A-Za-z0-9_-]{43}$/.test(text);
export const invitationPath = (token: string) => `/m/#${token}`;

export interface MobileLinks {
  alarms: AlarmService;
  operations: OperationsService;
  live: LiveHub;
  /** told of each online open's access event once stored (the live stream, webhooks) */
  observe?: (source: string, events: readonly ControllerEvent[]) => Promise<void>;
}

export interface OnlineOpen {
  door: string;
  decision: { result: 'grant' | 'deny'; reason: Reason };
  /** the unlock sent to the door's controller (granted opens) */
  action?: ActionRecord;
}

export class MobileService {
  private readonly store: MobileStore;
  private readonly credentialKey: Uint8Array;
  private links: MobileLinks | undefined;
  private seq = 0;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly explain: ExplainService,
  ) {
    this.store = new MobileStore(deps.store.db);
    this.credentialKey = siteCredentialKey(deps.installationKey);
  }

  /** The parts that exist only in a running server (composition root): alarms, door actions, live state. */
  attach(links: MobileLinks): void {
    this.links = links;
  }

  /** The person must exist and be in the caller's scope (read through the same repository as the API). */
  private async person(personId: string, scope: ScopeFilter) {
    const person = await repositories(this.deps.store.db, this.deps.installationKey).people.get(
      personId,
      scope,
    );
    if (!person) throw new MobileError('person_not_found', `no person '${personId}'`);
    return person;
  }

  /** A one-time invitation for a person's phone; the token is answered once and only its hash kept. */
  async invite(
    personId: string,
    options: { minutes: number; label: string | null },
    actor: Actor,
  ): Promise<{ id: string; personId: string; label: string | null; expiresAt: number; path: string }> {
    await this.person(personId, actor.scope);
    const now = this.deps.clock.now();
    const token = `${INVITATION_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = `mi-${randomBytes(9).toString('base64url')}`;
    const expiresAt = now + Math.round(options.minutes * 60_000);
    await this.store.createInvitation({
      id,
      tokenHash: tokenHash(token),
      personId,
      createdBy: actor.origin.actor,
      label: options.label,
      expiresAt,
      now,
    });
    await recordAudit(this.deps.store.db, chainKeys(this.deps.installationKey).audit, {
      at: now,
      actor: actor.origin.actor,
      source: actor.origin.source,
      action: 'mobile.invite',
      target: `person:${personId}`,
      detail: { invitation: id, expiresAt },
    });
    actor.onPublished?.(); // audited here: the request needs no generic record
    return { id, personId, label: options.label, expiresAt, path: invitationPath(token) };
  }

  /**
   * A phone registers its device key with an invitation: the proof (a signature over the invitation
   * token) shows it holds the private key. The device becomes an active `mobile` credential of the
   * person — in the next snapshots of the controllers that person may use.
   */
  async register(
    input: { token: string; deviceName: string; publicKey: PublicJwk; proof: Uint8Array },
    source: string,
  ): Promise<{ device: string; deviceName: string }> {
    const key = devicePublicKey(input.publicKey);
    if (!key) throw new MobileError('invalid', 'is not a point on the P-256 curve', 'publicKey');
    if (!verifySignature(key, registrationInput(input.token), input.proof))
      throw new MobileError('invalid', 'does not verify with publicKey', 'proof');
    const device = `md-${randomBytes(16).toString('base64url')}`;
    const hash = tokenHash(input.token);
    const now = this.deps.clock.now();
    const gone = () => new MobileError('invitation_gone', 'this invitation has expired or was used');
    // The audit record of the new credential names the invitation it came through.
    const invitationId = await this.store.openInvitation(hash, now);
    if (!invitationId) throw gone();
    const actor: Actor = {
      origin: { actor: `mobile-invitation:${invitationId}`, source, via: 'api' },
      scope: 'all',
    };
    await write(this.deps, actor, async (repos, raise) => {
      const store = new MobileStore(repos.db);
      const invitation = await store.consumeInvitation(hash, now);
      if (!invitation) throw gone();
      await credentialWrites.create(
        repos,
        {
          id: device,
          personId: invitation.personId,
          type: 'mobile',
          identifier: device,
          label: input.deviceName,
        },
        now,
        'all',
        raise,
      );
      await store.addDevice({
        credentialId: device,
        personId: invitation.personId,
        refHash: credentialIdHash(this.credentialKey, 'mobile', device),
        publicKey: { kty: 'EC', crv: 'P-256', x: input.publicKey.x, y: input.publicKey.y },
        deviceName: input.deviceName,
        invitationId: invitation.id,
        now,
      });
    });
    return { device, deviceName: input.deviceName };
  }

  /** A person's devices (in the caller's scope). */
  async devicesOf(personId: string, scope: ScopeFilter): Promise<MobileDevice[]> {
    await this.person(personId, scope);
    return this.store.devicesOf(personId);
  }

  /** A device, if it is one and its person is in scope. */
  async device(id: string, scope: ScopeFilter): Promise<MobileDevice | undefined> {
    const device = await this.store.device(id);
    if (!device) return undefined;
    try {
      await this.person(device.personId, scope);
    } catch {
      return undefined;
    }
    return device;
  }

  /** Called when a mobile credential is deleted (any route): its public key goes with it. */
  async forget(credentialId: string): Promise<void> {
    await this.store.removeDevice(credentialId);
  }

  /**
   * Called when a person is deleted (or erased): their devices, their invitations and the devices'
   * challenges go too — nothing here names them afterwards.
   */
  async forgetPerson(personId: string): Promise<void> {
    await this.store.forgetPerson(personId);
  }

  /** A challenge for an online open of `door`, or for the list of doors (DOOR_LIST). */
  async challenge(
    deviceId: string,
    door: string,
  ): Promise<{ issuer: string; door: string; nonce: string; issuedAt: number; expiresAt: number }> {
    const device = await this.store.device(deviceId);
    if (!device) throw new MobileError('device_not_found', 'no such device', 'device');
    if (door !== DOOR_LIST) await this.doorOf(door, 'door');
    const now = this.deps.clock.now();
    const nonce = randomBytes(18).toString('base64url');
    const expiresAt = now + SERVER_CHALLENGE_MS;
    await this.store.addChallenge({
      nonce,
      credential_id: device.id,
      door,
      issued_at: now,
      expires_at: expiresAt,
      used_at: null,
    });
    return { issuer: SERVER_ISSUER, door, nonce, issuedAt: now, expiresAt };
  }

  private async doorOf(
    door: string,
    field: string,
  ): Promise<{ id: string; name: string; controllerId: string }> {
    const row = await this.deps.store.db
      .selectFrom('doors')
      .select(['id', 'name', 'controller_id'])
      .where('id', '=', door)
      .executeTakeFirst();
    if (!row) throw new MobileError('unknown_door', `no door ${door}`, field);
    if (!row.controller_id) throw new MobileError('not_operable', `door ${door} is driven by no controller`);
    return { id: row.id, name: row.name, controllerId: row.controller_id };
  }

  /**
   * Checks a token for the server: its format, the device, the signature, then the challenge (used
   * up here, once). A challenge answered twice is a replay: refused and alarmed.
   */
  private async verified(token: string, door?: string): Promise<{ device: MobileDevice; door: string }> {
    const parsed = parseMobileToken(token);
    if (!parsed.ok) throw new MobileError('invalid', parsed.error, 'token');
    const { claim } = parsed;
    if (claim.issuer !== SERVER_ISSUER)
      throw new MobileError('invalid', 'is a token for a controller, not for the server', 'token');
    if (door !== undefined && claim.door !== door)
      throw new MobileError('invalid', 'names another door', 'token');
    const device = await this.store.device(claim.device);
    if (!device) throw new MobileError('device_not_found', 'no such device', 'token');
    const key = devicePublicKey(device.publicKey);
    if (!key || !verifySignature(key, parsed.signed, parsed.signature))
      throw new MobileError('signature', 'the signature does not verify with the device key', 'token');
    const now = this.deps.clock.now();
    const answer = await this.store.consumeChallenge(
      claim.nonce,
      { credentialId: device.id, door: claim.door, issuedAt: claim.issuedAt },
      now,
    );
    if (answer === 'replayed') {
      await this.links?.alarms.raise({
        type: 'credential_replay',
        source: `mobile:${device.id}`,
        message: `mobile key token replayed at the server (device ${device.id}, door ${claim.door})`,
        dedupeKey: `mobile:${device.id}`,
        detail: { device: device.id, door: claim.door, person: device.personId },
      });
      throw new MobileError('challenge_gone', 'this challenge was answered before');
    }
    if (answer === 'gone')
      throw new MobileError('challenge_gone', 'this challenge has expired or is unknown');
    return { device, door: claim.door };
  }

  /** The doors the device may open now (a token answering a DOOR_LIST challenge). */
  async doors(token: string): Promise<{ id: string; name: string }[]> {
    const { device } = await this.verified(token, DOOR_LIST);
    const rows = await this.deps.store.db
      .selectFrom('doors')
      .select(['id', 'name', 'controller_id'])
      .where('controller_id', 'is not', null)
      .orderBy('id')
      .execute();
    const now = this.deps.clock.now();
    const byController = new Map<string, typeof rows>();
    for (const row of rows) {
      const list = byController.get(row.controller_id!) ?? [];
      list.push(row);
      byController.set(row.controller_id!, list);
    }
    const open: { id: string; name: string }[] = [];
    for (const [controllerId, doors] of byController) {
      const live = this.links?.live.reportOf(controllerId)?.report;
      const decisions = await this.explain.decideCredentialAt({
        controllerId,
        doors: doors.map((d) => d.id),
        side: 'in',
        credential: `mobile:${device.refHash}`,
        at: now,
        ...(live && { live }),
      });
      for (const d of doors)
        if (decisions.get(d.id)?.result === 'grant') open.push({ id: d.id, name: d.name });
    }
    open.sort((a, b) => (a.id < b.id ? -1 : 1));
    return open;
  }

  /**
   * An online open: the token answers a challenge for this door; the core decides for the device's
   * credential there; a grant is sent as the door's remote unlock. Either way an access event is
   * logged with the credential `mobile:<device>`, and the unlock is audited as an operation.
   */
  async open(token: string, side: Side, source: string): Promise<OnlineOpen> {
    const { device, door } = await this.verified(token);
    if (door === DOOR_LIST)
      throw new MobileError('invalid', 'answers a challenge for the door list', 'token');
    const target = await this.doorOf(door, 'token');
    const now = this.deps.clock.now();
    const live = this.links?.live.reportOf(target.controllerId)?.report;
    const { decision } = await this.explain.decideCredential({
      door,
      side,
      credential: `mobile:${device.refHash}`,
      at: now,
      ...(live && { live }),
    });
    await this.logAccess(device, door, side, decision.result, decision.reason, now);
    await this.store.touch(device.id, now);
    if (decision.result !== 'grant')
      throw new MobileError('denied', `denied: ${decision.reason}`, undefined, decision.reason);
    const operations = this.links?.operations;
    if (!operations) throw new MobileError('not_operable', 'this server runs without a controller link');
    const action = await operations.perform(
      { action: 'unlock-door', door },
      { origin: { actor: `mobile:${device.id}`, source, via: 'api' }, scope: 'all' },
    );
    return { door, decision: { result: 'grant', reason: 'granted' }, action };
  }

  /** The access event of an online open, in the event log like a controller's (its own chain). */
  private async logAccess(
    device: MobileDevice,
    door: string,
    side: Side,
    result: 'grant' | 'deny',
    reason: Reason,
    at: number,
  ): Promise<void> {
    const detail = {
      side,
      result,
      reason,
      credential: `mobile:${device.id}`,
      credentialId: device.id,
      via: 'server',
    };
    const events = new EventStore(this.deps.store.db, chainKeys(this.deps.installationKey).events);
    const seq = await appendNumbered(
      events,
      { at, type: 'access', door, personId: device.personId, detail },
      at * 1000 + (this.seq++ % 1000),
    );
    if (seq !== undefined)
      await this.links?.observe?.(MOBILE_EVENT_SOURCE, [
        { seq, at, type: 'access', door, person: device.personId, detail },
      ]);
  }
}
