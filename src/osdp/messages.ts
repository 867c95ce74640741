// OSDP command and reply payloads (osdp.md §4-5) as typed values, with their encodings. A payload
// that does not decode is reported as `undefined`, never thrown, so a bad frame can't crash a link.

import { concat, readU16le, readU32le, u16le, u32le } from './bytes.ts';

export const CMD = {
  POLL: 0x60,
  ID: 0x61,
  CAP: 0x62,
  LSTAT: 0x64,
  ISTAT: 0x65,
  OSTAT: 0x66,
  RSTAT: 0x67,
  OUT: 0x68,
  LED: 0x69,
  BUZ: 0x6a,
  TEXT: 0x6b,
  COMSET: 0x6e,
  KEYSET: 0x75,
  CHLNG: 0x76,
  SCRYPT: 0x77,
  ACURXSIZE: 0x7b,
  MFG: 0x80,
  ABORT: 0xa2,
  KEEPACTIVE: 0xa7,
} as const;

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
  CCRYPT: 0x76,
  RMAC_I: 0x78,
  BUSY: 0x79,
  MFGREP: 0x90,
} as const;

export const NAK = {
  CHECK: 0x01,
  LENGTH: 0x02,
  UNKNOWN_COMMAND: 0x03,
  SEQUENCE: 0x04,
  SC_UNSUPPORTED: 0x05,
  SC_CONDITIONS: 0x06,
  RECORD: 0x09,
} as const;

export interface LedRecord {
  reader: number;
  led: number;
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
  tone: number;
  onTime: number;
  offTime: number;
  count: number;
}

export interface OutputRecord {
  output: number;
  control: number;
  /** units of 100 ms */
  timer: number;
}

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
      command: number;
      seconds: number;
      row: number;
      column: number;
      text: string;
    }
  | { code: typeof CMD.COMSET; address: number; baud: number }
  | { code: typeof CMD.KEYSET; keyType: number; key: Uint8Array }
  | { code: typeof CMD.CHLNG; rndA: Uint8Array }
  | { code: typeof CMD.SCRYPT; cryptogram: Uint8Array }
  | { code: typeof CMD.ACURXSIZE; size: number }
  | { code: typeof CMD.MFG; vendor: Uint8Array; data: Uint8Array }
  | { code: typeof CMD.ABORT }
  | { code: typeof CMD.KEEPACTIVE; ms: number };

export interface PdId {
  vendor: Uint8Array;
  model: number;
  version: number;
  serial: number;
  firmware: [number, number, number];
}

export interface Capability {
  function: number;
  compliance: number;
  items: number;
}

export type Reply =
  | { code: typeof REPLY.ACK }
  | { code: typeof REPLY.NAK; error: number }
  | ({ code: typeof REPLY.PDID } & PdId)
  | { code: typeof REPLY.PDCAP; capabilities: Capability[] }
  | { code: typeof REPLY.LSTATR; tamper: boolean; powerFailure: boolean }
  | { code: typeof REPLY.ISTATR; inputs: number[] }
  | { code: typeof REPLY.OSTATR; outputs: number[] }
  | { code: typeof REPLY.RSTATR; readers: number[] }
  | { code: typeof REPLY.RAW; reader: number; format: number; bits: number; data: Uint8Array }
  | { code: typeof REPLY.FMT; reader: number; direction: number; text: string }
  | { code: typeof REPLY.KEYPAD; reader: number; keys: string }
  | { code: typeof REPLY.COM; address: number; baud: number }
  | { code: typeof REPLY.CCRYPT; cUid: Uint8Array; rndB: Uint8Array; cryptogram: Uint8Array }
  | { code: typeof REPLY.RMAC_I; rmac: Uint8Array }
  | { code: typeof REPLY.BUSY }
  | { code: typeof REPLY.MFGREP; vendor: Uint8Array; data: Uint8Array };

