// OSDP code points (osdp.md §4-5): command and reply codes, NAK reasons, PDCAP function codes and the
// small enumerations used inside payloads. Numbers only; the payload shapes live in commands.ts and
// replies.ts.

export const CMD = {
  POLL: 0x60,
  ID: 0x61,
  CAP: 0x62,
  DIAG: 0x63,
  LSTAT: 0x64,
  ISTAT: 0x65,
  OSTAT: 0x66,
  RSTAT: 0x67,
  OUT: 0x68,
  LED: 0x69,
  BUZ: 0x6a,
  TEXT: 0x6b,
  RMODE: 0x6c,
  TDSET: 0x6d,
  COMSET: 0x6e,
  BIOREAD: 0x73,
  BIOMATCH: 0x74,
  KEYSET: 0x75,
  CHLNG: 0x76,
  SCRYPT: 0x77,
  ACURXSIZE: 0x7b,
  FILETRANSFER: 0x7c,
  MFG: 0x80,
  XWR: 0xa1,
  ABORT: 0xa2,
  PIVDATA: 0xa3,
  GENAUTH: 0xa4,
  CRAUTH: 0xa5,
  KEEPACTIVE: 0xa7,
} as const;
export type CommandCode = (typeof CMD)[keyof typeof CMD];

export const REPLY = {
  ACK: 0x40,
  NAK: 0x41,
  PDID: 0x45,
  PDCAP: 0x46,
  LSTATR: 0x48,
  ISTATR: 0x49,
  OSTATR: 0x4a,
  RSTATR: 0x4b,
  RAW: 0x50,
  FMT: 0x51,
  KEYPAD: 0x53,
  COM: 0x54,
  BIOREADR: 0x57,
  BIOMATCHR: 0x58,
  CCRYPT: 0x76,
  RMAC_I: 0x78,
  BUSY: 0x79,
  FTSTAT: 0x7a,
  PIVDATAR: 0x80,
  GENAUTHR: 0x81,
  CRAUTHR: 0x82,
  MFGSTATR: 0x83,
  MFGERRR: 0x84,
  MFGREP: 0x90,
  XRD: 0xb1,
} as const;
export type ReplyCode = (typeof REPLY)[keyof typeof REPLY];

const COMMAND_CODES = new Set<number>(Object.values(CMD));
const REPLY_CODES = new Set<number>(Object.values(REPLY));
export const isCommandCode = (code: number): code is CommandCode => COMMAND_CODES.has(code);
export const isReplyCode = (code: number): code is ReplyCode => REPLY_CODES.has(code);

/** NAK error codes (IEC 60839-11-5 Table 47, via osdp.md §5). */
export const NAK = {
  NONE: 0x00,
  CHECK: 0x01,
  LENGTH: 0x02,
  UNKNOWN_COMMAND: 0x03,
  SEQUENCE: 0x04,
  SC_UNSUPPORTED: 0x05,
  SC_CONDITIONS: 0x06,
  BIO_TYPE: 0x07,
  BIO_FORMAT: 0x08,
  RECORD: 0x09,
} as const;

/** PDCAP function codes (osdp.md §5). */
export const CAP = {
  CONTACT_STATUS: 1,
  OUTPUT_CONTROL: 2,
  CARD_FORMAT: 3,
  READER_LED: 4,
  AUDIBLE_OUTPUT: 5,
  TEXT_OUTPUT: 6,
  TIME_KEEPING: 7,
  CHECK_CHARACTER: 8,
  COMMUNICATION_SECURITY: 9,
  RECEIVE_BUFFER: 10,
  COMBINED_MESSAGE: 11,
  SMART_CARD: 12,
  READERS: 13,
  BIOMETRICS: 14,
  SECURE_PIN_ENTRY: 15,
  OSDP_VERSION: 16,
} as const;

export const LED_COLOR = {
  OFF: 0,
  RED: 1,
  GREEN: 2,
  AMBER: 3,
  BLUE: 4,
  MAGENTA: 5,
  CYAN: 6,
  WHITE: 7,
} as const;

/** osdp_LED temporary-settings control codes. */
export const LED_TEMPORARY = { NOP: 0, CANCEL: 1, SET: 2 } as const;
/** osdp_LED permanent-settings control codes. */
export const LED_PERMANENT = { NOP: 0, SET: 1 } as const;

/** osdp_OUT control codes. */
export const OUT_CONTROL = {
  NOP: 0,
  OFF_ABORT_TIMED: 1,
  ON_ABORT_TIMED: 2,
  OFF_AFTER_TIMED: 3,
  ON_AFTER_TIMED: 4,
  TEMPORARY_ON: 5,
  TEMPORARY_OFF: 6,
} as const;

export const TONE = { NONE: 0, OFF: 1, DEFAULT: 2 } as const;

/** osdp_TEXT commands. */
export const TEXT_COMMAND = {
  PERMANENT: 1,
  PERMANENT_WRAP: 2,
  TEMPORARY: 3,
  TEMPORARY_WRAP: 4,
} as const;

/** osdp_RAW formats. */
export const RAW_FORMAT = { UNSPECIFIED: 0x00, WIEGAND: 0x01 } as const;

/** osdp_KEYSET key types. */
export const KEY_TYPE_SCBK = 0x01;
