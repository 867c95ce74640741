// Card encoding (enrollment): turn a factory-fresh card into a Monban credential. Authenticate with
// the transport key, write the credential file, replace key 0 with the card's diversified key, and
// read the credential back through a fresh authentication to prove the card works. The result names
// the credential only: no key material leaves this function.

import { CardError, type CardLink } from './card-link.ts';
import { type CardCredential, encodeCredential } from './credential.ts';
import {
  authenticate,
  type CardKeys,
  CREDENTIAL_FILE,
  cardKey,
  changeKey,
  readCredential,
  writeFile,
} from './reader.ts';

export interface EncodeResult {
  credentialId: string;
  systemId: number;
  issue: number;
}

export function encodeCard(
  card: CardLink,
  keys: CardKeys,
  credential: CardCredential,
  random: (n: number) => Uint8Array,
  transportKey: Uint8Array = new Uint8Array(16),
): EncodeResult {
  const record = encodeCredential(credential);
  const session = authenticate(card, transportKey, random);
  writeFile(card, session, CREDENTIAL_FILE, record);
  changeKey(card, session, 0, cardKey(keys, card.uid));
  const check = readCredential(card, keys, random);
  if (
    check.id !== credential.id ||
    check.systemId !== credential.systemId ||
    check.issue !== credential.issue
  ) {
    throw new CardError('integrity_error', 'the card did not read back what was written');
  }
  return { credentialId: check.id, systemId: check.systemId, issue: check.issue };
}
