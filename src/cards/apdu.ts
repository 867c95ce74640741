// DESFire native commands wrapped in ISO 7816-4 APDUs, the form PC/SC readers and phones accept:
// command `90 INS 00 00 [Lc data] 00`, response `data 91 status`. Command and status codes are the
// publicly documented DESFire ones (AN12196, libfreefare, Proxmark3).

import { concat } from './bytes.ts';
import { CardError } from './card-link.ts';

export const INS = {
  AUTHENTICATE_EV2_FIRST: 0x71,
  ADDITIONAL_FRAME: 0xaf,
  SELECT_APPLICATION: 0x5a,
  CREATE_APPLICATION: 0xca,
  CREATE_STD_DATA_FILE: 0xcd,
  GET_FILE_SETTINGS: 0xf5,
  CHANGE_FILE_SETTINGS: 0x5f,
  CHANGE_KEY: 0xc4,
  READ_DATA: 0xbd,
  WRITE_DATA: 0x3d,
} as const;

export const STATUS = {
  OK: 0x00,
  ILLEGAL_COMMAND: 0x1c,
  INTEGRITY_ERROR: 0x1e,
  NO_SUCH_KEY: 0x40,
  LENGTH_ERROR: 0x7e,
  PERMISSION_DENIED: 0x9d,
  PARAMETER_ERROR: 0x9e,
  APPLICATION_NOT_FOUND: 0xa0,
  AUTHENTICATION_ERROR: 0xae,
  ADDITIONAL_FRAME: 0xaf,
  BOUNDARY_ERROR: 0xbe,
  DUPLICATE_ERROR: 0xde,
  FILE_NOT_FOUND: 0xf0,
} as const;

const CLA = 0x90;
const SW1 = 0x91;

export function commandApdu(ins: number, data: Uint8Array = new Uint8Array()): Uint8Array {
  if (data.length > 255) throw new RangeError('a short APDU carries at most 255 data bytes');
  return data.length === 0
    ? Uint8Array.of(CLA, ins, 0x00, 0x00, 0x00)
    : concat([CLA, ins, 0x00, 0x00, data.length], data, [0x00]);
}

/** Parses a command APDU (card side); undefined when it is not a well-formed DESFire wrapped one. */
export function parseCommandApdu(apdu: Uint8Array): { ins: number; data: Uint8Array } | undefined {
  if (apdu.length < 5 || apdu[0] !== CLA || apdu[2] !== 0 || apdu[3] !== 0) return undefined;
  if (apdu.length === 5) return apdu[4] === 0 ? { ins: apdu[1]!, data: new Uint8Array() } : undefined;
  const lc = apdu[4]!;
  if (lc === 0 || apdu.length !== 5 + lc + 1 || apdu[5 + lc] !== 0) return undefined;
  return { ins: apdu[1]!, data: apdu.slice(5, 5 + lc) };
}

export function responseApdu(status: number, data: Uint8Array = new Uint8Array()): Uint8Array {
  return concat(data, [SW1, status]);
}

/** Splits a response APDU (reader side). */
export function parseResponseApdu(apdu: Uint8Array): { status: number; data: Uint8Array } {
  if (apdu.length < 2 || apdu[apdu.length - 2] !== SW1)
    throw new CardError('bad_response', 'the card response is not a DESFire status word');
  return { status: apdu[apdu.length - 1]!, data: apdu.slice(0, apdu.length - 2) };
}
