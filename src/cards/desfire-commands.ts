// Reader-side DESFire commands used by Monban: select and create the application, create, write
// and read the credential file, change a key. After authentication every command goes through EV2
// secure messaging (secure-messaging.ts); SelectApplication is the only plain one.

import { commandApdu, INS, parseResponseApdu, STATUS } from './apdu.ts';
import { concat, le24, readLe24 } from './bytes.ts';
import { CardError, type CardLink } from './card-link.ts';
import { type CardExchange, runExchange } from './exchange.ts';
import {
  type AccessRights,
  decodeAccessRights,
  decodeCommMode,
  encodeAccessRights,
  encodeCommMode,
  type FileCommMode,
} from './file-settings.ts';
import { type CommMode, type Ev2Session, sendSecure, sendSecureExchange } from './secure-messaging.ts';

/** The PICC (card) level: where applications are created, guarded by the card master key. */
export const PICC_AID = Uint8Array.of(0x00, 0x00, 0x00);

/** Selecting an application also drops any authentication, as on a real card. */
export function selectApplication(link: CardLink, aid: Uint8Array): void {
  runExchange(link, selectApplicationExchange(aid));
}

export function* selectApplicationExchange(aid: Uint8Array): CardExchange<void> {
  if (aid.length !== 3) throw new RangeError('a DESFire application id is 3 bytes');
  const { status } = parseResponseApdu(yield commandApdu(INS.SELECT_APPLICATION, aid));
  if (status !== STATUS.OK)
    throw new CardError(
      'refused',
      `the card has no such application (status 0x${status.toString(16)})`,
      status,
    );
}

/** CreateApplication for AES keys (0x80 flag in the key count byte), sent MAC'd at PICC level. */
export function createApplication(
  link: CardLink,
  session: Ev2Session,
  aid: Uint8Array,
  keyCount: number,
  keySettings = 0x0b,
): void {
  if (keyCount < 1 || keyCount > 14) throw new RangeError('an application has 1 to 14 keys');
  sendSecure(link, session, {
    ins: INS.CREATE_APPLICATION,
    header: concat(aid, [keySettings, 0x80 | keyCount]),
    mode: 'mac',
    responseMode: 'mac',
  });
}

export interface StdFileSpec {
  fileNo: number;
  commMode: FileCommMode;
  rights: AccessRights;
  size: number;
}

export function createStdDataFile(link: CardLink, session: Ev2Session, spec: StdFileSpec): void {
  if (spec.size < 1 || spec.size > 0xffffff) throw new RangeError('file size out of range');
  sendSecure(link, session, {
    ins: INS.CREATE_STD_DATA_FILE,
    header: concat(
      [spec.fileNo, encodeCommMode(spec.commMode)],
      encodeAccessRights(spec.rights),
      le24(spec.size),
    ),
    mode: 'mac',
    responseMode: 'mac',
  });
}

export function getFileSettings(link: CardLink, session: Ev2Session, fileNo: number): StdFileSpec {
  const data = sendSecure(link, session, {
    ins: INS.GET_FILE_SETTINGS,
    header: Uint8Array.of(fileNo),
    mode: 'mac',
    responseMode: 'mac',
  });
  // Standard data file: type 00 ‖ option ‖ rights(2) ‖ size(3).
  const commMode = decodeCommMode(data[1] ?? 0xff);
  if (data.length !== 7 || data[0] !== 0x00 || !commMode)
    throw new CardError('bad_response', 'unexpected file settings layout');
  return { fileNo, commMode, rights: decodeAccessRights(data.subarray(2, 4)), size: readLe24(data, 4) };
}

/**
 * ChangeKey for the key that authenticated the session (the AN12196 "same key" case): the data is
 * NewKey ‖ KeyVersion, encrypted; the card answers without a MAC and ends the session.
 */
export function changeAuthenticatedKey(
  link: CardLink,
  session: Ev2Session,
  newKey: Uint8Array,
  keyVersion: number,
): void {
  if (newKey.length !== 16) throw new RangeError('an AES-128 key is 16 bytes');
  sendSecure(link, session, {
    ins: INS.CHANGE_KEY,
    header: Uint8Array.of(session.keyNo),
    data: concat(newKey, [keyVersion & 0xff]),
    mode: 'full',
    responseMode: 'mac',
    endsSession: true,
  });
}

export function writeData(
  link: CardLink,
  session: Ev2Session,
  fileNo: number,
  data: Uint8Array,
  mode: CommMode = 'full',
): void {
  sendSecure(link, session, {
    ins: INS.WRITE_DATA,
    header: concat([fileNo], le24(0), le24(data.length)),
    data,
    mode,
    responseMode: 'mac',
  });
}

export function readData(
  link: CardLink,
  session: Ev2Session,
  fileNo: number,
  length: number,
  mode: CommMode = 'full',
): Uint8Array {
  return runExchange(link, readDataExchange(session, fileNo, length, mode));
}

export function* readDataExchange(
  session: Ev2Session,
  fileNo: number,
  length: number,
  mode: CommMode = 'full',
): CardExchange<Uint8Array> {
  const data = yield* sendSecureExchange(session, {
    ins: INS.READ_DATA,
    header: concat([fileNo], le24(0), le24(length)),
    mode: 'mac',
    responseMode: mode,
  });
  if (data.length !== length)
    throw new CardError('bad_response', 'the card returned the wrong number of bytes');
  return data;
}
