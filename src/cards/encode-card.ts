// Card encoding (enrollment): turns a factory-fresh card into a Monban credential.
//
//  1. authenticate at card level with the transport key, and create the Monban application;
//  2. authenticate to the new application with its default key and change key 0 to the card's
//     diversified key (which ends that session, as on a real card);
//  3. authenticate with the diversified key, create the credential file with rights that demand that
//     key and full secure messaging, and write the record, encrypted;
//  4. check the file settings, then read the credential back through a fresh authentication, the way
//     a door reader will.
//
// The credential is only ever written under the diversified key's session, never the transport key's.
// The result names the credential only: no key material leaves this function.

import { wipe } from './bytes.ts';
import { APP_KEY_NO, type CardKeys, CREDENTIAL_FILE_SPEC, cardKey, systemRandom } from './card-layout.ts';
import { CardError, type CardLink } from './card-link.ts';
import { type CardCredential, encodeCredential } from './credential.ts';
import {
  changeAuthenticatedKey,
  createApplication,
  createStdDataFile,
  getFileSettings,
  PICC_AID,
  selectApplication,
  writeData,
} from './desfire-commands.ts';
import { requiresKey } from './file-settings.ts';
import { authenticateEv2First, type RandomSource } from './mutual-auth.ts';
import { readCredential } from './reader.ts';

export interface EncodeOptions {
  /** the card-level (PICC) transport key the card ships with; the factory default is all zero */
  transportKey?: Uint8Array;
  /** key version stored with the diversified key, so key rotation can tell generations apart */
  keyVersion?: number;
}

/** What enrollment reports: which credential the card now holds. Deliberately no keys, no UID. */
export interface EncodeResult {
  credentialId: string;
  systemId: number;
  issue: number;
  keyVersion: number;
  fileNo: number;
}

/** A new DESFire application's keys are all zero until changed: card behaviour, not a secret. */
const NEW_APPLICATION_KEY = new Uint8Array(16);

export function encodeCard(
  card: CardLink,
  keys: CardKeys,
  credential: CardCredential,
  random: RandomSource = systemRandom,
  options: EncodeOptions = {},
): EncodeResult {
  // Validate before touching the card, so a bad record never leaves a half-encoded card.
  const record = encodeCredential(credential);
  const keyVersion = options.keyVersion ?? 1;
  if (!Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > 0xff)
    throw new RangeError('the key version is one byte');
  const transportKey = options.transportKey ?? new Uint8Array(16);
  const diversified = cardKey(keys, card.uid);
  try {
    selectApplication(card, PICC_AID);
    const picc = authenticateEv2First(card, 0, transportKey, random);
    createApplication(card, picc, keys.aid, 1);

    selectApplication(card, keys.aid);
    const fresh = authenticateEv2First(card, APP_KEY_NO, NEW_APPLICATION_KEY, random);
    changeAuthenticatedKey(card, fresh, diversified, keyVersion);

    const session = authenticateEv2First(card, APP_KEY_NO, diversified, random);
    createStdDataFile(card, session, CREDENTIAL_FILE_SPEC);
    writeData(card, session, CREDENTIAL_FILE_SPEC.fileNo, record, 'full');
    const settings = getFileSettings(card, session, CREDENTIAL_FILE_SPEC.fileNo);
    if (
      settings.commMode !== 'full' ||
      !requiresKey(settings.rights.read) ||
      !requiresKey(settings.rights.write) ||
      !requiresKey(settings.rights.readWrite) ||
      requiresKey(settings.rights.change) ||
      settings.rights.change !== CREDENTIAL_FILE_SPEC.rights.change
    ) {
      throw new CardError('integrity_error', 'the credential file did not get the required access rights');
    }
  } finally {
    wipe(diversified, record);
  }
  const check = readCredential(card, keys, random);
  if (
    check.id !== credential.id ||
    check.systemId !== credential.systemId ||
    check.issue !== credential.issue
  )
    throw new CardError('integrity_error', 'the card did not read back what was written');
  return {
    credentialId: check.id,
    systemId: check.systemId,
    issue: check.issue,
    keyVersion,
    fileNo: CREDENTIAL_FILE_SPEC.fileNo,
  };
}
