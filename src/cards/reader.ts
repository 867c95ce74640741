// The reader side of a secure card read: diversify the card's key from the master key and the
// card's identity, authenticate mutually (EV2First), read the credential file with full secure
// messaging (encrypted and MAC'd), and report the credential — never the UID.

import { constantTimeEqual } from './bytes.ts';
import { CardError, type CardLink } from './card-link.ts';
import { type CardCredential, CREDENTIAL_FILE_SIZE, decodeCredential } from './credential.ts';
import { diversificationInput, diversifyKey } from './diversify.ts';
import {
  authDecrypt,
  authEncrypt,
  commandMac,
  decryptResponseData,
  deriveEv2Session,
  type Ev2Session,
  encryptCommandData,
  INS,
  responseMac,
  rotateLeft,
  STATUS,
} from './ev2.ts';

export interface CardKeys {
  /** the application master key (from a SAM/HSM in production); never a constant */
  masterKey: Uint8Array;
  aid: Uint8Array;
  systemId: Uint8Array;
}

export const CREDENTIAL_FILE = 0x01;

export function cardKey(keys: CardKeys, uid: Uint8Array): Uint8Array {
  return diversifyKey(keys.masterKey, diversificationInput(uid, keys.aid, keys.systemId));
}

/** Mutual authentication with `key`; returns the secure-messaging session. */
export function authenticate(
  card: CardLink,
  key: Uint8Array,
  random: (n: number) => Uint8Array,
  keyNo = 0,
): Ev2Session {
  const first = card.transceive(Uint8Array.of(INS.AUTH_EV2_FIRST, keyNo, 0x00));
  if (first[0] !== STATUS.ADDITIONAL_FRAME || first.length !== 17)
    throw new CardError('authentication_failed', 'the card refused authentication');
  const rndB = authDecrypt(key, first.subarray(1));
  const rndA = random(16);
  const second = card.transceive(
    Uint8Array.from([
      INS.ADDITIONAL_FRAME,
      ...authEncrypt(key, Uint8Array.from([...rndA, ...rotateLeft(rndB)])),
    ]),
  );
  if (second[0] !== STATUS.OK || second.length !== 33)
    throw new CardError('authentication_failed', 'the card did not prove it knows the key');
  const plain = authDecrypt(key, second.subarray(1));
  // The card proves it knows the key by returning our RndA rotated: an impostor cannot.
  if (!constantTimeEqual(plain.subarray(4, 20), rotateLeft(rndA)))
    throw new CardError('authentication_failed', 'card cryptogram does not match: wrong key or cloned card');
  return deriveEv2Session(key, rndA, rndB, plain.subarray(0, 4));
}

function u24(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff];
}

/** ReadData in full secure mode: the command is MAC'd, the response encrypted and MAC'd. */
export function readFile(card: CardLink, session: Ev2Session, file: number, length: number): Uint8Array {
  const header = Uint8Array.from([file, ...u24(0), ...u24(length)]);
  const mac = commandMac(session, INS.READ_DATA, session.cmdCtr, header);
  const response = card.transceive(Uint8Array.from([INS.READ_DATA, ...header, ...mac]));
  if (response[0] !== STATUS.OK)
    throw new CardError('refused', `the card refused the read (status ${response[0]?.toString(16)})`);
  session.cmdCtr++;
  const body = response.subarray(1, response.length - 8);
  if (
    !constantTimeEqual(
      responseMac(session, STATUS.OK, session.cmdCtr, body),
      response.subarray(response.length - 8),
    )
  ) {
    throw new CardError('integrity_error', 'the card response failed its MAC check');
  }
  const plain = decryptResponseData(session, session.cmdCtr, body);
  if (plain === undefined) throw new CardError('integrity_error', 'the card response did not decrypt');
  return plain;
}

/** WriteData in full secure mode. */
export function writeFile(card: CardLink, session: Ev2Session, file: number, data: Uint8Array): void {
  const header = Uint8Array.from([file, ...u24(0), ...u24(data.length)]);
  const cipher = encryptCommandData(session, session.cmdCtr, data);
  const mac = commandMac(session, INS.WRITE_DATA, session.cmdCtr, Uint8Array.from([...header, ...cipher]));
  const response = card.transceive(Uint8Array.from([INS.WRITE_DATA, ...header, ...cipher, ...mac]));
  if (response[0] !== STATUS.OK)
    throw new CardError('refused', `the card refused the write (status ${response[0]?.toString(16)})`);
  session.cmdCtr++;
  if (
    !constantTimeEqual(
      responseMac(session, STATUS.OK, session.cmdCtr, new Uint8Array()),
      response.subarray(1),
    )
  ) {
    throw new CardError('integrity_error', 'the card response failed its MAC check');
  }
}

/** ChangeKey for the authenticated key: the new key travels encrypted; the session ends after it. */
export function changeKey(
  card: CardLink,
  session: Ev2Session,
  keyNo: number,
  newKey: Uint8Array,
  version = 1,
): void {
  const cipher = encryptCommandData(session, session.cmdCtr, Uint8Array.from([...newKey, version]));
  const mac = commandMac(session, INS.CHANGE_KEY, session.cmdCtr, Uint8Array.from([keyNo, ...cipher]));
  const response = card.transceive(Uint8Array.from([INS.CHANGE_KEY, keyNo, ...cipher, ...mac]));
  if (response[0] !== STATUS.OK)
    throw new CardError('refused', `the card refused the key change (status ${response[0]?.toString(16)})`);
}

/**
 * Reads a card's credential: the only thing a Monban reader reports. Throws CardError when the card
 * cannot prove itself (clone by UID, wrong key, tampered response) — never falls back to the UID.
 */
export function readCredential(
  card: CardLink,
  keys: CardKeys,
  random: (n: number) => Uint8Array,
): CardCredential {
  const session = authenticate(card, cardKey(keys, card.uid), random);
  const credential = decodeCredential(readFile(card, session, CREDENTIAL_FILE, CREDENTIAL_FILE_SIZE));
  if (!credential) throw new CardError('not_a_credential', 'the card holds no Monban credential');
  return credential;
}
