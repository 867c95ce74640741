// Reading a card the secure way: select the Monban application, authenticate mutually with the
// card's diversified key, read the credential file in full secure messaging, and report the
// credential. Never the UID: a card that cannot prove its key yields a CardError and nothing else.
// The steps are written once (`readCredentialExchange`) and run over a card in reach of this
// process (`readCredential`) or one behind a reader on a bus (`readCredentialAsync`).

import { wipe } from './bytes.ts';
import { APP_KEY_NO, type CardKeys, CREDENTIAL_FILE_NO, cardKey, systemRandom } from './card-layout.ts';
import { CardError, type CardLink } from './card-link.ts';
import { type CardCredential, CREDENTIAL_FILE_SIZE, decodeCredential } from './credential.ts';
import { readDataExchange, selectApplicationExchange } from './desfire-commands.ts';
import { type AsyncCardLink, type CardExchange, runExchange, runExchangeAsync } from './exchange.ts';
import { authenticateEv2FirstExchange, type RandomSource } from './mutual-auth.ts';

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
  const key = cardKey(keys, card.uid);
  try {
    return runExchange(card, readCredentialExchange(key, keys.aid, random));
  } finally {
    wipe(key);
  }
}

/**
 * The same read over an asynchronous link. `keyFor` gives the card's diversified key for its UID —
 * from a key store, SAM or HSM that keeps the master key to itself; the key is wiped after use.
 */
export async function readCredentialAsync(
  card: AsyncCardLink,
  keyFor: (uid: Uint8Array) => Uint8Array,
  aid: Uint8Array,
  random: RandomSource = systemRandom,
): Promise<CardCredential> {
  const key = keyFor(card.uid);
  try {
    return await runExchangeAsync(card, readCredentialExchange(key, aid, random));
  } finally {
    wipe(key);
  }
}

/** Select, authenticate with the card's key, read the credential file (full mode), decode. */
export function* readCredentialExchange(
  key: Uint8Array,
  aid: Uint8Array,
  random: RandomSource,
): CardExchange<CardCredential> {
  yield* selectApplicationExchange(aid);
  const session = yield* authenticateEv2FirstExchange(APP_KEY_NO, key, random);
  const record = yield* readDataExchange(session, CREDENTIAL_FILE_NO, CREDENTIAL_FILE_SIZE, 'full');
  const decoded = decodeCredential(record);
  if (!decoded.ok)
    throw new CardError(
      'not_a_credential',
      `the card file is not a valid credential record (${decoded.error})`,
    );
  return decoded.credential;
}
