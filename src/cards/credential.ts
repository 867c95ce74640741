// The credential record kept in the card's protected file: what the reader reports instead of the
// UID. Layout (version 1): 'M' 'B' version(1) systemId(4) issue(2) idLength(1) id(ASCII), padded.

export interface CardCredential {
  /** the site or system this credential belongs to */
  systemId: number;
  /** the credential number as held in Monban (`card:ID`) */
  id: string;
  /** incremented on each re-issue, so a replaced card's old record can be told apart */
  issue: number;
}

export const CREDENTIAL_FILE_SIZE = 32;
const MAGIC = [0x4d, 0x42];
const VERSION = 1;
const ID_PATTERN = /^[A-Za-z0-9._-]{1,20}$/;

export function encodeCredential(credential: CardCredential): Uint8Array {
  if (!ID_PATTERN.test(credential.id))
    throw new RangeError('a card credential id is 1-20 letters, digits, dot, dash or underscore');
  if (!Number.isInteger(credential.systemId) || credential.systemId < 0 || credential.systemId > 0xffffffff)
    throw new RangeError('systemId is a 32-bit unsigned number');
  if (!Number.isInteger(credential.issue) || credential.issue < 0 || credential.issue > 0xffff)
    throw new RangeError('issue is a 16-bit unsigned number');
  const out = new Uint8Array(CREDENTIAL_FILE_SIZE);
  out.set(MAGIC);
  out[2] = VERSION;
  new DataView(out.buffer).setUint32(3, credential.systemId, false);
  new DataView(out.buffer).setUint16(7, credential.issue, false);
  out[9] = credential.id.length;
  out.set(
    Uint8Array.from(credential.id, (c) => c.charCodeAt(0)),
    10,
  );
  return out;
}

export function decodeCredential(bytes: Uint8Array): CardCredential | undefined {
  if (bytes.length < 11 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== VERSION)
    return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes[9]!;
  if (10 + length > bytes.length) return undefined;
  const id = String.fromCharCode(...bytes.subarray(10, 10 + length));
  if (!ID_PATTERN.test(id)) return undefined;
  return { systemId: view.getUint32(3, false), issue: view.getUint16(7, false), id };
}