// Keypad bytes ↔ characters: digits as ASCII, `*` is 0x7F, `#` is 0x0D (osdp.md §5).
function keyToByte(key: string): number {
  if (key === '*') return 0x7f;
  if (key === '#') return 0x0d;
  return key.charCodeAt(0) & 0xff;
}
function byteToKey(byte: number): string {
  if (byte === 0x7f) return '*';
  if (byte === 0x0d) return '#';
  return String.fromCharCode(byte);
}

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0x7f);
const fromAscii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

export function encodeCommand(command: Command): Uint8Array {
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
      return Uint8Array.of(0);
    case CMD.OUT:
      return concat(
        ...command.outputs.map((o) => concat(Uint8Array.of(o.output, o.control), u16le(o.timer))),
      );
    case CMD.LED:
      return concat(
        ...command.leds.map((l) =>
          concat(
            Uint8Array.of(
              l.reader,
              l.led,
              l.temporary.control,
              l.temporary.onTime,
              l.temporary.offTime,
              l.temporary.onColor,
              l.temporary.offColor,
            ),
            u16le(l.temporary.timer),
            Uint8Array.of(
              l.permanent.control,
              l.permanent.onTime,
              l.permanent.offTime,
              l.permanent.onColor,
              l.permanent.offColor,
            ),
          ),
        ),
      );
    case CMD.BUZ:
      return concat(
        ...command.buzzers.map((b) => Uint8Array.of(b.reader, b.tone, b.onTime, b.offTime, b.count)),
      );
    case CMD.TEXT:
      return concat(
        Uint8Array.of(
          command.reader,
          command.command,
          command.seconds,
          command.row,
          command.column,
          command.text.length,
        ),
        ascii(command.text),
      );
    case CMD.COMSET:
      return concat(Uint8Array.of(command.address), u32le(command.baud));
    case CMD.KEYSET:
      return concat(Uint8Array.of(command.keyType, command.key.length), command.key);
    case CMD.CHLNG:
      return command.rndA.slice();
    case CMD.SCRYPT:
      return command.cryptogram.slice();
    case CMD.ACURXSIZE:
      return u16le(command.size);
    case CMD.MFG:
      return concat(command.vendor, command.data);
    case CMD.KEEPACTIVE:
      return u16le(command.ms);
    default: {
      const never: never = command;
      throw new RangeError(`cannot encode command ${JSON.stringify(never)}`);
    }
  }
}

