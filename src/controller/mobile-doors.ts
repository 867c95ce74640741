// Mobile keys at the door, offline (R-KEY-2): the controller issues a challenge for one of its doors
// — {controller, door, nonce, issuedAt}; a reader shows it (QR, BLE, NFC: the hardware's part; the
// sim driver's `challenge` line here) — and the phone answers with a token signed by its device key
// (contracts/mobile-token.ts). The controller checks it with nothing but its own snapshot: the
// device's public key is on the mobile credential there. Only then does the core decide, as for any
// credential at that door (levels, schedules, anti-passback, revocation…).
//
// Replay-proof: a nonce is this controller's, for one door, answered once, within CHALLENGE_MS. A
// token presented again, at another door, at another controller, or naming a nonce this controller
// never issued is denied and raises `credential_replay` — after its signature was checked, so nobody
// without a device key can raise alarms at will. A late answer (expired) is denied without an alarm.
// Challenges live in memory: after a restart the old ones are unknown, and answering one is refused.

import { type KeyObject, randomBytes } from 'node:crypto';
import { credentialIdHash } from '../contracts/credential-key.ts';
import { devicePublicKey, parseMobileToken, verifySignature } from '../contracts/mobile-token.ts';
import type { Decision } from '../core/decide.ts';
import type { Side } from '../core/policy.ts';
import type { DriverEvent, Presentation } from './agent.ts';

/** How long a challenge may be answered. */
export const CHALLENGE_MS = 30_000;
/** Challenges outstanding at once per controller; beyond, the oldest is dropped (memory stays small). */
const MAX_OUTSTANDING = 256;
/** Device keys kept imported (importing one costs about as much as a verification); then cleared. */
const KEY_CACHE = 10_000;
/** A phone's clock plays no part, but the controller's may step: a challenge "from the future" is refused. */
const FUTURE_SLACK_MS = 1_000;

export type MobileRefusal =
  | 'malformed'
  | 'unknown_device'
  | 'bad_signature'
  | 'relayed'
  | 'replayed'
  | 'unknown_challenge'
  | 'expired';
const ALARMED: ReadonlySet<MobileRefusal> = new Set(['relayed', 'replayed', 'unknown_challenge']);

export interface DoorChallenge {
  controller: string;
  door: string;
  nonce: string;
  issuedAt: number;
  expiresAt: number;
}

/** What the door answers: the core's decision, or a refusal of the token before the core. */
export type MobileDecision = Pick<Decision, 'result' | 'reason' | 'person' | 'warnings'> & {
  refused?: MobileRefusal;
};

export interface MobileDoorsDeps {
  controllerId: string;
  credentialKey: Uint8Array;
  now(): number;
  hasDoor(door: string): boolean;
  /** the device public key of a mobile credential (by keyed hash) in the snapshot in force */
  publicKeyOf(hash: string): string | undefined;
  /** the agent's presentation path (use claims, journal, door outputs) */
  present(p: Presentation): Promise<Decision>;
  /** journals and sends an event */
  report(event: DriverEvent): void;
}

export class MobileDoors {
  /** nonce → the challenge, while it may be answered */
  private readonly issued = new Map<string, DoorChallenge>();
  /** nonce → when it would have expired: answered ones, so a second answer is known as a replay */
  private readonly used = new Map<string, number>();
  /** raw public key → imported key object */
  private readonly keys = new Map<string, KeyObject | undefined>();

  constructor(private readonly deps: MobileDoorsDeps) {}

  /** A fresh challenge for one of this controller's doors; undefined for a door it does not drive. */
  challenge(door: string): DoorChallenge | undefined {
    if (!this.deps.hasDoor(door)) return undefined;
    const now = this.deps.now();
    this.forget(now);
    if (this.issued.size >= MAX_OUTSTANDING) this.issued.delete(this.issued.keys().next().value!);
    const challenge: DoorChallenge = {
      controller: this.deps.controllerId,
      door,
      nonce: randomBytes(18).toString('base64url'),
      issuedAt: now,
      expiresAt: now + CHALLENGE_MS,
    };
    this.issued.set(challenge.nonce, challenge);
    return challenge;
  }

  /** A phone's token at a door: checked here, then decided by the core. */
  async present(door: string, side: Side, token: string): Promise<MobileDecision> {
    const now = this.deps.now();
    this.forget(now);
    const parsed = parseMobileToken(token);
    if (!parsed.ok) return this.refuse(now, door, side, 'malformed');
    const { claim } = parsed;
    const hash = credentialIdHash(this.deps.credentialKey, 'mobile', claim.device);
    const raw = this.deps.publicKeyOf(hash);
    // A device this controller holds no key for — unknown, removed, or a `mobile` credential made
    // without a device key: nothing can be verified, so the core is not asked (it would grant a
    // key-less credential on its identifier alone).
    if (raw === undefined) return this.refuse(now, door, side, 'unknown_device', hash);
    const key = this.keyOf(raw);
    if (!key || !verifySignature(key, parsed.signed, parsed.signature))
      return this.refuse(now, door, side, 'bad_signature', hash);
    if (claim.issuer !== this.deps.controllerId || claim.door !== door)
      return this.refuse(now, door, side, 'relayed', hash, claim.device);
    if (now - claim.issuedAt >= CHALLENGE_MS || claim.issuedAt > now + FUTURE_SLACK_MS)
      return this.refuse(now, door, side, 'expired', hash);
    if (this.used.has(claim.nonce)) return this.refuse(now, door, side, 'replayed', hash, claim.device);
    const issued = this.issued.get(claim.nonce);
    if (!issued || issued.door !== door || issued.issuedAt !== claim.issuedAt)
      return this.refuse(now, door, side, 'unknown_challenge', hash, claim.device);
    // Answered: single-use from here on, whatever the core decides.
    this.issued.delete(claim.nonce);
    this.used.set(claim.nonce, issued.expiresAt);
    return this.deps.present({ door, side, type: 'mobile', card: claim.device, signed: true });
  }

  private keyOf(raw: string): KeyObject | undefined {
    if (this.keys.has(raw)) return this.keys.get(raw);
    if (this.keys.size >= KEY_CACHE) this.keys.clear();
    const key = devicePublicKey(raw);
    this.keys.set(raw, key);
    return key;
  }

  /** Drops what can no longer be answered (and so no longer needs remembering). */
  private forget(now: number): void {
    for (const [nonce, c] of this.issued) if (c.expiresAt <= now) this.issued.delete(nonce);
    for (const [nonce, until] of this.used) if (until <= now) this.used.delete(nonce);
  }

  private refuse(
    at: number,
    door: string,
    side: Side,
    why: MobileRefusal,
    hash?: string,
    device?: string,
  ): MobileDecision {
    this.deps.report({
      type: 'access',
      at,
      door,
      side,
      result: 'deny',
      reason: 'unknown_credential',
      ...(hash !== undefined && { credential: `mobile:${hash}` }),
      via: 'mobile',
      mobile: why,
    });
    if (ALARMED.has(why))
      this.deps.report({
        type: 'alarm',
        at,
        alarm: 'credential_replay',
        door,
        detail: `mobile key token ${why.replace('_', ' ')} at door ${door}${device ? ` (device ${device})` : ''}`,
      });
    return { result: 'deny', reason: 'unknown_credential', warnings: [], refused: why };
  }
}
