// NXP AN10922 AES-128 key diversification: each card gets its own key, derived from a master key
// and the card's identity, so that extracting one card's key reveals nothing about the master key
// or any other card's key, and the card store needs no per-card key database.

import { BLOCK, cbcEncrypt } from './aes.ts';
import { concat, xorInto } from './bytes.ts';
import { cmacSubkeys } from './cmac.ts';

/** AN10922's constant for AES-128 output (AES-192 and AES-256 use other constants; not needed). */
const AES128_DIV_CONSTANT = 0x01;

/**
 * Diversified key = last block of AES-CBC(K, IV 0, pad(0x01 ‖ M) ⊕ subkey), with M 1..31 bytes.
 *
 * Not plain CMAC(K, 0x01 ‖ M): AN10922 always pads to two blocks (32 bytes), where CMAC would pad a
 * short input to one. The two agree only when 0x01 ‖ M is 17 bytes or longer.
 */
export function diversifyKey(masterKey: Uint8Array, input: Uint8Array): Uint8Array {
  return cbcEncrypt(masterKey, new Uint8Array(BLOCK), diversificationBlocks(masterKey, input)).slice(BLOCK);
}

/** Steps 2–4 of AN10922: the two masked blocks that are then CBC-encrypted (exposed for its vector). */
export function diversificationBlocks(masterKey: Uint8Array, input: Uint8Array): Uint8Array {
  if (masterKey.length !== 16) throw new RangeError('the master key is an AES-128 key of 16 bytes');
  if (input.length < 1 || input.length > 31) throw new RangeError('diversification input is 1 to 31 bytes');
  const { k1, k2 } = cmacSubkeys(masterKey);
  const d = new Uint8Array(2 * BLOCK);
  d[0] = AES128_DIV_CONSTANT;
  d.set(input, 1);
  const complete = input.length + 1 === 2 * BLOCK;
  if (!complete) d[input.length + 1] = 0x80;
  xorInto(d.subarray(BLOCK), complete ? k1 : k2);
  return d;
}

/**
 * The diversification input Monban uses, as in AN10922's own example: UID ‖ AID ‖ system identifier.
 * Binding the AID and the system id means the same card enrolled in another application or another
 * Monban installation gets an unrelated key.
 */
export function diversificationInput(uid: Uint8Array, aid: Uint8Array, systemId: Uint8Array): Uint8Array {
  if (uid.length !== 4 && uid.length !== 7 && uid.length !== 10)
    throw new RangeError('a card UID is 4, 7 or 10 bytes');
  if (aid.length !== 3) throw new RangeError('a DESFire application id is 3 bytes');
  if (uid.length + aid.length + systemId.length > 31)
    throw new RangeError('UID, AID and system id together must fit in 31 bytes');
  return concat(uid, aid, systemId);
}
