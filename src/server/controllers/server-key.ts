// The server's Ed25519 signing key for controller traffic, derived from the installation key: nothing
// more to back up, and servers that share an installation key (several servers on one PostgreSQL)
// sign alike. Controllers receive the public half at enrollment.

import { createHmac, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

// PKCS#8 header of an Ed25519 private key (RFC 8410); the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface ServerSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

export function serverSigningKey(installationKey: Uint8Array): ServerSigningKey {
  const seed = createHmac('sha256', installationKey).update('monban/server-signing-key/v1').digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