function records<T>(data: Uint8Array, size: number, read: (offset: number) => T): T[] | undefined {
  if (data.length === 0 || data.length % size !== 0) return undefined;
  const out: T[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(read(offset));
  return out;
}

export function decodeCommand(code: number, data: Uint8Array): Command | undefined {
  switch (code) {
    case CMD.POLL:
    case CMD.LSTAT:
    case CMD.ISTAT:
    case CMD.OSTAT:
    case CMD.RSTAT:
    case CMD.ABORT:
      return data.length === 0 ? ({ code } as Command) : undefined;
    case CMD.ID:
    case CMD.CAP:
      return data.length === 1 ? ({ code } as Command) : undefined;
    case CMD.OUT: {
      const outputs = records(data, 4, (o) => ({
        output: data[o]!,
        control: data[o + 1]!,
        timer: readU16le(data, o + 2),
      }));
      return outputs && { code, outputs };
    }
    case CMD.LED: {
      const leds = records(data, 14, (o) => ({
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
      const buzzers = records(data, 5, (o) => ({
        reader: data[o]!,
        tone: data[o + 1]!,
        onTime: data[o + 2]!,
        offTime: data[o + 3]!,
        count: data[o + 4]!,
      }));
      return buzzers && { code, buzzers };
    }
    case CMD.TEXT:
      if (data.length < 6 || data.length !== 6 + data[5]!) return undefined;
      return {
        code,
        reader: data[0]!,
        command: data[1]!,
        seconds: data[2]!,
        row: data[3]!,
        column: data[4]!,
        text: fromAscii(data.subarray(6)),
      };
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
    case CMD.MFG:
      return data.length >= 3 ? { code, vendor: data.slice(0, 3), data: data.slice(3) } : undefined;
    case CMD.KEEPACTIVE:
      return data.length === 2 ? { code, ms: readU16le(data, 0) } : undefined;
    default:
      return undefined;
  }
}

export function encodeReply(reply: Reply): Uint8Array {
  switch (reply.code) {
    case REPLY.ACK:
    case REPLY.BUSY:
      return new Uint8Array();
    case REPLY.NAK:
      return Uint8Array.of(reply.error);
    case REPLY.PDID:
      return concat(
        reply.vendor.subarray(0, 3),
        Uint8Array.of(reply.model, reply.version),
        u32le(reply.serial),
        Uint8Array.from(reply.firmware),
      );
    case REPLY.PDCAP:
      return concat(...reply.capabilities.map((c) => Uint8Array.of(c.function, c.compliance, c.items)));
    case REPLY.LSTATR:
      return Uint8Array.of(reply.tamper ? 1 : 0, reply.powerFailure ? 1 : 0);
    case REPLY.ISTATR:
      return Uint8Array.from(reply.inputs);
    case REPLY.OSTATR:
      return Uint8Array.from(reply.outputs);
    case REPLY.RSTATR:
      return Uint8Array.from(reply.readers);
    case REPLY.RAW:
      return concat(Uint8Array.of(reply.reader, reply.format), u16le(reply.bits), reply.data);
    case REPLY.FMT:
      return concat(Uint8Array.of(reply.reader, reply.direction, reply.text.length), ascii(reply.text));
    case REPLY.KEYPAD:
      return concat(Uint8Array.of(reply.reader, reply.keys.length), Uint8Array.from(reply.keys, keyToByte));
    case REPLY.COM:
      return concat(Uint8Array.of(reply.address), u32le(reply.baud));
    case REPLY.CCRYPT:
      return concat(reply.cUid, reply.rndB, reply.cryptogram);
    case REPLY.RMAC_I:
      return reply.rmac.slice();
    case REPLY.MFGREP:
      return concat(reply.vendor, reply.data);
    default: {
      const never: never = reply;
      throw new RangeError(`cannot encode reply ${JSON.stringify(never)}`);
    }
  }
}

export function decodeReply(code: number, data: Uint8Array): Reply | undefined {
  switch (code) {
    case REPLY.ACK:
    case REPLY.BUSY:
      return data.length === 0 ? ({ code } as Reply) : undefined;
    case REPLY.NAK:
      return data.length >= 1 ? { code, error: data[0]! } : undefined;
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
      const capabilities = records(data, 3, (o) => ({
        function: data[o]!,
        compliance: data[o + 1]!,
        items: data[o + 2]!,
      }));
      return capabilities && { code, capabilities };
    }
    case REPLY.LSTATR:
      return data.length === 2 ? { code, tamper: data[0] === 1, powerFailure: data[1] === 1 } : undefined;
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
    case REPLY.FMT:
      return data.length >= 3 && data.length === 3 + data[2]!
        ? { code, reader: data[0]!, direction: data[1]!, text: fromAscii(data.subarray(3)) }
        : undefined;
    case REPLY.KEYPAD:
      return data.length >= 2 && data.length === 2 + data[1]!
        ? { code, reader: data[0]!, keys: Array.from(data.subarray(2), byteToKey).join('') }
        : undefined;
    case REPLY.COM:
      return data.length === 5 ? { code, address: data[0]!, baud: readU32le(data, 1) } : undefined;
    case REPLY.CCRYPT:
      return data.length === 32
        ? { code, cUid: data.slice(0, 8), rndB: data.slice(8, 16), cryptogram: data.slice(16, 32) }
        : undefined;
    case REPLY.RMAC_I:
      return data.length === 16 ? { code, rmac: data.slice() } : undefined;
    case REPLY.MFGREP:
      return data.length >= 3 ? { code, vendor: data.slice(0, 3), data: data.slice(3) } : undefined;
    default:
      return undefined;
  }
}
