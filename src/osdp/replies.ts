// OSDP replies (PD → CP, osdp.md §5) as a discriminated union, with their payload encodings. Same
// rules as commands.ts: encoding range-checks and throws, decoding returns undefined on a bad layout.

import { ByteWriter, readI16le, readU16le, readU32le } from './bytes.ts';
import { REPLY } from './codes.ts';

export interface PdId {
  /** IEEE OUI, as the three bytes on the wire (osdp.md §9.5: byte order not interpreted) */
  vendor: Uint8Array;
  model: number;
  version: number;
  serial: number;
  firmware: [number, number, number];
}

export interface Capability {
  /** CAP function code */
  function: number;
  compliance: number;
  items: number;
}

/** Replies this library carries without interpreting (biometrics, PIV, transparent mode, MFG status). */
export type OpaqueReplyCode =
  | typeof REPLY.BIOREADR
  | typeof REPLY.BIOMATCHR
  | typeof REPLY.PIVDATAR
  | typeof REPLY.GENAUTHR
  | typeof REPLY.CRAUTHR
  | typeof REPLY.MFGSTATR
  | typeof REPLY.MFGERRR
  | typeof REPLY.XRD;

const OPAQUE_REPLIES = new Set<number>([
  REPLY.BIOREADR,
  REPLY.BIOMATCHR,
  REPLY.PIVDATAR,
  REPLY.GENAUTHR,
  REPLY.CRAUTHR,
  REPLY.MFGSTATR,
  REPLY.MFGERRR,
  REPLY.XRD,
]);

export type Reply =
  | { code: typeof REPLY.ACK }
  | { code: typeof REPLY.NAK; error: number; detail?: Uint8Array }
  | ({ code: typeof REPLY.PDID } & PdId)
  | { code: typeof REPLY.PDCAP; capabilities: Capability[] }
  | { code: typeof REPLY.LSTATR; tamper: boolean; powerFailure: boolean }
  | { code: typeof REPLY.ISTATR; inputs: number[] }
  | { code: typeof REPLY.OSTATR; outputs: number[] }
  | { code: typeof REPLY.RSTATR; readers: number[] }
  | {
      code: typeof REPLY.RAW;
      reader: number;
      /** RAW_FORMAT code */
      format: number;
      bits: number;
      /** ceil(bits / 8) bytes, first bit in the MSB of the first byte */
      data: Uint8Array;
    }
  | { code: typeof REPLY.FMT; reader: number; direction: number; text: string }
  | {
      code: typeof REPLY.KEYPAD;
      reader: number;
      /** '0'-'9', '*' (clear, 0x7F), '#' (enter, 0x0D); function keys as 'A'…'H' (0x41…0x48) */
      keys: string;
    }
  | { code: typeof REPLY.COM; address: number; baud: number }
  | { code: typeof REPLY.CCRYPT; cUid: Uint8Array; rndB: Uint8Array; cryptogram: Uint8Array }
  | { code: typeof REPLY.RMAC_I; rmac: Uint8Array }
  | { code: typeof REPLY.BUSY }
  | {
      code: typeof REPLY.FTSTAT;
      /** bit0 interleave OK, bit1 leave Secure Channel, bit2 poll response available */
      control: number;
      delayMs: number;
      /** 0 proceed, 1 processed, 2 rebooting, 3 finishing; negative = abort / error */
      status: number;
      /** new maximum fragment size, 0 = unchanged */
      updateMax: number;
    }
  | { code: typeof REPLY.MFGREP; vendor: Uint8Array; data: Uint8Array }
  | { code: OpaqueReplyCode; data: Uint8Array };

const isOpaque = (reply: Reply): reply is Extract<Reply, { code: OpaqueReplyCode }> =>
  OPAQUE_REPLIES.has(reply.code);

