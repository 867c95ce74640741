// Key secrets and their delivery links. A key's secret is what its QR code holds and what a reader
// presents (`key:<secret>`); the server never stores it. It is derived from the token of the link
// that delivers it, and only the SHA-256 of that token is kept (for the link's short life) with the
// keyed hash controllers know the key by. A new link therefore means a new secret: reissuing a link
// rotates the key, and the old QR code stops working.

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { credentialIdHash } from '../../contracts/credential-key.ts';

/** The prefix of a key secret in a QR code (Monban key, version 1). */
export const KEY_SECRET_PREFIX = 'MK1-';
const LINK_PREFIX = 'mkl_';

export function newLinkToken(): string {
  return `${LINK_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function linkTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether text has the shape of a link token (checked before any lookup). */
export function isLinkToken(text: string): boolean {
  return /^mkl_[A-Za-z0-9_-]{43}$/.test(text);
}

/** The key secret a link token delivers. */
export function keySecretOf(linkToken: string): string {
  return `${KEY_SECRET_PREFIX}${createHmac('sha256', linkToken).update('monban key secret v1').digest('base64url')}`;
}

/** The keyed hash controllers know the key by (a `key` credential with the secret as its id). */
export function keyRefHash(credentialKey: Uint8Array, secret: string): string {
  return credentialIdHash(credentialKey, 'key', secret);
}

/** The link's path: the token travels in the fragment, which browsers never send, so it is in no log. */
export function linkPath(token: string): string {
  return `/k/#${token}`;
}
