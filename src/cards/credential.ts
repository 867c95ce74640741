// The credential record kept in the card's protected file: what a Monban reader reports instead of
// the UID. Fixed 32 bytes, version 1:
//
//   0  'M' 'B'        magic: this file is a Monban credential
//   2  version        1
//   3  systemId       u32 big-endian: the site / installation the card was issued for
//   7  issue          u16 big-endian: re-issue counter, so a replaced card's old record is told apart
//   9  idLength       1..20
//  10  id             ASCII credential number as Monban knows it (`card:ID`), zero-filled to 20 bytes
//  30  check          CRC-16/CCITT-FALSE over bytes 0..29, big-endian
//
// The check value is not a security measure (the file is read under an EV2 MAC, which is): it catches
// a badly encoded or partly written record, so such a card fails cleanly rather than reporting junk.

export interface CardCredential {
  systemId: number;
  /** the credential number as held in Monban */
  id: string;
  issue: number;
}

export const CREDENTIAL_FILE_SIZE = 32;
export const CREDENTIAL_VERSION = 1;
const MAGIC = [0x4d, 0x42] as const;
const ID_OFFSET = 10;
const ID_MAX = 20;
const CHECK_OFFSET = 30;
export const CREDENTIAL_ID_PATTERN = /^[A-Za-z0-9._-]{1,20}$/;

export type CredentialDecodeError = 'length' | 'magic' | 'version' | 'id' | 'padding' | 'check';

export type CredentialDecodeResult =
  | { ok: true; credential: CardCredential }
  | { ok: false; error: CredentialDecodeError };

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): check value of "123456789" is 0x29B1. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Throws RangeError on an invalid credential; the message never repeats the value. */
export function validateCredential(credential: CardCredential): void {
  if (typeof credential.id !== 'string' || !CREDENTIAL_ID_PATTERN.test(credential.id))
    throw new RangeError('a card credential id is 1-20 letters, digits, dot, dash or underscore');
  if (!Number.isInteger(credential.systemId) || credential.systemId < 0 || credential.systemId > 0xffffffff)
    throw new RangeError('systemId is a 32-bit unsigned number');
  if (!Number.isInteger(credential.issue) || credential.issue < 0 || credential.issue > 0xffff)
    throw new RangeError('issue is a 16-bit unsigned number');
}

export function encodeCredential(credential: CardCredential): Uint8Array {
  validateCredential(credential);
  const out = new Uint8Array(CREDENTIAL_FILE_SIZE);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  out[2] = CREDENTIAL_VERSION;
  view.setUint32(3, credential.systemId, false);
  view.setUint16(7, credential.issue, false);
  out[9] = credential.id.length;
  for (let i = 0; i < credential.id.length; i++) out[ID_OFFSET + i] = credential.id.charCodeAt(i);
  view.setUint16(CHECK_OFFSET, crc16(out.subarray(0, CHECK_OFFSET)), false);
  return out;
}

export function decodeCredential(bytes: Uint8Array): CredentialDecodeResult {
  if (bytes.length !== CREDENTIAL_FILE_SIZE) return { ok: false, error: 'length' };
  if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) return { ok: false, error: 'magic' };
  if (bytes[2] !== CREDENTIAL_VERSION) return { ok: false, error: 'version' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(CHECK_OFFSET, false) !== crc16(bytes.subarray(0, CHECK_OFFSET)))
    return { ok: false, error: 'check' };
  const length = bytes[9]!;
  if (length < 1 || length > ID_MAX) return { ok: false, error: 'id' };
  const id = String.fromCharCode(...bytes.subarray(ID_OFFSET, ID_OFFSET + length));
  if (!CREDENTIAL_ID_PATTERN.test(id)) return { ok: false, error: 'id' };
  // Unused id bytes must be zero: one record has exactly one encoding.
  if (bytes.subarray(ID_OFFSET + length, CHECK_OFFSET).some((b) => b !== 0))
    return { ok: false, error: 'padding' };
  return {
    ok: true,
    credential: { systemId: view.getUint32(3, false), issue: view.getUint16(7, false), id },
  };
}