// Keypad bytes ↔ characters (osdp.md §5): digits and function keys are ASCII already.
const KEY_CLEAR = 0x7f;
const KEY_ENTER = 0x0d;
const KEYPAD_BYTE = /^[0-9A-H*#]*$/;

function keypadBytes(keys: string): Uint8Array {
  if (!KEYPAD_BYTE.test(keys) || keys.length > 255)
    throw new RangeError('keys must be at most 255 of 0-9, A-H, * and #');
  return Uint8Array.from(keys, (k) => (k === '*' ? KEY_CLEAR : k === '#' ? KEY_ENTER : k.charCodeAt(0)));
}

function keypadText(bytes: Uint8Array): string | undefined {
  let out = '';
  for (const b of bytes) {
    if (b === KEY_CLEAR) out += '*';
    else if (b === KEY_ENTER) out += '#';
    else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x48)) out += String.fromCharCode(b);
    else return undefined;
  }
  return out;
}

function ascii(text: string, field: string): Uint8Array {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  if (bytes.length > 255 || bytes.some((b) => b < 0x20 || b > 0x7e))
    throw new RangeError(`${field} must be at most 255 printable ASCII characters`);
  return bytes;
}

function bytesOf(values: readonly number[], field: string): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) w.u8(v, field);
  return w.bytes();
}

export function encodeReply(reply: Reply): Uint8Array {
  if (isOpaque(reply)) return reply.data.slice();
  switch (reply.code) {
    case REPLY.ACK:
    case REPLY.BUSY:
      return new Uint8Array();
    case REPLY.NAK:
      return new ByteWriter()
        .u8(reply.error, 'error')
        .raw(reply.detail ?? new Uint8Array(), 'detail')
        .bytes();
    case REPLY.PDID:
      return new ByteWriter()
        .raw(reply.vendor, 'vendor', 3)
        .u8(reply.model, 'model')
        .u8(reply.version, 'version')
        .u32(reply.serial, 'serial')
        .u8(reply.firmware[0], 'firmware major')
        .u8(reply.firmware[1], 'firmware minor')
        .u8(reply.firmware[2], 'firmware build')
        .bytes();
    case REPLY.PDCAP: {
      const w = new ByteWriter();
      for (const c of reply.capabilities)
        w.u8(c.function, 'function').u8(c.compliance, 'compliance').u8(c.items, 'items');
      return w.bytes();
    }
    case REPLY.LSTATR:
      return Uint8Array.of(reply.tamper ? 1 : 0, reply.powerFailure ? 1 : 0);
    case REPLY.ISTATR:
      return bytesOf(reply.inputs, 'input status');
    case REPLY.OSTATR:
      return bytesOf(reply.outputs, 'output status');
    case REPLY.RSTATR:
      return bytesOf(reply.readers, 'reader status');
    case REPLY.RAW:
      return new ByteWriter()
        .u8(reply.reader, 'reader')
        .u8(reply.format, 'format')
        .u16(reply.bits, 'bits')
        .raw(reply.data, 'data', Math.ceil(reply.bits / 8))
        .bytes();
    case REPLY.FMT: {
      const text = ascii(reply.text, 'text');
      return new ByteWriter()
        .u8(reply.reader, 'reader')
        .u8(reply.direction, 'direction')
        .u8(text.length, 'length')
        .raw(text, 'text')
        .bytes();
    }
    case REPLY.KEYPAD: {
      const keys = keypadBytes(reply.keys);
      return new ByteWriter().u8(reply.reader, 'reader').u8(keys.length, 'count').raw(keys, 'keys').bytes();
    }
    case REPLY.COM:
      return new ByteWriter().u8(reply.address, 'address').u32(reply.baud, 'baud').bytes();
    case REPLY.CCRYPT:
      return new ByteWriter()
        .raw(reply.cUid, 'cUID', 8)
        .raw(reply.rndB, 'RND.B', 8)
        .raw(reply.cryptogram, 'client cryptogram', 16)
        .bytes();
    case REPLY.RMAC_I:
      return new ByteWriter().raw(reply.rmac, 'RMAC-I', 16).bytes();
    case REPLY.FTSTAT:
      return new ByteWriter()
        .u8(reply.control, 'control')
        .u16(reply.delayMs, 'delayMs')
        .i16(reply.status, 'status')
        .u16(reply.updateMax, 'updateMax')
        .bytes();
    case REPLY.MFGREP:
      return new ByteWriter().raw(reply.vendor, 'vendor', 3).raw(reply.data, 'data').bytes();
    default: {
      const never: never = reply;
      throw new RangeError(`cannot encode reply ${(never as { code: number }).code}`);
    }
  }
}

