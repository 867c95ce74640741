// Credentials as controllers see them (R-SEC-3, R-SEC-8): never a card number or PIN, only keyed
// hashes under the site's credential key. The server derives that key from its installation key and
// hands it to a controller once, at enrollment, over HTTPS; snapshots and revocations that cross the
// broker then name credentials by hash alone, so the broker (or anyone reading its traffic or a
// stored snapshot without the key) learns no card number and no PIN. The server stores PIN hashes
// under the same key, so a snapshot can carry them as they are.

import { createHmac } from 'node:crypto';

/** The site credential key, derived from the server's installation key (server side only). */
export function siteCredentialKey(installationKey: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHmac('sha256', installationKey).update('monban/site-credential-key/v1').digest(),
  );
}

/** A PIN (a card's PIN, a duress PIN, or a PIN-only credential's digits) as stored and synced. */
export function pinHash(credentialKey: Uint8Array, digits: string): string {
  return createHmac('sha256', credentialKey).update(digits).digest('hex');
}

/** A credential identifier, e.g. `card`, `C-1001`, as synced to controllers. */
export function credentialIdHash(credentialKey: Uint8Array, type: string, identifier: string): string {
  return createHmac('sha256', credentialKey).update(`${type}:${identifier}`).digest('hex');
}
