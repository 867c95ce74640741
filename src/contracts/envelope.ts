// Signed envelopes for controller ↔ server messages over MQTT (R-SEC-3): every message names its
// sender, its topic and a sequence number, and carries an Ed25519 signature over all of them. A
// receiver checks the signature against the sender's enrolled key, that the sender may use the topic
// (a controller only its own), and that the sequence moves forward — so a compromised broker can
// neither forge nor replay.

import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { canonicalJson, type Json } from './canonical.ts';

export const envelopeSchema = z.strictObject({
  v: z.literal(1),
  from: z.string().min(1).max(64),
  topic: z.string().min(1).max(256),
  seq: z.number().int().positive(),
  sentAt: z.number().int().nonnegative(),
  body: z.json(),
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'an Ed25519 signature in base64url'),
});

export type Envelope = z.infer<typeof envelopeSchema>;

/**
 * The same envelope, for a message as received: its body came out of JSON.parse, so it is JSON by
 * construction and is not walked again value by value (z.json() was a tenth of the server's work
 * per message at 1,000 events/s). The body's own schema (messages.ts) checks it after.
 */
const receivedSchema = envelopeSchema.extend({ body: z.unknown() });

// Off the event loop, in libuv's pool: Ed25519 verification was the largest single cost of the
// server's loop per controller message (docs/latency.md).
const verifyInPool = promisify(verify) as (
  algorithm: null,
  data: Buffer,
  key: KeyObject,
  signature: Buffer,
) => Promise<boolean>;
const signInPool = promisify(sign) as (algorithm: null, data: Buffer, key: KeyObject) => Promise<Buffer>;

/**
 * Why a message was refused. `duplicate` is the one that is no attack: the first unchanged resend of
 * a message accepted moments ago, which MQTT's QoS 1 makes (a publish whose acknowledgement was lost
 * with a connection is sent again after the reconnect). It is dropped without an alarm; any further
 * copy of it, or an old message not among the last accepted, is `replayed`.
 */
export type RejectReason =
  | 'malformed'
  | 'unknown_sender'
  | 'bad_signature'
  | 'wrong_topic'
  | 'replayed'
  | 'duplicate';

export type Opened = { ok: true; envelope: Envelope } | { ok: false; reason: RejectReason; from?: string };

function signedBytes(e: Omit<Envelope, 'sig'>): Buffer {
  return Buffer.from(
    canonicalJson({
      v: e.v,
      from: e.from,
      topic: e.topic,
      seq: e.seq,
      sentAt: e.sentAt,
      body: e.body as Json,
    }),
  );
}

/** Controllers publish under `monban/<site>/controllers/<id>/…`; the server under `monban/<site>/server/…`. */
export function topicOwner(topic: string): string | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'monban' || parts.length < 4) return undefined;
  if (parts[2] === 'controllers') return parts[3];
  if (parts[2] === 'server') return 'server';
  return undefined;
}

/** Sequences reserved ahead at a time (see `reserve` below). */
export const SEQUENCE_BLOCK = 1_000_000;

export class Sealer {
  private seq: number;
  private reservedUpTo: number;

  constructor(
    private readonly from: string,
    private readonly key: KeyObject,
    /** the last sequence used (persisted by the caller across restarts) */
    lastSeq = 0,
    /**
     * Called before sequences above what was reserved are used, with the new upper bound, to be
     * stored durably: a sender restarts above it (`startSequence`), so a receiver that remembers the
     * last sequence it accepted never mistakes the restarted sender's messages for replays, even
     * when the sender's clock went back.
     */
    private readonly reserve?: (upTo: number) => void,
  ) {
    if (key.asymmetricKeyType !== 'ed25519' || key.type !== 'private')
      throw new TypeError('a Sealer needs an Ed25519 private key');
    this.seq = lastSeq;
    this.reservedUpTo = lastSeq;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Moves the sequence up to `seq` (never down): another sender with the same key used sequences up
   * to there (a server instance taking over a controller from one that died), and the receiver
   * would take anything at or below them for a replay.
   */
  advanceTo(seq: number): void {
    if (seq > this.seq) this.seq = seq;
  }

  /** Throws (using no sequence) when a new block is due and could not be stored. */
  seal(topic: string, body: Json, sentAt: number): Envelope {
    const unsigned = this.next(topic, body, sentAt);
    return { ...unsigned, sig: sign(null, signedBytes(unsigned), this.key).toString('base64url') };
  }

  /**
   * The same, signed off the event loop, as the text to send. The sequence is taken now, in call
   * order: a receiver takes a lower sequence after a higher one for a replay, so the caller sends
   * them in the order it asked for them (ControllerHub queues them). The text is made now too, from
   * the bytes signed — canonical JSON is JSON — so a body changed by its owner after this call
   * cannot make what is sent differ from what was signed.
   */
  async sealInPool(topic: string, body: Json, sentAt: number): Promise<string> {
    const bytes = signedBytes(this.next(topic, body, sentAt));
    const sig = await signInPool(null, bytes, this.key);
    return `${bytes.toString('utf8', 0, bytes.length - 1)},"sig":"${sig.toString('base64url')}"}`;
  }

  private next(topic: string, body: Json, sentAt: number): Omit<Envelope, 'sig'> {
    if (this.reserve && this.seq + 1 > this.reservedUpTo) {
      // Stored first, used after: a block whose storing failed (a full disk) is never used, so a
      // restart from the stored bound cannot hand out a sequence a second time.
      const upTo = this.seq + SEQUENCE_BLOCK;
      this.reserve(upTo);
      this.reservedUpTo = upTo;
    }
    return { v: 1 as const, from: this.from, topic, seq: ++this.seq, sentAt, body };
  }
}

/** A message whose signature is good, not yet checked for order (Opener.admit). */
export type Verified = { ok: true; envelope: Envelope } | { ok: false; reason: RejectReason; from?: string };

/** How many of a sender's last accepted messages a resend is recognised among (see `duplicate`). */
const RECENT = 64;

export class Opener {
  private readonly lastSeq = new Map<string, number>();
  /** signatures of each sender's last accepted messages, oldest first, each forgiven one resend */
  private readonly recent = new Map<string, Set<string>>();

