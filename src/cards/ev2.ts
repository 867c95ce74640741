// DESFire EV2 style mutual authentication (AuthenticateEV2First, AES-128) and secure messaging, as
// documented publicly in NXP AN12196 (osdp.md §8.2). Shared by the reader side (cards/reader.ts) and
// the simulated card (sim/card.ts): both ends must compute the same values.

import { cbcDecrypt, cbcEncrypt, cmac, ecbEncrypt, padIso, rotateLeft, unpadIso } from './aes.ts';

export const INS = {
  AUTH_EV2_FIRST: 0x71,
  ADDITIONAL_FRAME: 0xaf,
  READ_DATA: 0xbd,
  WRITE_DATA: 0x3d,
  CHANGE_KEY: 0xc4,
} as const;

export const STATUS = {
  OK: 0x00,
  ADDITIONAL_FRAME: 0xaf,
  AUTHENTICATION_ERROR: 0xae,
  PERMISSION_DENIED: 0x9d,
  INTEGRITY_ERROR: 0x1e,
  LENGTH_ERROR: 0x7e,
  BOUNDARY_ERROR: 0xbe,
} as const;

export interface Ev2Session {
  ti: Uint8Array;
  encKey: Uint8Array;
  macKey: Uint8Array;
  /** command counter: commands are MAC'd with it, responses with it + 1 */
  cmdCtr: number;
}

const ZERO_IV = new Uint8Array(16);

/** SV1/SV2 of AN12196 §5.4: both parties' randoms mixed into the session-key derivation. */
function sessionVector(prefix: [number, number], rndA: Uint8Array, rndB: Uint8Array): Uint8Array {
  const sv = new Uint8Array(32);
  sv.set([prefix[0], prefix[1], 0x00, 0x01, 0x00, 0x80]);
  sv.set(rndA.subarray(0, 2), 6);
  for (let i = 0; i < 6; i++) sv[8 + i] = rndA[2 + i]! ^ rndB[i]!;
  sv.set(rndB.subarray(6, 16), 14);
  sv.set(rndA.subarray(8, 16), 24);
  return sv;
}

export function deriveEv2Session(
  key: Uint8Array,
  rndA: Uint8Array,
  rndB: Uint8Array,
  ti: Uint8Array,
): Ev2Session {
  return {
    ti: ti.slice(),
    encKey: cmac(key, sessionVector([0xa5, 0x5a], rndA, rndB)),
    macKey: cmac(key, sessionVector([0x5a, 0xa5], rndA, rndB)),
    cmdCtr: 0,
  };
}

export const authEncrypt = (key: Uint8Array, data: Uint8Array) => cbcEncrypt(key, ZERO_IV, data);
export const authDecrypt = (key: Uint8Array, data: Uint8Array) => cbcDecrypt(key, ZERO_IV, data);
export { rotateLeft };

function le16(n: number): [number, number] {
  return [n & 0xff, (n >>> 8) & 0xff];
}

/** IV for command (A5 5A) or response (5A A5) data encryption. */
export function messageIv(
  session: Ev2Session,
  direction: 'command' | 'response',
  cmdCtr: number,
): Uint8Array {
  const block = new Uint8Array(16);
  block.set(direction === 'command' ? [0xa5, 0x5a] : [0x5a, 0xa5]);
  block.set(session.ti, 2);
  block.set(le16(cmdCtr), 6);
  return ecbEncrypt(session.encKey, block);
}

/** CMAC truncated to 8 bytes by keeping the odd-index bytes (AN12196). */
export function truncatedMac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const full = cmac(key, message);
  return Uint8Array.from({ length: 8 }, (_, i) => full[2 * i + 1]!);
}

/** MAC of a command: Cmd ‖ CmdCtr ‖ TI ‖ header ‖ data. */
export function commandMac(
  session: Ev2Session,
  ins: number,
  cmdCtr: number,
  headerAndData: Uint8Array,
): Uint8Array {
  return truncatedMac(
    session.macKey,
    Uint8Array.from([ins, ...le16(cmdCtr), ...session.ti, ...headerAndData]),
  );
}

/** MAC of a response: status ‖ CmdCtr ‖ TI ‖ data (CmdCtr already incremented). */
export function responseMac(
  session: Ev2Session,
  status: number,
  cmdCtr: number,
  data: Uint8Array,
): Uint8Array {
  return truncatedMac(session.macKey, Uint8Array.from([status, ...le16(cmdCtr), ...session.ti, ...data]));
}

export function encryptCommandData(session: Ev2Session, cmdCtr: number, plain: Uint8Array): Uint8Array {
  return cbcEncrypt(session.encKey, messageIv(session, 'command', cmdCtr), padIso(plain));
}

export function decryptCommandData(
  session: Ev2Session,
  cmdCtr: number,
  cipher: Uint8Array,
): Uint8Array | undefined {
  if (cipher.length === 0 || cipher.length % 16 !== 0) return undefined;
  return unpadIso(cbcDecrypt(session.encKey, messageIv(session, 'command', cmdCtr), cipher));
}

export function encryptResponseData(session: Ev2Session, cmdCtr: number, plain: Uint8Array): Uint8Array {
  return cbcEncrypt(session.encKey, messageIv(session, 'response', cmdCtr), padIso(plain));
}

export function decryptResponseData(
  session: Ev2Session,
  cmdCtr: number,
  cipher: Uint8Array,
): Uint8Array | undefined {
  if (cipher.length === 0 || cipher.length % 16 !== 0) return undefined;
  return unpadIso(cbcDecrypt(session.encKey, messageIv(session, 'response', cmdCtr), cipher));
}
