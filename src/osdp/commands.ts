// OSDP commands (CP → PD, osdp.md §4) as a discriminated union, with their payload encodings.
// Encoding checks every field's range and throws RangeError (an application bug). Decoding never
// throws: a payload that does not fit its layout is `undefined`, so a bad frame cannot crash a link.

import { ByteWriter, readU16le, readU32le } from './bytes.ts';
import { CMD } from './codes.ts';

export interface OutputRecord {
  /** 0-based output number */
  output: number;
  /** OUT_CONTROL code */
  control: number;
  /** units of 100 ms */
  timer: number;
}

export interface LedRecord {
  reader: number;
  led: number;
  /** times in units of 100 ms; `timer` is how long the temporary state lasts */
  temporary: {
    control: number;
    onTime: number;
    offTime: number;
    onColor: number;
    offColor: number;
    timer: number;
  };
  permanent: { control: number; onTime: number; offTime: number; onColor: number; offColor: number };
}

export interface BuzzerRecord {
  reader: number;
  /** TONE code */
  tone: number;
  /** units of 100 ms */
  onTime: number;
  offTime: number;
  /** 0 = until told otherwise */
  count: number;
}

/** Commands this library carries without interpreting (biometrics, PIV, transparent mode, DIAG…). */
export type OpaqueCommandCode =
  | typeof CMD.DIAG
  | typeof CMD.RMODE
  | typeof CMD.TDSET
  | typeof CMD.BIOREAD
  | typeof CMD.BIOMATCH
  | typeof CMD.XWR
  | typeof CMD.PIVDATA
  | typeof CMD.GENAUTH
  | typeof CMD.CRAUTH;

const OPAQUE_COMMANDS = new Set<number>([
  CMD.DIAG,
  CMD.RMODE,
  CMD.TDSET,
  CMD.BIOREAD,
  CMD.BIOMATCH,
  CMD.XWR,
  CMD.PIVDATA,
  CMD.GENAUTH,
  CMD.CRAUTH,
]);

export type Command =
  | { code: typeof CMD.POLL }
  | { code: typeof CMD.ID }
  | { code: typeof CMD.CAP }
  | { code: typeof CMD.LSTAT }
  | { code: typeof CMD.ISTAT }
  | { code: typeof CMD.OSTAT }
  | { code: typeof CMD.RSTAT }
  | { code: typeof CMD.OUT; outputs: OutputRecord[] }
  | { code: typeof CMD.LED; leds: LedRecord[] }
  | { code: typeof CMD.BUZ; buzzers: BuzzerRecord[] }
  | {
      code: typeof CMD.TEXT;
      reader: number;
      /** TEXT_COMMAND code */
      command: number;
      /** how long temporary text stays, in seconds */
      seconds: number;
      /** 1-based */
      row: number;
      /** 1-based */
      column: number;
      /** printable ASCII */
      text: string;
    }
  | { code: typeof CMD.COMSET; address: number; baud: number }
  | { code: typeof CMD.KEYSET; keyType: number; key: Uint8Array }
  | { code: typeof CMD.CHLNG; rndA: Uint8Array }
  | { code: typeof CMD.SCRYPT; cryptogram: Uint8Array }
  | { code: typeof CMD.ACURXSIZE; size: number }
  | {
      code: typeof CMD.FILETRANSFER;
      fileType: number;
      totalSize: number;
      offset: number;
      fragment: Uint8Array;
    }
  | { code: typeof CMD.MFG; vendor: Uint8Array; data: Uint8Array }
  | { code: typeof CMD.ABORT }
  | { code: typeof CMD.KEEPACTIVE; ms: number }
  | { code: OpaqueCommandCode; data: Uint8Array };

const isOpaque = (command: Command): command is Extract<Command, { code: OpaqueCommandCode }> =>
  OPAQUE_COMMANDS.has(command.code);

