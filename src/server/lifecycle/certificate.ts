// Signed erasure certificates (R-SEC-7, IPA h01): what was erased, when, how and by whom, signed with
// an Ed25519 key derived from the installation key. The certificate carries the public key; whoever
// checks it compares that key with the installation's (`monban erasure key` prints its fingerprint,
// to write down before a decommissioning destroys the installation key), and `monban erasure verify
// <file>` checks the signature and, given the data directory or a fingerprint, the key.
//
// Signed bytes: the certificate without `signature`, as JSON with keys sorted at every level.

import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export const CERTIFICATE_TYPE = 'monban-erasure-certificate';

export interface ErasedItem {
  /** what: `person record`, `credentials`, `directory attributes`, `access events`, … */
  what: string;
  /** how: `deleted`, `crypto-shredded (data key destroyed)`, `pseudonymised (sealed)`, … */
  how: string;
  count: number;
}

export interface ErasureCertificate {
  type: typeof CERTIFICATE_TYPE;
  version: 1;
  id: string;
  /** person | controller | installation */
  kind: string;
  /** who or what was erased: a pseudonym for a person, the controller id, the installation */
  subject: string;
  /** ISO 8601 */
  at: string;
  by: { actor: string; source: string };
  reason?: string;
  erased: ErasedItem[];
  /** anything else worth keeping: the controllers that confirmed, the chains' state after */
  evidence?: Record<string, unknown>;
  /** the signing key, SPKI DER base64, and its SHA-256 fingerprint (hex) */
  key: { publicKey: string; fingerprint: string };
  signature: string;
}

export type UnsignedCertificate = Omit<ErasureCertificate, 'signature' | 'key' | 'type' | 'version'>;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
}

function signedBytes(certificate: Omit<ErasureCertificate, 'signature'>): Buffer {
  return Buffer.from(JSON.stringify(sortKeys(certificate)), 'utf8');
}

export function certificateKeys(installationKey: Uint8Array): { signing: KeyObject; publicKey: KeyObject } {
  const seed = createHmac('sha256', installationKey).update('monban/erasure-certificate-key/v1').digest();
  const signing = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return { signing, publicKey: createPublicKey(signing) };
}

export function fingerprintOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function signCertificate(body: UnsignedCertificate, installationKey: Uint8Array): ErasureCertificate {
  const { signing, publicKey } = certificateKeys(installationKey);
  const unsigned: Omit<ErasureCertificate, 'signature'> = {
    type: CERTIFICATE_TYPE,
    version: 1 as const,
    ...body,
    key: {
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      fingerprint: fingerprintOf(publicKey),
    },
  };
  return { ...unsigned, signature: sign(null, signedBytes(unsigned), signing).toString('base64url') };
}

export interface CertificateCheck {
  ok: boolean;
  /** the signature verifies under the key the certificate carries */
  signature: boolean;
  /** the key matched the expected one (undefined: nothing to compare with) */
  keyMatches: boolean | undefined;
  fingerprint: string | undefined;
  problems: string[];
}

/** Checks a certificate (parsed JSON of unknown shape); `expectedFingerprint` is the installation's. */
export function verifyCertificate(value: unknown, expectedFingerprint?: string): CertificateCheck {
  const problems: string[] = [];
  const fail = (why: string): CertificateCheck => ({
    ok: false,
    signature: false,
    keyMatches: undefined,
    fingerprint: undefined,
    problems: [why],
  });
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return fail('not a certificate (not a JSON object)');
  const c = value as Partial<ErasureCertificate>;
  if (c.type !== CERTIFICATE_TYPE || c.version !== 1)
    return fail('not a Monban erasure certificate (type or version)');
  if (typeof c.signature !== 'string' || typeof c.key?.publicKey !== 'string')
    return fail('no signature or key');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(c.key.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    return fail('the key is not a public key');
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') return fail('the key is not an Ed25519 key');
  const fingerprint = fingerprintOf(publicKey);
  if (c.key.fingerprint !== fingerprint) problems.push('the stated fingerprint is not that of the key');
  const { signature, ...unsigned } = c as ErasureCertificate;
  let signatureOk = false;
  try {
    signatureOk = verify(null, signedBytes(unsigned), publicKey, Buffer.from(signature, 'base64url'));
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) problems.push('the signature does not verify: the certificate was changed or forged');
  const keyMatches =
    expectedFingerprint === undefined
      ? undefined
      : expectedFingerprint.toLowerCase().replaceAll(':', '') === fingerprint;
  if (keyMatches === false) problems.push('signed with another key than this installation’s');
  return { ok: problems.length === 0, signature: signatureOk, keyMatches, fingerprint, problems };
}
