// Reader side of DESFire EV2 AuthenticateEV2First with AES-128 (NXP AN12196, osdp.md §8.2): card
// and reader each prove knowledge of the key by decrypting the other's fresh random and returning it
// rotated, and both derive session keys from the two randoms. A recorded exchange is useless later:
// the card picks a new RndB and the reader a new RndA every time.

import { BLOCK, cbcDecrypt, cbcEncrypt } from './aes.ts';
import { commandApdu, INS, parseResponseApdu, STATUS } from './apdu.ts';
import { concat, constantTimeEqual, rotateLeft, wipe } from './bytes.ts';
import { CardError, type CardLink } from './card-link.ts';
import { cmac } from './cmac.ts';
import { type CardExchange, runExchange } from './exchange.ts';
import type { Ev2Session } from './secure-messaging.ts';

export type RandomSource = (n: number) => Uint8Array;

const ZERO_IV = new Uint8Array(BLOCK);

/** The authentication cryptograms use AES-CBC with a zero IV (one or two blocks). */
export const authEncrypt = (key: Uint8Array, data: Uint8Array): Uint8Array => cbcEncrypt(key, ZERO_IV, data);
export const authDecrypt = (key: Uint8Array, data: Uint8Array): Uint8Array => cbcDecrypt(key, ZERO_IV, data);

/**
 * SV1 (prefix A5 5A) and SV2 (5A A5): A5 5A 00 01 00 80 ‖ RndA[0..1] ‖ (RndA[2..7] ⊕ RndB[0..5]) ‖
 * RndB[6..15] ‖ RndA[8..15]. Mixing both randoms means neither side alone chooses the session keys.
 */
export function sessionVector(prefix: 'enc' | 'mac', rndA: Uint8Array, rndB: Uint8Array): Uint8Array {
  const sv = new Uint8Array(32);
  sv.set(prefix === 'enc' ? [0xa5, 0x5a] : [0x5a, 0xa5]);
  sv.set([0x00, 0x01, 0x00, 0x80], 2);
  sv.set(rndA.subarray(0, 2), 6);
  for (let i = 0; i < 6; i++) sv[8 + i] = rndA[2 + i]! ^ rndB[i]!;
  sv.set(rndB.subarray(6, 16), 14);
  sv.set(rndA.subarray(8, 16), 24);
  return sv;
}

/** SesAuthENCKey = CMAC(K, SV1), SesAuthMACKey = CMAC(K, SV2); CmdCtr starts at 0. */
export function deriveSession(
  key: Uint8Array,
  keyNo: number,
  rndA: Uint8Array,
  rndB: Uint8Array,
  ti: Uint8Array,
): Ev2Session {
  return {
    ti: ti.slice(),
    encKey: cmac(key, sessionVector('enc', rndA, rndB)),
    macKey: cmac(key, sessionVector('mac', rndA, rndB)),
    keyNo,
    cmdCtr: 0,
    open: true,
  };
}

/**
 * AuthenticateEV2First with key `keyNo` of the selected application:
 * 1. `71 KeyNo LenCap=00` → E(K, RndB)
 * 2. `AF E(K, RndA ‖ RndB⟲1)` → E(K, TI ‖ RndA⟲1 ‖ PDcap2 ‖ PCDcap2)
 * The reader accepts the card only if RndA comes back rotated: a clone that merely copied the UID
 * cannot decrypt RndA, and a replayed recording carries an old RndA.
 */
export function authenticateEv2First(
  link: CardLink,
  keyNo: number,
  key: Uint8Array,
  random: RandomSource,
): Ev2Session {
  return runExchange(link, authenticateEv2FirstExchange(keyNo, key, random));
}

/** The same steps, for any transport (exchange.ts). */
export function* authenticateEv2FirstExchange(
  keyNo: number,
  key: Uint8Array,
  random: RandomSource,
): CardExchange<Ev2Session> {
  if (key.length !== 16) throw new RangeError('an AES-128 key is 16 bytes');
  const first = parseResponseApdu(yield commandApdu(INS.AUTHENTICATE_EV2_FIRST, Uint8Array.of(keyNo, 0)));
  if (first.status !== STATUS.ADDITIONAL_FRAME)
    throw new CardError('authentication_failed', 'the card refused to start authentication', first.status);
  if (first.data.length !== BLOCK)
    throw new CardError('bad_response', 'the card challenge is not one AES block');
  const rndB = authDecrypt(key, first.data);
  // Copied, so that wiping it below never touches the caller's buffer.
  const rndA = random(BLOCK).slice();
  if (rndA.length !== BLOCK) throw new RangeError('the random source returned the wrong length');
  const second = parseResponseApdu(
    yield commandApdu(INS.ADDITIONAL_FRAME, authEncrypt(key, concat(rndA, rotateLeft(rndB)))),
  );
  if (second.status !== STATUS.OK)
    throw new CardError(
      'authentication_failed',
      'the card did not accept our proof of the key',
      second.status,
    );
  if (second.data.length !== 2 * BLOCK)
    throw new CardError('bad_response', 'the card authentication response is not two AES blocks');
  const plain = authDecrypt(key, second.data);
  if (!constantTimeEqual(plain.subarray(4, 20), rotateLeft(rndA))) {
    wipe(rndA, rndB, plain);
    throw new CardError(
      'authentication_failed',
      'the card did not prove it knows the key: wrong key, clone or replay',
    );
  }
  const session = deriveSession(key, keyNo, rndA, rndB, plain.subarray(0, 4));
  wipe(rndA, rndB, plain);
  return session;
}
