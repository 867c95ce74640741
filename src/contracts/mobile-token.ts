// Mobile key tokens (R-KEY-2): what a phone signs to open a door, in one format for both ways of
// opening — online through the server and offline at a controller — and for every party that reads
// or writes it: the phone page (/m/, server/mobile/page.ts), the simulated phone (sim/phone.ts), the
// server (server/mobile/) and the controller (controller/mobile-doors.ts).
//
//   mm1.<payload>.<signature>
//   payload   = base64url(JSON {"d":device,"c":issuer,"r":door,"n":nonce,"t":issuedAt}), keys in
//               this order
//   signature = base64url(ECDSA P-256 / SHA-256 over the ASCII of "mm1.<payload>", r‖s, 64 bytes) —
//               what WebCrypto's sign() gives, verified by node:crypto with dsaEncoding ieee-p1363
//
// The issuer `c` is the controller that issued the challenge, or `~server` for an online open (no
// controller id starts with `~`): a signature made for the server opens nothing at a door, and one
// made for a controller opens nothing at another. The nonce and issuedAt are the challenge's, so a
// token is bound to one door, one issuer and a few seconds; the issuer keeps each nonce single-use.
// The device's key pair is made on the phone (WebCrypto, extractable: false): the private key never
// leaves it; the server and the controllers hold only the public key.

import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { z } from 'zod';

export const MOBILE_TOKEN_PREFIX = 'mm1';
/** The issuer of online challenges: not a controller id (ids start with a letter or digit). */
export const SERVER_ISSUER = '~server';
/** Longest token accepted; anything longer is refused before it is decoded. */
export const MOBILE_TOKEN_MAX = 1024;

const B64URL = /^[A-Za-z0-9_-]+$/;
const TOKEN = /^mm1\.([A-Za-z0-9_-]{1,800})\.([A-Za-z0-9_-]{86})$/;

export interface MobileClaim {
  /** the device: the mobile credential's identifier (`md-…`) */
  device: string;
  /** who issued the challenge: a controller id, or SERVER_ISSUER */
  issuer: string;
  door: string;
  nonce: string;
  /** when the challenge was issued (issuer's clock, ms) */
  issuedAt: number;
}

const id = z.string().min(1).max(64);
const payloadSchema = z.strictObject({
  d: z.string().regex(/^md-[A-Za-z0-9_-]{16,43}$/),
  c: id,
  r: id,
  n: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  t: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

/** The payload part of a token (the issuer's challenge plus the device), as the phone encodes it. */
export function encodeClaim(claim: MobileClaim): string {
  return b64url(
    JSON.stringify({ d: claim.device, c: claim.issuer, r: claim.door, n: claim.nonce, t: claim.issuedAt }),
  );
}

/** The bytes a phone signs for a claim. */
export function signingInput(claim: MobileClaim): Uint8Array {
  return new TextEncoder().encode(`${MOBILE_TOKEN_PREFIX}.${encodeClaim(claim)}`);
}

/** A whole token from a claim and its 64-byte signature. */
export function mobileToken(claim: MobileClaim, signature: Uint8Array): string {
  return `${MOBILE_TOKEN_PREFIX}.${encodeClaim(claim)}.${b64url(signature)}`;
}

export type ParsedToken =
  | { ok: true; claim: MobileClaim; signed: Uint8Array; signature: Uint8Array }
  | { ok: false; error: string };

/** Reads a token; never throws. The error says what is wrong, never echoes the token. */
export function parseMobileToken(text: unknown): ParsedToken {
  if (typeof text !== 'string') return { ok: false, error: 'not a string' };
  if (text.length > MOBILE_TOKEN_MAX) return { ok: false, error: 'too long' };
  const match = TOKEN.exec(text);
  if (!match) return { ok: false, error: 'not a mobile key token (mm1.<payload>.<signature>)' };
  const [, payload, sig] = match as unknown as [string, string, string];
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, error: 'payload: not JSON' };
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, error: `payload.${issue.path.join('.') || 'value'}: ${issue.message}` };
  }
  const p = parsed.data;
  const claim: MobileClaim = { device: p.d, issuer: p.c, door: p.r, nonce: p.n, issuedAt: p.t };
  // Only the canonical encoding is accepted: one claim, one token (no second spelling to get past a
  // replay check keyed on the text).
  if (encodeClaim(claim) !== payload) return { ok: false, error: 'payload: not in canonical form' };
  const signature = new Uint8Array(Buffer.from(sig, 'base64url'));
  if (signature.length !== 64 || b64url(signature) !== sig)
    return { ok: false, error: 'signature: not 64 bytes' };
  return {
    ok: true,
    claim,
    signed: new TextEncoder().encode(`${MOBILE_TOKEN_PREFIX}.${payload}`),
    signature,
  };
}

// ------------------------------------------------------------------ device public keys

/** The JWK a phone exports of its public key (crypto.subtle.exportKey('jwk', publicKey)). */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** The form controllers get in their snapshot: base64url of the uncompressed point 04‖x‖y. */
export function rawPublicKey(jwk: PublicJwk): string {
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  return Buffer.concat([Buffer.from([4]), x, y]).toString('base64url');
}

function jwkOfRaw(raw: string): PublicJwk | undefined {
  if (!B64URL.test(raw)) return undefined;
  const bytes = Buffer.from(raw, 'base64url');
  if (bytes.length !== 65 || bytes[0] !== 4) return undefined;
  return {
    kty: 'EC',
    crv: 'P-256',
    x: bytes.subarray(1, 33).toString('base64url'),
    y: bytes.subarray(33).toString('base64url'),
  };
}

/** A device key as node:crypto uses it; undefined when it is not a P-256 point. */
export function devicePublicKey(key: PublicJwk | string): KeyObject | undefined {
  const jwk = typeof key === 'string' ? jwkOfRaw(key) : key;
  if (!jwk) return undefined;
  try {
    return createPublicKey({ key: { ...jwk }, format: 'jwk' });
  } catch {
    return undefined; // not on the curve, or not a key at all
  }
}

/** Whether `signature` (r‖s) is the device's over `signed`. */
export function verifySignature(key: KeyObject, signed: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** What a phone signs to prove it holds the key it registers (bound to the invitation). */
export function registrationInput(invitationToken: string): Uint8Array {
  return new TextEncoder().encode(`${MOBILE_TOKEN_PREFIX}-register.${invitationToken}`);
}
