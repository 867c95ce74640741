// OSDP Secure Channel cryptography (osdp.md §6): session keys, cryptograms, RMAC-I, MAC chaining and
// data encryption. AES-128 comes from node:crypto; nothing here logs or returns key material beyond
// what the caller asked for.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { concat } from './bytes.ts';

/** SCBK-D, the published default key: only ever accepted in install mode. */
export const SCBK_D = Uint8Array.from('0123456789:;<=>?', (c) => c.charCodeAt(0));
export const KEY_SELECTOR_DEFAULT = 0x00;
export const KEY_SELECTOR_SCBK = 0x01;

export const SCS = {
  CHLNG: 0x11,
  CCRYPT: 0x12,
  SCRYPT: 0x13,
  RMAC_I: 0x14,
  CMD_MAC: 0x15,
  REPLY_MAC: 0x16,
  CMD_ENC: 0x17,
  REPLY_ENC: 0x18,
} as const;

export interface SessionKeys {
  enc: Uint8Array;
  mac1: Uint8Array;
  mac2: Uint8Array;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== 16) throw new RangeError('an AES-128 key has 16 bytes');
}

export function isDefaultKey(key: Uint8Array): boolean {
  return key.length === SCBK_D.length && key.every((b, i) => b === SCBK_D[i]);
}

/**
 * Checks a Secure Channel base key given by the application. SCBK-D is published, so it is never
 * accepted as an installed key: it is only ever used, implicitly, in install mode.
 */
export function checkBaseKey(key: Uint8Array, what: string): Uint8Array {
  if (key.length !== 16) throw new RangeError(`${what} must be a 16-byte AES-128 key`);
  if (isDefaultKey(key))
    throw new RangeError(`${what} is the published default key SCBK-D; it is only usable in install mode`);
  return key.slice();
}

// One long-lived ECB cipher per key object: creating a cipher per block costs more than the AES
// itself. CBC is built on it block by block, which also avoids a cipher per IV.
interface BlockCipher {
  encrypt: (block: Uint8Array) => Uint8Array;
  decrypt: (block: Uint8Array) => Uint8Array;
}
const ciphers = new WeakMap<Uint8Array, BlockCipher>();

function blockCipher(key: Uint8Array): BlockCipher {
  let cipher = ciphers.get(key);
  if (cipher === undefined) {
    checkKey(key);
    const enc = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    const dec = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    cipher = {
      encrypt: (block) => new Uint8Array(enc.update(block)),
      decrypt: (block) => new Uint8Array(dec.update(block)),
    };
    ciphers.set(key, cipher);
  }
  return cipher;
}

export function aesEcb(key: Uint8Array, block: Uint8Array): Uint8Array {
  const cipher = blockCipher(key);
  const out = new Uint8Array(block.length);
  for (let i = 0; i < block.length; i += 16) out.set(cipher.encrypt(block.subarray(i, i + 16)), i);
  return out;
}

function aesCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = blockCipher(key);
  const out = new Uint8Array(data.length);
  let chain = iv;
  const x = new Uint8Array(16);
  for (let i = 0; i < data.length; i += 16) {
    for (let j = 0; j < 16; j++) x[j] = data[i + j]! ^ chain[j]!;
    chain = cipher.encrypt(x);
    out.set(chain, i);
  }
  return out;
}

function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = blockCipher(key);
  const out = new Uint8Array(data.length);
  let chain = iv;
  for (let i = 0; i < data.length; i += 16) {
    const block = data.subarray(i, i + 16);
    const plain = cipher.decrypt(block);
    for (let j = 0; j < 16; j++) out[i + j] = plain[j]! ^ chain[j]!;
    chain = block;
  }
  return out;
}

function keyInput(prefix: number, rndA: Uint8Array): Uint8Array {
  const block = new Uint8Array(16);
  block[0] = 0x01;
  block[1] = prefix;
  block.set(rndA.subarray(0, 6), 2);
  return block;
}

export function deriveSessionKeys(scbk: Uint8Array, rndA: Uint8Array): SessionKeys {
  return {
    enc: aesEcb(scbk, keyInput(0x82, rndA)),
    mac1: aesEcb(scbk, keyInput(0x01, rndA)),
    mac2: aesEcb(scbk, keyInput(0x02, rndA)),
  };
}

/** The PD's proof (sent in CCRYPT). */
export function clientCryptogram(keys: SessionKeys, rndA: Uint8Array, rndB: Uint8Array): Uint8Array {
  return aesEcb(keys.enc, concat(rndA, rndB));
}

/** The CP's proof (sent in SCRYPT). */
export function serverCryptogram(keys: SessionKeys, rndA: Uint8Array, rndB: Uint8Array): Uint8Array {
  return aesEcb(keys.enc, concat(rndB, rndA));
}

export function initialRmac(keys: SessionKeys, serverCrypt: Uint8Array): Uint8Array {
  return aesEcb(keys.mac2, aesEcb(keys.mac1, serverCrypt));
}

/** Deprecated master-key derivation (osdp.md §6.1), for installations that still use it. */
export function scbkFromMasterKey(masterKey: Uint8Array, cUid: Uint8Array): Uint8Array {
  return aesEcb(
    masterKey,
    concat(
      cUid,
      cUid.map((b) => ~b & 0xff),
    ),
  );
}

function pad80(data: Uint8Array): Uint8Array {
  const padded = new Uint8Array((Math.floor(data.length / 16) + 1) * 16);
  padded.set(data);
  padded[data.length] = 0x80;
  return padded;
}

/**
 * The full 16-byte MAC of `input`, chained from `iv`: CBC with S-MAC1 over all blocks but the last,
 * the last with S-MAC2; a partial last block is padded with 80 00…, a full one is used as is.
 */
export function computeMac(keys: SessionKeys, iv: Uint8Array, input: Uint8Array): Uint8Array {
  const blocks = input.length === 0 ? 1 : Math.ceil(input.length / 16);
  const padded = input.length % 16 === 0 && input.length > 0 ? input : pad80(input).subarray(0, blocks * 16);
  let chain = iv;
  if (blocks > 1) {
    const head = aesCbc(keys.mac1, iv, padded.subarray(0, (blocks - 1) * 16));
    chain = head.subarray(head.length - 16);
  }
  const last = padded.slice((blocks - 1) * 16, blocks * 16);
  for (let i = 0; i < 16; i++) last[i]! ^= chain[i]!;
  return aesEcb(keys.mac2, last);
}

export function invert(bytes: Uint8Array): Uint8Array {
  return bytes.map((b) => ~b & 0xff);
}

/** Encrypts DATA with S-ENC; `ivSource` is the MAC whose bitwise NOT is the IV. Always pads. */
export function encryptData(keys: SessionKeys, ivSource: Uint8Array, data: Uint8Array): Uint8Array {
  return aesCbc(keys.enc, invert(ivSource), pad80(data));
}

/** Decrypts and strips the 80 00… padding; undefined when the padding is wrong. */
export function decryptData(
  keys: SessionKeys,
  ivSource: Uint8Array,
  cipher: Uint8Array,
): Uint8Array | undefined {
  if (cipher.length === 0 || cipher.length % 16 !== 0) return undefined;
  const plain = aesCbcDecrypt(keys.enc, invert(ivSource), cipher);
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0x00) end--;
  if (end < 0 || plain[end] !== 0x80) return undefined;
  return plain.slice(0, end);
}
