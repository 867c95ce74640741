// A simulated DESFire-like smart card, for tests and the demo. It answers the same ISO 7816-4
// wrapped native commands a real DESFire EV2 card does (the subset Monban uses), through
// `transceive`, so the reader code in src/cards cannot tell it from a real card behind a PC/SC reader.
//
// What it models, and why:
// - A UID that anyone can read (ISO 14443 anticollision) and that is NOT the credential.
// - Factory state: no applications, card-level (PICC) key 0 = the transport key (all zero unless
//   given), so an enrollment station can create the Monban application.
// - Applications with AES keys (all zero when created) and standard data files whose access rights
//   and communication mode are enforced: the credential file is readable only after
//   AuthenticateEV2First with its key, and only in full secure messaging.
// - A fresh RndB and TI for every authentication, so a recorded exchange cannot be replayed; EV2
//   secure messaging with the command counter, so a recorded command cannot be replayed either; any
//   error ends the session, as on a real card.

import { randomBytes } from 'node:crypto';
import { INS, parseCommandApdu, responseApdu, STATUS } from '../cards/apdu.ts';
import { concat, constantTimeEqual, readLe24, rotateLeft } from '../cards/bytes.ts';
import type { CardLink } from '../cards/card-link.ts';
import {
  ACCESS_FREE,
  type AccessRights,
  decodeAccessRights,
  decodeCommMode,
  encodeAccessRights,
  encodeCommMode,
  type FileCommMode,
} from '../cards/file-settings.ts';
import { authDecrypt, authEncrypt, deriveSession } from '../cards/mutual-auth.ts';
import {
  commandMac,
  decryptData,
  type Ev2Session,
  encryptData,
  MAC_LENGTH,
  responseMac,
} from '../cards/secure-messaging.ts';

export interface SimulatedCardOptions {
  /** 7-byte UID; random (NXP-style, first byte 0x04) when not given */
  uid?: Uint8Array;
  /** card-level transport key in factory state; all zero when not given */
  transportKey?: Uint8Array;
  /** randomness for RndB and TI; node:crypto when not given */
  random?: (n: number) => Uint8Array;
}

interface SimKey {
  value: Uint8Array;
  version: number;
}

interface SimFile {
  commMode: FileCommMode;
  rights: AccessRights;
  data: Uint8Array;
}

interface SimApplication {
  keys: SimKey[];
  files: Map<number, SimFile>;
}

/** What a command handler answers; the secure-messaging wrapper adds encryption and the MAC. */
interface Answer {
  status: number;
  data?: Uint8Array;
  /** encrypt the response data (a file in full mode) */
  encrypt?: boolean;
  /** the authenticated key was changed: answer without MAC and end the session */
  endSession?: boolean;
}

const MAX_FILE_SIZE = 1024;
const fail = (status: number): Answer => ({ status });

