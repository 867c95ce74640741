// A simulated DESFire-like smart card: one application with key 0 and a credential file that can be
// read or written only after mutual AES authentication with that key, in full secure mode. Its UID
// is answered to anyone (as in ISO 14443 anticollision) and is not the credential. Factory-fresh, key
// 0 is the all-zero transport key, to be replaced when the card is encoded.

import { randomBytes } from 'node:crypto';
import { rotateLeft } from '../cards/aes.ts';
import { constantTimeEqual } from '../cards/bytes.ts';
import type { CardLink } from '../cards/card-link.ts';
import {
  authDecrypt,
  authEncrypt,
  commandMac,
  decryptCommandData,
  deriveEv2Session,
  type Ev2Session,
  encryptResponseData,
  INS,
  responseMac,
  STATUS,
} from '../cards/ev2.ts';

export const CREDENTIAL_FILE_NO = 0x01;

export class SimulatedCard implements CardLink {
  readonly uid: Uint8Array;
  private key: Uint8Array;
  private readonly file = new Uint8Array(32);
  private pendingAuth: { rndB: Uint8Array } | undefined;
  private session: Ev2Session | undefined;

  constructor(options: { uid?: Uint8Array; key?: Uint8Array; random?: (n: number) => Uint8Array } = {}) {
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.uid = options.uid ?? Uint8Array.from([0x04, ...this.random(6)]);
    this.key = options.key?.slice() ?? new Uint8Array(16);
  }

  private readonly random: (n: number) => Uint8Array;

  transceive(command: Uint8Array): Uint8Array {
    const ins = command[0];
    const data = command.subarray(1);
    switch (ins) {
      case INS.AUTH_EV2_FIRST:
        return this.authFirst(data);
      case INS.ADDITIONAL_FRAME:
        return this.authSecond(data);
      case INS.READ_DATA:
        return this.readData(data);
      case INS.WRITE_DATA:
        return this.writeData(data);
      case INS.CHANGE_KEY:
        return this.changeKey(data);
      default:
        this.session = undefined;
        return Uint8Array.of(STATUS.PERMISSION_DENIED);
    }
  }

  private authFirst(data: Uint8Array): Uint8Array {
    this.session = undefined;
    if (data[0] !== 0) return Uint8Array.of(STATUS.AUTHENTICATION_ERROR);
    // A fresh RndB every time: a recorded exchange cannot be replayed.
    const rndB = this.random(16);
    this.pendingAuth = { rndB };
    return Uint8Array.from([STATUS.ADDITIONAL_FRAME, ...authEncrypt(this.key, rndB)]);
  }

  private authSecond(data: Uint8Array): Uint8Array {
    const pending = this.pendingAuth;
    this.pendingAuth = undefined;
    if (!pending || data.length !== 32) return Uint8Array.of(STATUS.AUTHENTICATION_ERROR);
    const plain = authDecrypt(this.key, data);
    const rndA = plain.slice(0, 16);
    if (!constantTimeEqual(plain.subarray(16), rotateLeft(pending.rndB)))
      return Uint8Array.of(STATUS.AUTHENTICATION_ERROR);
    const ti = this.random(4);
    this.session = deriveEv2Session(this.key, rndA, pending.rndB, ti);
    return Uint8Array.from([
      STATUS.OK,
      ...authEncrypt(this.key, Uint8Array.from([...ti, ...rotateLeft(rndA), ...new Uint8Array(12)])),
    ]);
  }

  /** Checks the command MAC over Cmd ‖ CmdCtr ‖ TI ‖ body; on success advances the counter. */
  private verify(ins: number, body: Uint8Array): Ev2Session | undefined {
    const session = this.session;
    if (!session || body.length < 8) return undefined;
    const mac = commandMac(session, ins, session.cmdCtr, body.subarray(0, body.length - 8));
    if (!constantTimeEqual(mac, body.subarray(body.length - 8))) {
      this.session = undefined;
      return undefined;
    }
    session.cmdCtr++;
    return session;
  }

  private readData(data: Uint8Array): Uint8Array {
    const session = this.verify(INS.READ_DATA, data);
    if (!session) return Uint8Array.of(this.session ? STATUS.INTEGRITY_ERROR : STATUS.PERMISSION_DENIED);
    if (data[0] !== CREDENTIAL_FILE_NO) return Uint8Array.of(STATUS.BOUNDARY_ERROR);
    const cipher = encryptResponseData(session, session.cmdCtr, this.file);
    return Uint8Array.from([
      STATUS.OK,
      ...cipher,
      ...responseMac(session, STATUS.OK, session.cmdCtr, cipher),
    ]);
  }

  private writeData(data: Uint8Array): Uint8Array {
    const counter = this.session?.cmdCtr ?? 0;
    const session = this.verify(INS.WRITE_DATA, data);
    if (!session) return Uint8Array.of(STATUS.PERMISSION_DENIED);
    const plain = decryptCommandData(session, counter, data.subarray(7, data.length - 8));
    if (data[0] !== CREDENTIAL_FILE_NO || !plain || plain.length > this.file.length)
      return Uint8Array.of(STATUS.LENGTH_ERROR);
    this.file.fill(0);
    this.file.set(plain);
    return Uint8Array.from([STATUS.OK, ...responseMac(session, STATUS.OK, session.cmdCtr, new Uint8Array())]);
  }

  private changeKey(data: Uint8Array): Uint8Array {
    const counter = this.session?.cmdCtr ?? 0;
    const session = this.verify(INS.CHANGE_KEY, data);
    if (!session) return Uint8Array.of(STATUS.PERMISSION_DENIED);
    const plain = decryptCommandData(session, counter, data.subarray(1, data.length - 8));
    if (data[0] !== 0 || !plain || plain.length !== 17) return Uint8Array.of(STATUS.LENGTH_ERROR);
    this.key = plain.slice(0, 16);
    // Changing the key that authenticated the session ends the session.
    this.session = undefined;
    return Uint8Array.of(STATUS.OK);
  }
}
