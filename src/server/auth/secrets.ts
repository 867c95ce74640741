// Small cryptographic helpers for administrator security. Everything random comes from the system
// CSPRNG; everything compared is compared in constant time; stored forms are one-way where the value
// only needs to be recognised (session ids, tokens, backup codes) and encrypted where it must be read
// back (TOTP secrets).

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** A high-entropy opaque value (256 bits), base64url, with a prefix naming what it is. */
export function newSecretToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function newId(): string {
  return randomBytes(16).toString('hex');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The synchronizer CSRF token of a session: derived from the session's own secret id, so it is bound
 * to that session, changes whenever the session id rotates, and needs no storage.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('monban csrf v1').digest('base64url');
}

/** Keys derived from the installation key, one per purpose. */
export class SecretBox {
  private readonly encKey: Buffer;
  private readonly macKey: Buffer;

  constructor(installationKey: Uint8Array) {
    if (installationKey.length < 32) throw new Error('installation key must be at least 32 bytes');
    this.encKey = Buffer.from(hkdfSync('sha256', installationKey, 'monban', 'auth secret encryption v1', 32));
    this.macKey = Buffer.from(hkdfSync('sha256', installationKey, 'monban', 'auth code hashing v1', 32));
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  decrypt(sealed: string): string {
    const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    if (!iv || !tag || !body) throw new Error('sealed value is malformed');
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  }

  /** Keyed hash for short secrets (backup codes): a stolen database alone cannot brute-force them. */
  mac(context: string, value: string): string {
    return createHmac('sha256', this.macKey).update(context).update('\0').update(value).digest('hex');
  }
}