function aidKey(aid: Uint8Array): string {
  return Array.from(aid, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class SimulatedCard implements CardLink {
  readonly uid: Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  private readonly piccKeys: SimKey[];
  private readonly applications = new Map<string, SimApplication>();
  /** undefined = the card level (PICC) is selected */
  private selected: SimApplication | undefined;
  private pendingAuth: { keyNo: number; key: Uint8Array; rndB: Uint8Array } | undefined;
  private session: Ev2Session | undefined;

  constructor(options: SimulatedCardOptions = {}) {
    this.random = options.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.uid = (options.uid ?? concat([0x04], this.random(6))).slice();
    if (this.uid.length !== 7 && this.uid.length !== 4)
      throw new RangeError('a simulated card UID is 4 or 7 bytes');
    const transportKey = options.transportKey ?? new Uint8Array(16);
    if (transportKey.length !== 16) throw new RangeError('the transport key is an AES-128 key of 16 bytes');
    this.piccKeys = [{ value: transportKey.slice(), version: 0 }];
  }

  /** True until an application has been created: the card can still be encoded. */
  get factoryState(): boolean {
    return this.applications.size === 0;
  }

  transceive(apdu: Uint8Array): Uint8Array {
    const command = parseCommandApdu(apdu);
    if (!command) return this.abort(STATUS.LENGTH_ERROR);
    const { ins, data } = command;
    // Only the second authentication frame may follow the first; anything else cancels it.
    if (ins !== INS.ADDITIONAL_FRAME) this.pendingAuth = undefined;
    switch (ins) {
      case INS.SELECT_APPLICATION:
        return this.selectApplication(data);
      case INS.AUTHENTICATE_EV2_FIRST:
        return this.authenticateFirst(data);
      case INS.ADDITIONAL_FRAME:
        return this.authenticateSecond(data);
      case INS.CREATE_APPLICATION:
      case INS.CREATE_STD_DATA_FILE:
      case INS.GET_FILE_SETTINGS:
      case INS.CHANGE_KEY:
      case INS.WRITE_DATA:
      case INS.READ_DATA:
        return this.secured(ins, data);
      default:
        return this.abort(STATUS.ILLEGAL_COMMAND);
    }
  }

  /** Ends any authentication and answers with an error status, as a real card does. */
  private abort(status: number): Uint8Array {
    this.session = undefined;
    this.pendingAuth = undefined;
    return responseApdu(status);
  }

  private currentKeys(): SimKey[] {
    return this.selected ? this.selected.keys : this.piccKeys;
  }

  private selectApplication(data: Uint8Array): Uint8Array {
    if (data.length !== 3) return this.abort(STATUS.LENGTH_ERROR);
    this.session = undefined;
    if (data.every((b) => b === 0)) {
      this.selected = undefined;
      return responseApdu(STATUS.OK);
    }
    const app = this.applications.get(aidKey(data));
    if (!app) return this.abort(STATUS.APPLICATION_NOT_FOUND);
    this.selected = app;
    return responseApdu(STATUS.OK);
  }

  private authenticateFirst(data: Uint8Array): Uint8Array {
    this.session = undefined;
    if (data.length < 2) return this.abort(STATUS.LENGTH_ERROR);
    const keyNo = data[0]!;
    const key = this.currentKeys()[keyNo];
    if (!key) return this.abort(STATUS.NO_SUCH_KEY);
    // A fresh RndB for every attempt: a recorded exchange is worthless the next time.
    const rndB = this.random(16).slice();
    this.pendingAuth = { keyNo, key: key.value, rndB };
    return responseApdu(STATUS.ADDITIONAL_FRAME, authEncrypt(key.value, rndB));
  }

  private authenticateSecond(data: Uint8Array): Uint8Array {
    const pending = this.pendingAuth;
    this.pendingAuth = undefined;
    if (!pending || data.length !== 32) return this.abort(STATUS.AUTHENTICATION_ERROR);
    const plain = authDecrypt(pending.key, data);
    if (!constantTimeEqual(plain.subarray(16), rotateLeft(pending.rndB)))
      return this.abort(STATUS.AUTHENTICATION_ERROR);
    const rndA = plain.slice(0, 16);
    const ti = this.random(4).slice();
    this.session = deriveSession(pending.key, pending.keyNo, rndA, pending.rndB, ti);
    // TI ‖ RndA⟲1 ‖ PDcap2 ‖ PCDcap2; the capabilities are not modelled and sent as zeros.
    return responseApdu(
      STATUS.OK,
      authEncrypt(pending.key, concat(ti, rotateLeft(rndA), new Uint8Array(12))),
    );
  }

  /**
   * Commands that run under secure messaging once authenticated: the MAC is checked over
   * Cmd ‖ CmdCtr ‖ TI ‖ body, the counter advanced, and the answer MAC'd (and encrypted if asked).
   * Without a session they run in plain, and only where the access rights are free.
   */
  private secured(ins: number, data: Uint8Array): Uint8Array {
    const session = this.session;
    let body = data;
    if (session) {
      if (data.length < MAC_LENGTH) return this.abort(STATUS.LENGTH_ERROR);
      body = data.subarray(0, data.length - MAC_LENGTH);
      if (!constantTimeEqual(commandMac(session, ins, session.cmdCtr, body), data.subarray(body.length)))
        return this.abort(STATUS.INTEGRITY_ERROR);
    }
    const answer = this.dispatch(ins, body, session);
    if (answer.status !== STATUS.OK) return this.abort(answer.status);
    if (!session) return responseApdu(STATUS.OK, answer.data);
    session.cmdCtr = (session.cmdCtr + 1) & 0xffff;
    if (answer.endSession) {
      this.session = undefined;
      return responseApdu(STATUS.OK);
    }
    const plain = answer.data ?? new Uint8Array();
    const out =
      answer.encrypt && plain.length > 0 ? encryptData(session, 'response', session.cmdCtr, plain) : plain;
    return responseApdu(STATUS.OK, concat(out, responseMac(session, STATUS.OK, session.cmdCtr, out)));
  }

  private dispatch(ins: number, body: Uint8Array, session: Ev2Session | undefined): Answer {
    switch (ins) {
      case INS.CREATE_APPLICATION:
        return this.createApplication(body, session);
      case INS.CREATE_STD_DATA_FILE:
        return this.createFile(body, session);
      case INS.GET_FILE_SETTINGS:
        return this.fileSettings(body);
      case INS.CHANGE_KEY:
        return this.changeKey(body, session);
      case INS.WRITE_DATA:
        return this.writeData(body, session);
      case INS.READ_DATA:
        return this.readData(body, session);
      default:
        return fail(STATUS.ILLEGAL_COMMAND);
    }
  }

  /** Management needs key 0 (the PICC or application master key) of what is selected. */
  private isMaster(session: Ev2Session | undefined): boolean {
    return session !== undefined && session.keyNo === 0;
  }

  private createApplication(body: Uint8Array, session: Ev2Session | undefined): Answer {
    if (this.selected) return fail(STATUS.PERMISSION_DENIED);
    if (!this.isMaster(session)) return fail(STATUS.PERMISSION_DENIED);
    if (body.length !== 5) return fail(STATUS.LENGTH_ERROR);
    const aid = body.subarray(0, 3);
    const keyCount = body[4]! & 0x0f;
    // Only AES applications (flag 0x80) with 1..14 keys are modelled.
    if ((body[4]! & 0xc0) !== 0x80 || keyCount < 1 || keyCount > 14 || aid.every((b) => b === 0))
      return fail(STATUS.PARAMETER_ERROR);
    if (this.applications.has(aidKey(aid))) return fail(STATUS.DUPLICATE_ERROR);
    this.applications.set(aidKey(aid), {
      keys: Array.from({ length: keyCount }, () => ({ value: new Uint8Array(16), version: 0 })),
      files: new Map(),
    });
    return { status: STATUS.OK };
  }

  private createFile(body: Uint8Array, session: Ev2Session | undefined): Answer {
    const app = this.selected;
    if (!app || !this.isMaster(session)) return fail(STATUS.PERMISSION_DENIED);
    if (body.length !== 7) return fail(STATUS.LENGTH_ERROR);
    const fileNo = body[0]!;
    const commMode = decodeCommMode(body[1]!);
    const size = readLe24(body, 4);
    if (fileNo > 31 || !commMode || size < 1 || size > MAX_FILE_SIZE) return fail(STATUS.PARAMETER_ERROR);
    if (app.files.has(fileNo)) return fail(STATUS.DUPLICATE_ERROR);
    app.files.set(fileNo, {
      commMode,
      rights: decodeAccessRights(body.subarray(2, 4)),
      data: new Uint8Array(size),
    });
    return { status: STATUS.OK };
  }

  private fileSettings(body: Uint8Array): Answer {
    const file = this.selected?.files.get(body[0] ?? -1);
    if (body.length !== 1) return fail(STATUS.LENGTH_ERROR);
    if (!file) return fail(STATUS.FILE_NOT_FOUND);
    const size = file.data.length;
    return {
      status: STATUS.OK,
      data: concat([0x00, encodeCommMode(file.commMode)], encodeAccessRights(file.rights), [
        size & 0xff,
        (size >>> 8) & 0xff,
        (size >>> 16) & 0xff,
      ]),
    };
  }

  /** Only the "same key" case: the authenticated key replaces itself, and the session ends. */
  private changeKey(body: Uint8Array, session: Ev2Session | undefined): Answer {
    if (!session) return fail(STATUS.PERMISSION_DENIED);
    const keyNo = body[0];
    if (keyNo !== session.keyNo) return fail(STATUS.PERMISSION_DENIED);
    const plain = decryptData(session, 'command', session.cmdCtr, body.subarray(1));
    if (!plain) return fail(STATUS.INTEGRITY_ERROR);
    if (plain.length !== 17) return fail(STATUS.LENGTH_ERROR);
    const key = this.currentKeys()[keyNo];
    if (!key) return fail(STATUS.NO_SUCH_KEY);
    key.value = plain.slice(0, 16);
    key.version = plain[16]!;
    return { status: STATUS.OK, endSession: true };
  }

  /**
   * May this access go ahead? With a session, the authenticated key must be one of the rights; without
   * one (or with another key), one of the rights must be free.
   */
  private access(rights: number[], session: Ev2Session | undefined): boolean {
    if (session && rights.includes(session.keyNo)) return true;
    return rights.includes(ACCESS_FREE);
  }

  private fileRange(body: Uint8Array): { file: SimFile; offset: number; length: number } | Answer {
    if (body.length < 7) return fail(STATUS.LENGTH_ERROR);
    const file = this.selected?.files.get(body[0]!);
    if (!file) return fail(STATUS.FILE_NOT_FOUND);
    const offset = readLe24(body, 1);
    // Length 0 means "to the end of the file".
    const length = readLe24(body, 4) || file.data.length - offset;
    if (offset + length > file.data.length || length <= 0) return fail(STATUS.BOUNDARY_ERROR);
    return { file, offset, length };
  }

  private writeData(body: Uint8Array, session: Ev2Session | undefined): Answer {
    const range = this.fileRange(body);
    if ('status' in range) return range;
    const { file, offset, length } = range;
    if (!this.access([file.rights.write, file.rights.readWrite], session))
      return fail(STATUS.PERMISSION_DENIED);
    let payload: Uint8Array | undefined = body.subarray(7);
    if (session && file.commMode === 'full')
      payload = decryptData(session, 'command', session.cmdCtr, payload);
    if (!payload) return fail(STATUS.INTEGRITY_ERROR);
    if (payload.length !== length) return fail(STATUS.LENGTH_ERROR);
    file.data.set(payload, offset);
    return { status: STATUS.OK };
  }

  private readData(body: Uint8Array, session: Ev2Session | undefined): Answer {
    if (body.length !== 7) return fail(STATUS.LENGTH_ERROR);
    const range = this.fileRange(body);
    if ('status' in range) return range;
    const { file, offset, length } = range;
    if (!this.access([file.rights.read, file.rights.readWrite], session))
      return fail(STATUS.PERMISSION_DENIED);
    return {
      status: STATUS.OK,
      data: file.data.slice(offset, offset + length),
      encrypt: file.commMode === 'full',
    };
  }
}