// Every record-list command needs at least one record; an empty OUT/LED/BUZ is a caller mistake.
function records<T>(list: readonly T[], name: string, write: (w: ByteWriter, record: T) => void): Uint8Array {
  if (list.length === 0) throw new RangeError(`${name} needs at least one record`);
  const w = new ByteWriter();
  for (const record of list) write(w, record);
  return w.bytes();
}

function ascii(text: string, field: string): Uint8Array {
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  if (bytes.length > 255 || bytes.some((b) => b < 0x20 || b > 0x7e))
    throw new RangeError(`${field} must be at most 255 printable ASCII characters`);
  return bytes;
}

export function encodeCommand(command: Command): Uint8Array {
  if (isOpaque(command)) return command.data.slice();
  switch (command.code) {
    case CMD.POLL:
    case CMD.LSTAT:
    case CMD.ISTAT:
    case CMD.OSTAT:
    case CMD.RSTAT:
    case CMD.ABORT:
      return new Uint8Array();
    case CMD.ID:
    case CMD.CAP:
      // The single byte asks for the standard reply layout.
      return Uint8Array.of(0);
    case CMD.OUT:
      return records(command.outputs, 'osdp_OUT', (w, o) =>
        w.u8(o.output, 'output').u8(o.control, 'control').u16(o.timer, 'timer'),
      );
    case CMD.LED:
      return records(command.leds, 'osdp_LED', (w, l) => {
        const t = l.temporary;
        const p = l.permanent;
        w.u8(l.reader, 'reader').u8(l.led, 'led');
        w.u8(t.control, 'temporary.control').u8(t.onTime, 'temporary.onTime');
        w.u8(t.offTime, 'temporary.offTime').u8(t.onColor, 'temporary.onColor');
        w.u8(t.offColor, 'temporary.offColor').u16(t.timer, 'temporary.timer');
        w.u8(p.control, 'permanent.control').u8(p.onTime, 'permanent.onTime');
        w.u8(p.offTime, 'permanent.offTime').u8(p.onColor, 'permanent.onColor');
        w.u8(p.offColor, 'permanent.offColor');
      });
    case CMD.BUZ:
      return records(command.buzzers, 'osdp_BUZ', (w, b) =>
        w
          .u8(b.reader, 'reader')
          .u8(b.tone, 'tone')
          .u8(b.onTime, 'onTime')
          .u8(b.offTime, 'offTime')
          .u8(b.count, 'count'),
      );
    case CMD.TEXT: {
      const text = ascii(command.text, 'text');
      return new ByteWriter()
        .u8(command.reader, 'reader')
        .u8(command.command, 'command')
        .u8(command.seconds, 'seconds')
        .u8(command.row, 'row')
        .u8(command.column, 'column')
        .u8(text.length, 'length')
        .raw(text, 'text')
        .bytes();
    }
    case CMD.COMSET:
      return new ByteWriter().u8(command.address, 'address').u32(command.baud, 'baud').bytes();
    case CMD.KEYSET:
      return new ByteWriter()
        .u8(command.keyType, 'keyType')
        .u8(command.key.length, 'key length')
        .raw(command.key, 'key')
        .bytes();
    case CMD.CHLNG:
      return new ByteWriter().raw(command.rndA, 'RND.A', 8).bytes();
    case CMD.SCRYPT:
      return new ByteWriter().raw(command.cryptogram, 'server cryptogram', 16).bytes();
    case CMD.ACURXSIZE:
      return new ByteWriter().u16(command.size, 'size').bytes();
    case CMD.FILETRANSFER:
      return new ByteWriter()
        .u8(command.fileType, 'fileType')
        .u32(command.totalSize, 'totalSize')
        .u32(command.offset, 'offset')
        .u16(command.fragment.length, 'fragment length')
        .raw(command.fragment, 'fragment')
        .bytes();
    case CMD.MFG:
      return new ByteWriter().raw(command.vendor, 'vendor', 3).raw(command.data, 'data').bytes();
    case CMD.KEEPACTIVE:
      return new ByteWriter().u16(command.ms, 'ms').bytes();
    default: {
      const never: never = command;
      throw new RangeError(`cannot encode command ${(never as { code: number }).code}`);
    }
  }
}

