// AES-CMAC (RFC 4493, NIST SP 800-38B) built on single AES blocks. DESFire EV2 uses it for session
// keys and message MACs, and AN10922 diversification is a close variant of it (diversify.ts).

import { BLOCK, cbcEncrypt, ecbEncrypt } from './aes.ts';
import { xorInto } from './bytes.ts';

/** Doubling in GF(2^128): shift left by one bit; if a bit fell off the top, XOR 0x87 into the end. */
export function dbl(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++)
    out[i] = ((block[i]! << 1) | (i < BLOCK - 1 ? block[i + 1]! >>> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[BLOCK - 1]! ^= 0x87;
  return out;
}

/** The CMAC subkeys: K1 masks a final complete block, K2 a final padded block. */
export function cmacSubkeys(key: Uint8Array): { k0: Uint8Array; k1: Uint8Array; k2: Uint8Array } {
  const k0 = ecbEncrypt(key, new Uint8Array(BLOCK));
  const k1 = dbl(k0);
  return { k0, k1, k2: dbl(k1) };
}

export function cmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const { k1, k2 } = cmacSubkeys(key);
  const blocks = Math.max(1, Math.ceil(message.length / BLOCK));
  const complete = message.length > 0 && message.length % BLOCK === 0;
  const padded = new Uint8Array(blocks * BLOCK);
  padded.set(message);
  if (!complete) padded[message.length] = 0x80;
  xorInto(padded.subarray((blocks - 1) * BLOCK), complete ? k1 : k2);
  // CBC-MAC over the masked message: the tag is the last ciphertext block.
  return cbcEncrypt(key, new Uint8Array(BLOCK), padded).slice(-BLOCK);
}
