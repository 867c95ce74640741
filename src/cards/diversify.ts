// NXP AN10922 AES-128 key diversification: a per-card key from a master key and the card's
// identity, so that reading one card's key reveals nothing about any other card's.

import { cbcEncrypt, cmacSubkeys } from './aes.ts';

/**
 * Diversified key = last block of AES-CBC(K, 0, pad32(0x01 ‖ M) ⊕ subkey). Note: for inputs shorter
 * than 16 bytes this is not plain AES-CMAC, because AN10922 always pads to two blocks.
 */
export function diversifyKey(masterKey: Uint8Array, input: Uint8Array): Uint8Array {
  if (masterKey.length !== 16) throw new RangeError('the master key is an AES-128 key of 16 bytes');
  if (input.length < 1 || input.length > 31) throw new RangeError('diversification input is 1 to 31 bytes');
  const { k1, k2 } = cmacSubkeys(masterKey);
  const d = new Uint8Array(32);
  d[0] = 0x01;
  d.set(input, 1);
  const full = input.length + 1 === 32;
  if (!full) d[input.length + 1] = 0x80;
  const sub = full ? k1 : k2;
  for (let i = 0; i < 16; i++) d[16 + i]! ^= sub[i]!;
  return cbcEncrypt(masterKey, new Uint8Array(16), d).slice(16);
}

/** The diversification input Monban uses: UID (7) ‖ application id (3) ‖ system identifier. */
export function diversificationInput(uid: Uint8Array, aid: Uint8Array, systemId: Uint8Array): Uint8Array {
  return Uint8Array.from([...uid, ...aid, ...systemId]);
}