function split<T>(data: Uint8Array, size: number, read: (offset: number) => T): T[] | undefined {
  if (data.length === 0 || data.length % size !== 0) return undefined;
  const out: T[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(read(offset));
  return out;
}

const printable = (bytes: Uint8Array) => bytes.every((b) => b >= 0x20 && b <= 0x7e);

/** The command carried by `data` under `code`, or undefined when the layout does not fit. */
export function decodeCommand(code: number, data: Uint8Array): Command | undefined {
  if (OPAQUE_COMMANDS.has(code)) return { code: code as OpaqueCommandCode, data: data.slice() };
  switch (code) {
    case CMD.POLL:
    case CMD.LSTAT:
    case CMD.ISTAT:
    case CMD.OSTAT:
    case CMD.RSTAT:
    case CMD.ABORT:
      return data.length === 0 ? { code } : undefined;
    case CMD.ID:
    case CMD.CAP:
      return data.length === 1 ? { code } : undefined;
    case CMD.OUT: {
      const outputs = split(data, 4, (o) => ({
        output: data[o]!,
        control: data[o + 1]!,
        timer: readU16le(data, o + 2),
      }));
      return outputs && { code, outputs };
    }
    case CMD.LED: {
      const leds = split(data, 14, (o) => ({
        reader: data[o]!,
        led: data[o + 1]!,
        temporary: {
          control: data[o + 2]!,
          onTime: data[o + 3]!,
          offTime: data[o + 4]!,
          onColor: data[o + 5]!,
          offColor: data[o + 6]!,
          timer: readU16le(data, o + 7),
        },
        permanent: {
          control: data[o + 9]!,
          onTime: data[o + 10]!,
          offTime: data[o + 11]!,
          onColor: data[o + 12]!,
          offColor: data[o + 13]!,
        },
      }));
      return leds && { code, leds };
    }
    case CMD.BUZ: {
      const buzzers = split(data, 5, (o) => ({
        reader: data[o]!,
        tone: data[o + 1]!,
        onTime: data[o + 2]!,
        offTime: data[o + 3]!,
        count: data[o + 4]!,
      }));
      return buzzers && { code, buzzers };
    }
    case CMD.TEXT: {
      if (data.length < 6 || data.length !== 6 + data[5]!) return undefined;
      const text = data.subarray(6);
      if (!printable(text)) return undefined;
      return {
        code,
        reader: data[0]!,
        command: data[1]!,
        seconds: data[2]!,
        row: data[3]!,
        column: data[4]!,
        text: String.fromCharCode(...text),
      };
    }
    case CMD.COMSET:
      return data.length === 5 ? { code, address: data[0]!, baud: readU32le(data, 1) } : undefined;
    case CMD.KEYSET:
      return data.length >= 2 && data.length === 2 + data[1]!
        ? { code, keyType: data[0]!, key: data.slice(2) }
        : undefined;
    case CMD.CHLNG:
      return data.length === 8 ? { code, rndA: data.slice() } : undefined;
    case CMD.SCRYPT:
      return data.length === 16 ? { code, cryptogram: data.slice() } : undefined;
    case CMD.ACURXSIZE:
      return data.length === 2 ? { code, size: readU16le(data, 0) } : undefined;
    case CMD.FILETRANSFER:
      if (data.length < 11 || data.length !== 11 + readU16le(data, 9)) return undefined;
      return {
        code,
        fileType: data[0]!,
        totalSize: readU32le(data, 1),
        offset: readU32le(data, 5),
        fragment: data.slice(11),
      };
    case CMD.MFG:
      return data.length >= 3 ? { code, vendor: data.slice(0, 3), data: data.slice(3) } : undefined;
    case CMD.KEEPACTIVE:
      return data.length === 2 ? { code, ms: readU16le(data, 0) } : undefined;
    default:
      return undefined;
  }
}
