// What a Monban card holds, and the keys needed to read it. One application (the AID configured for
// the installation) with one AES key, key 0, set to the card's diversified key; one standard data
// file holding the credential record, readable and writable only after authenticating with key 0,
// and only in full secure messaging (encrypted and MAC'd).

import { randomBytes } from 'node:crypto';
import { CREDENTIAL_FILE_SIZE } from './credential.ts';
import type { StdFileSpec } from './desfire-commands.ts';
import { diversificationInput, diversifyKey } from './diversify.ts';
import { ACCESS_NEVER, type AccessRights } from './file-settings.ts';
import type { RandomSource } from './mutual-auth.ts';

export interface CardKeys {
  /** the application master key: from a SAM, HSM or the reader's secure element; never a constant */
  masterKey: Uint8Array;
  /** DESFire application id, 3 bytes as sent on the wire (least significant byte first) */
  aid: Uint8Array;
  /** installation identifier mixed into diversification, up to 21 bytes */
  systemId: Uint8Array;
}

export const APP_KEY_NO = 0;
export const CREDENTIAL_FILE_NO = 0x01;

/** Reading and writing need key 0; the settings can never change, so the file cannot be opened up later. */
export const CREDENTIAL_FILE_RIGHTS: AccessRights = {
  read: APP_KEY_NO,
  write: APP_KEY_NO,
  readWrite: APP_KEY_NO,
  change: ACCESS_NEVER,
};

export const CREDENTIAL_FILE_SPEC: StdFileSpec = {
  fileNo: CREDENTIAL_FILE_NO,
  commMode: 'full',
  rights: CREDENTIAL_FILE_RIGHTS,
  size: CREDENTIAL_FILE_SIZE,
};

/** The card's own key: AN10922(master key, UID ‖ AID ‖ system id). */
export function cardKey(keys: CardKeys, uid: Uint8Array): Uint8Array {
  return diversifyKey(keys.masterKey, diversificationInput(uid, keys.aid, keys.systemId));
}

export const systemRandom: RandomSource = (n) => new Uint8Array(randomBytes(n));
