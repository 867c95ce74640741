// EV2 secure messaging (NXP AN12196, osdp.md §8.2 step 5): after AuthenticateEV2First every command
// and response carries a MAC bound to the transaction id (TI) and a command counter, and in "full"
// mode the data is also encrypted. Both ends compute the same values, so the reader side here and the
// simulated card (src/sim/card.ts) share these functions.

import { BLOCK, cbcDecrypt, cbcEncrypt, ecbEncrypt } from './aes.ts';
import { commandApdu, parseResponseApdu, STATUS } from './apdu.ts';
import { concat, constantTimeEqual, le16 } from './bytes.ts';
import { CardError, type CardLink } from './card-link.ts';
import { cmac } from './cmac.ts';
import { type CardExchange, runExchange } from './exchange.ts';

export interface Ev2Session {
  /** transaction identifier chosen by the card: binds every MAC to this session */
  readonly ti: Uint8Array;
  readonly encKey: Uint8Array;
  readonly macKey: Uint8Array;
  /** the key number that authenticated, for the card's access-right checks */
  readonly keyNo: number;
  /** commands are MAC'd with CmdCtr, their responses with CmdCtr + 1; then it advances */
  cmdCtr: number;
  /** false once the card has aborted the session (error status, key change) */
  open: boolean;
}

/** How a command's data travels: MAC'd only, or encrypted and MAC'd. */
export type CommMode = 'mac' | 'full';

export const MAC_LENGTH = 8;

/** IV for data encryption: E(SesAuthENCKey, A5 5A|5A A5 ‖ TI ‖ CmdCtr ‖ 00*8). */
export function messageIv(
  session: Ev2Session,
  direction: 'command' | 'response',
  cmdCtr: number,
): Uint8Array {
  const block = new Uint8Array(BLOCK);
  block.set(direction === 'command' ? [0xa5, 0x5a] : [0x5a, 0xa5]);
  block.set(session.ti, 2);
  block.set(le16(cmdCtr), 6);
  return ecbEncrypt(session.encKey, block);
}

/** CMAC truncated to 8 bytes by keeping the odd-index bytes 1, 3, … 15 (AN12196). */
export function truncatedMac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const full = cmac(key, message);
  return Uint8Array.from({ length: MAC_LENGTH }, (_, i) => full[2 * i + 1]!);
}

/** MAC of a command: Cmd ‖ CmdCtr ‖ TI ‖ CmdHeader ‖ CmdData (CmdData encrypted in full mode). */
export function commandMac(session: Ev2Session, ins: number, cmdCtr: number, body: Uint8Array): Uint8Array {
  return truncatedMac(session.macKey, concat([ins], le16(cmdCtr), session.ti, body));
}

/** MAC of a response: RC ‖ CmdCtr ‖ TI ‖ RespData, with the counter already advanced. */
export function responseMac(
  session: Ev2Session,
  status: number,
  cmdCtr: number,
  data: Uint8Array,
): Uint8Array {
  return truncatedMac(session.macKey, concat([status], le16(cmdCtr), session.ti, data));
}

/** ISO/IEC 9797-1 method 2: 0x80 then zeros, always at least one byte (a full block if aligned). */
export function padIso(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((Math.floor(data.length / BLOCK) + 1) * BLOCK);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** Removes method-2 padding; undefined when the padding is malformed (tampering, wrong key). */
export function unpadIso(data: Uint8Array): Uint8Array | undefined {
  let end = data.length - 1;
  while (end >= 0 && data[end] === 0) end--;
  if (end < 0 || data[end] !== 0x80 || data.length - end > BLOCK) return undefined;
  return data.slice(0, end);
}

export function encryptData(
  session: Ev2Session,
  direction: 'command' | 'response',
  cmdCtr: number,
  plain: Uint8Array,
): Uint8Array {
  return cbcEncrypt(session.encKey, messageIv(session, direction, cmdCtr), padIso(plain));
}

export function decryptData(
  session: Ev2Session,
  direction: 'command' | 'response',
  cmdCtr: number,
  cipher: Uint8Array,
): Uint8Array | undefined {
  if (cipher.length === 0 || cipher.length % BLOCK !== 0) return undefined;
  return unpadIso(cbcDecrypt(session.encKey, messageIv(session, direction, cmdCtr), cipher));
}

export interface SecureCommand {
  ins: number;
  /** sent in clear but covered by the MAC (file number, offset, key number, …) */
  header?: Uint8Array;
  data?: Uint8Array;
  /** how the command data travels */
  mode: CommMode;
  /** whether the response data is encrypted ('full') or plain and MAC'd ('mac') */
  responseMode: CommMode;
  /** ChangeKey on the authenticated key: the card ends the session and sends no response MAC */
  endsSession?: boolean;
}

/** Builds the APDU of a secure command at the session's current counter (exported for vectors). */
export function secureCommandApdu(session: Ev2Session, command: SecureCommand): Uint8Array {
  const header = command.header ?? new Uint8Array();
  const plain = command.data ?? new Uint8Array();
  const data =
    command.mode === 'full' && plain.length > 0
      ? encryptData(session, 'command', session.cmdCtr, plain)
      : plain;
  const body = concat(header, data);
  return commandApdu(command.ins, concat(body, commandMac(session, command.ins, session.cmdCtr, body)));
}

/**
 * Reader side of one secure command/response pair: sends the MAC'd (and maybe encrypted) command,
 * checks the response MAC, advances the counter and returns the plain response data. Any failure
 * closes the session, as the card does: a caller must authenticate again.
 */
export function sendSecure(link: CardLink, session: Ev2Session, command: SecureCommand): Uint8Array {
  return runExchange(link, sendSecureExchange(session, command));
}

/** The same step, for any transport (exchange.ts). */
export function* sendSecureExchange(session: Ev2Session, command: SecureCommand): CardExchange<Uint8Array> {
  if (!session.open)
    throw new CardError('authentication_failed', 'the card session is closed; authenticate again');
  const { status, data } = parseResponseApdu(yield secureCommandApdu(session, command));
  if (status !== STATUS.OK) {
    session.open = false;
    throw new CardError(
      'refused',
      `the card refused command ${hexByte(command.ins)} (status ${hexByte(status)})`,
      status,
    );
  }
  session.cmdCtr = (session.cmdCtr + 1) & 0xffff;
  if (command.endsSession) {
    session.open = false;
    if (data.length !== 0) throw new CardError('bad_response', 'unexpected data after a key change');
    return data;
  }
  if (data.length < MAC_LENGTH) {
    session.open = false;
    throw new CardError('bad_response', 'the card response is too short to carry a MAC');
  }
  const body = data.subarray(0, data.length - MAC_LENGTH);
  if (!constantTimeEqual(responseMac(session, status, session.cmdCtr, body), data.subarray(body.length))) {
    session.open = false;
    throw new CardError('integrity_error', 'the card response failed its MAC check');
  }
  if (command.responseMode === 'mac' || body.length === 0) return body.slice();
  const plain = decryptData(session, 'response', session.cmdCtr, body);
  if (plain === undefined) {
    session.open = false;
    throw new CardError('integrity_error', 'the card response did not decrypt to valid padding');
  }
  return plain;
}

function hexByte(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}