function split<T>(data: Uint8Array, size: number, read: (offset: number) => T): T[] | undefined {
  if (data.length % size !== 0) return undefined;
  const out: T[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(read(offset));
  return out;
}

/** The reply carried by `data` under `code`, or undefined when the layout does not fit. */
export function decodeReply(code: number, data: Uint8Array): Reply | undefined {
  if (OPAQUE_REPLIES.has(code)) return { code: code as OpaqueReplyCode, data: data.slice() };
  switch (code) {
    case REPLY.ACK:
    case REPLY.BUSY:
      return data.length === 0 ? { code } : undefined;
    case REPLY.NAK:
      if (data.length === 0) return undefined;
      return data.length === 1 ? { code, error: data[0]! } : { code, error: data[0]!, detail: data.slice(1) };
    case REPLY.PDID:
      return data.length === 12
        ? {
            code,
            vendor: data.slice(0, 3),
            model: data[3]!,
            version: data[4]!,
            serial: readU32le(data, 5),
            firmware: [data[9]!, data[10]!, data[11]!],
          }
        : undefined;
    case REPLY.PDCAP: {
      const capabilities = split(data, 3, (o) => ({
        function: data[o]!,
        compliance: data[o + 1]!,
        items: data[o + 2]!,
      }));
      return capabilities && { code, capabilities };
    }
    case REPLY.LSTATR:
      return data.length === 2 ? { code, tamper: data[0] !== 0, powerFailure: data[1] !== 0 } : undefined;
    case REPLY.ISTATR:
      return { code, inputs: [...data] };
    case REPLY.OSTATR:
      return { code, outputs: [...data] };
    case REPLY.RSTATR:
      return { code, readers: [...data] };
    case REPLY.RAW: {
      if (data.length < 4) return undefined;
      const bits = readU16le(data, 2);
      if (data.length !== 4 + Math.ceil(bits / 8)) return undefined;
      return { code, reader: data[0]!, format: data[1]!, bits, data: data.slice(4) };
    }
    case REPLY.FMT: {
      if (data.length < 3 || data.length !== 3 + data[2]!) return undefined;
      const text = data.subarray(3);
      if (!text.every((b) => b >= 0x20 && b <= 0x7e)) return undefined;
      return { code, reader: data[0]!, direction: data[1]!, text: String.fromCharCode(...text) };
    }
    case REPLY.KEYPAD: {
      if (data.length < 2 || data.length !== 2 + data[1]!) return undefined;
      const keys = keypadText(data.subarray(2));
      return keys === undefined ? undefined : { code, reader: data[0]!, keys };
    }
    case REPLY.COM:
      return data.length === 5 ? { code, address: data[0]!, baud: readU32le(data, 1) } : undefined;
    case REPLY.CCRYPT:
      return data.length === 32
        ? { code, cUid: data.slice(0, 8), rndB: data.slice(8, 16), cryptogram: data.slice(16, 32) }
        : undefined;
    case REPLY.RMAC_I:
      return data.length === 16 ? { code, rmac: data.slice() } : undefined;
    case REPLY.FTSTAT:
      return data.length === 7
        ? {
            code,
            control: data[0]!,
            delayMs: readU16le(data, 1),
            status: readI16le(data, 3),
            updateMax: readU16le(data, 5),
          }
        : undefined;
    case REPLY.MFGREP:
      return data.length >= 3 ? { code, vendor: data.slice(0, 3), data: data.slice(3) } : undefined;
    default:
      return undefined;
  }
}
