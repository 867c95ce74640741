// Reading a card the secure way: select the Monban application, authenticate mutually with the
// card's diversified key, read the credential file in full secure messaging, and report the
// credential. Never the UID: a card that cannot prove its key yields a CardError and nothing else.

import { wipe } from './bytes.ts';
import { APP_KEY_NO, type CardKeys, CREDENTIAL_FILE_NO, cardKey, systemRandom } from './card-layout.ts';
import { CardError, type CardLink } from './card-link.ts';
import { type CardCredential, CREDENTIAL_FILE_SIZE, decodeCredential } from './credential.ts';
import { readData, selectApplication } from './desfire-commands.ts';
import { authenticateEv2First, type RandomSource } from './mutual-auth.ts';

export type { CardKeys } from './card-layout.ts';

/**
 * Reads a card's credential: the only thing a Monban reader reports. Throws CardError when the card
 * cannot prove itself (a clone by UID, a wrong key, a replayed or tampered response).
 */
export function readCredential(
  card: CardLink,
  keys: CardKeys,
  random: RandomSource = systemRandom,
): CardCredential {
  selectApplication(card, keys.aid);
  const key = cardKey(keys, card.uid);
  let record: Uint8Array;
  try {
    const session = authenticateEv2First(card, APP_KEY_NO, key, random);
    record = readData(card, session, CREDENTIAL_FILE_NO, CREDENTIAL_FILE_SIZE, 'full');
  } finally {
    wipe(key);
  }
  const decoded = decodeCredential(record);
  if (!decoded.ok)
    throw new CardError(
      'not_a_credential',
      `the card file is not a valid credential record (${decoded.error})`,
    );
  return decoded.credential;
}
