// AES-128 for the card library. node:crypto provides the raw block cipher (ECB, no padding); the
// modes the cards use (CBC with a given IV, and CMAC in cmac.ts) are built here on single blocks so
// that every step the DESFire documents describe is visible and testable.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { xorInto } from './bytes.ts';

export const BLOCK = 16;

function checkKey(key: Uint8Array): void {
  // The message names no key bytes: errors must never carry key material (R-SEC-4).
  if (key.length !== 16) throw new RangeError('an AES-128 key is 16 bytes');
}

function checkBlocks(data: Uint8Array): void {
  if (data.length % BLOCK !== 0) throw new RangeError('AES data must be whole 16-byte blocks');
}

/** AES-128 on whole blocks, each independently (ECB): the building block for CBC and CMAC. */
export function ecbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  checkBlocks(data);
  const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

export function ecbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkKey(key);
  checkBlocks(data);
  const decipher = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([decipher.update(data), decipher.final()]));
}

/** CBC: each plaintext block is XORed with the previous ciphertext block (the IV for the first). */
export function cbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data);
  const out = new Uint8Array(data.length);
  let previous: Uint8Array = iv.slice();
  for (let offset = 0; offset < data.length; offset += BLOCK) {
    const block = data.slice(offset, offset + BLOCK);
    xorInto(block, previous);
    previous = ecbEncrypt(key, block);
    out.set(previous, offset);
  }
  return out;
}

export function cbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data);
  const out = ecbDecrypt(key, data);
  for (let offset = data.length - BLOCK; offset >= 0; offset -= BLOCK) {
    const chain = offset === 0 ? iv : data.subarray(offset - BLOCK, offset);
    xorInto(out.subarray(offset, offset + BLOCK), chain);
  }
  return out;
}