  /** `keys` finds an enrolled sender's public key (undefined for unknown senders). */
  constructor(private readonly keys: (sender: string) => KeyObject | undefined) {}

  open(raw: unknown): Opened {
    const parsed = envelopeSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: 'malformed' };
    const e = parsed.data;
    const key = this.keys(e.from);
    if (!key) return { ok: false, reason: 'unknown_sender', from: e.from };
    const { sig, ...unsigned } = e;
    if (!verify(null, signedBytes(unsigned), key, Buffer.from(sig, 'base64url')))
      return { ok: false, reason: 'bad_signature', from: e.from };
    return this.admit({ ok: true, envelope: e });
  }

  /**
   * The signature check of `open`, for a message as received (its text), with the signature checked
   * off the event loop. Nothing is remembered: the caller then passes each result to `admit`, in
   * the order the messages arrived.
   */
  async verifyReceived(payload: Buffer | string): Promise<Verified> {
    let raw: unknown;
    try {
      raw = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const parsed = receivedSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: 'malformed' };
    const e = parsed.data as Envelope;
    const key = this.keys(e.from);
    if (!key) return { ok: false, reason: 'unknown_sender', from: e.from };
    const { sig, ...unsigned } = e;
    let bytes: Buffer;
    try {
      bytes = signedBytes(unsigned);
    } catch {
      return { ok: false, reason: 'malformed', from: e.from }; // a number JSON cannot carry
    }
    if (!(await verifyInPool(null, bytes, key, Buffer.from(sig, 'base64url'))))
      return { ok: false, reason: 'bad_signature', from: e.from };
    return { ok: true, envelope: e };
  }

  /** The order checks of `open` for a verified message: its topic, and a sequence that moves on. */
  admit(verified: Verified): Opened {
    if (!verified.ok) return verified;
    const e = verified.envelope;
    const sig = e.sig;
    if (topicOwner(e.topic) !== e.from) return { ok: false, reason: 'wrong_topic', from: e.from };
    if (e.seq <= (this.lastSeq.get(e.from) ?? 0)) {
      // A verified signature names the whole message (Ed25519 is deterministic): the same one seen
      // accepted is an unchanged resend. Forgiven once; after that it is a replay like any other.
      const recent = this.recent.get(e.from);
      if (recent?.delete(sig)) return { ok: false, reason: 'duplicate', from: e.from };
      return { ok: false, reason: 'replayed', from: e.from };
    }
    this.lastSeq.set(e.from, e.seq);
    const recent = this.recent.get(e.from) ?? new Set<string>();
    this.recent.set(e.from, recent);
    recent.add(sig);
    if (recent.size > RECENT) recent.delete(recent.values().next().value!);
    return { ok: true, envelope: e };
  }

  /** Restores the last accepted sequence per sender (persisted across restarts). */
  remember(sender: string, seq: number): void {
    this.lastSeq.set(sender, Math.max(seq, this.lastSeq.get(sender) ?? 0));
  }
}

export function publicKeyFromPem(pem: string): KeyObject {
  return createPublicKey(pem);
}

export function privateKeyFromPem(pem: string): KeyObject {
  return createPrivateKey(pem);
}

/**
 * Where a sender that keeps no counter on disk starts its sequence after a (re)start: the wall clock
 * in microseconds. It is above anything it sent before (fewer than 1,000 messages a millisecond) and
 * stays far below 2^53, so a receiver's replay check survives the sender's restarts.
 */
export function sequenceStart(nowMs: number): number {
  return Math.floor(nowMs) * 1000;
}

/** Where a sender starts after a restart: above its clock-based start and above all it reserved. */
export function startSequence(nowMs: number, reserved: number): number {
  return Math.max(sequenceStart(nowMs), reserved);
}
