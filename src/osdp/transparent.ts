// Transparent smart-card mode (osdp_XWR 0xA1 / osdp_XRD 0xB1): the CP talks to a card through the
// reader, APDU by APDU, so the card keys can stay in the CP (or its SAM) instead of every reader.
// Every payload starts with a mode byte and a command/reply byte (IEC 60839-11-5 tables 34-43, as
// libosdp and the SIA conformance tool read them; osdp.md §9.6 lists the point as not researched in
// depth — these layouts are what those two implementations put on the wire):
//
//   XWR mode 0 cmd 1  get mode                      XRD mode 0 reply 0  error (code)
//   XWR mode 0 cmd 2  set mode: mode, config        XRD mode 0 reply 1  current mode: mode, config
//                     (config bit 0: report cards)  XRD mode 0 reply 2  card info: reader, protocol,
//                                                                       CSN length, data length, CSN, data
//   XWR mode 1 cmd 1  send APDU: reader, APDU       XRD mode 1 reply 0  error (code)
//   XWR mode 1 cmd 2  done (release the card): rdr  XRD mode 1 reply 1  card present: reader, status
//   XWR mode 1 cmd 4  scan for a card: reader       XRD mode 1 reply 2  card data: reader, status, R-APDU
//
// Encoding range-checks and throws; decoding returns undefined for a payload that does not fit.

export type XwrCommand =
  | { mode: 0; command: 'get-mode' }
  | { mode: 0; command: 'set-mode'; setMode: 0 | 1; reportCards: boolean }
  | { mode: 1; command: 'apdu'; reader: number; apdu: Uint8Array }
  | { mode: 1; command: 'done'; reader: number }
  | { mode: 1; command: 'scan'; reader: number };

export type XrdReply =
  | { mode: 0 | 1; reply: 'error'; error: number }
  | { mode: 0; reply: 'current-mode'; currentMode: number; reportCards: boolean }
  | {
      mode: 0;
      reply: 'card-info';
      reader: number;
      protocol: number;
      csn: Uint8Array;
      protocolData: Uint8Array;
    }
  | { mode: 1; reply: 'card-present'; reader: number; status: number }
  | { mode: 1; reply: 'card-data'; reader: number; status: number; apdu: Uint8Array };

/** Card protocol in a card-info report: ISO 14443 A/B (contactless). */
export const TRANSPARENT_PROTOCOL_14443 = 0x01;
/** The largest APDU we pass (short APDUs; the frame stays under the 128-byte minimum buffer). */
export const MAX_TRANSPARENT_APDU = 80;

const byte = (n: number, what: string) => {
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new RangeError(`${what} is a byte`);
  return n;
};

export function encodeXwr(command: XwrCommand): Uint8Array {
  switch (command.command) {
    case 'get-mode':
      return Uint8Array.of(0, 1);
    case 'set-mode':
      return Uint8Array.of(0, 2, command.setMode, command.reportCards ? 1 : 0);
    case 'apdu': {
      if (command.apdu.length === 0 || command.apdu.length > MAX_TRANSPARENT_APDU)
        throw new RangeError(`an APDU is 1 … ${MAX_TRANSPARENT_APDU} bytes here`);
      const out = new Uint8Array(3 + command.apdu.length);
      out.set([1, 1, byte(command.reader, 'reader')]);
      out.set(command.apdu, 3);
      return out;
    }
    case 'done':
      return Uint8Array.of(1, 2, byte(command.reader, 'reader'));
    case 'scan':
      return Uint8Array.of(1, 4, byte(command.reader, 'reader'));
    default: {
      const never: never = command;
      throw new RangeError(`unknown transparent command ${String(never)}`);
    }
  }
}

export function decodeXwr(data: Uint8Array): XwrCommand | undefined {
  const [mode, code] = [data[0], data[1]];
  if (mode === 0 && code === 1 && data.length === 2) return { mode: 0, command: 'get-mode' };
  if (mode === 0 && code === 2 && data.length === 4 && (data[2] === 0 || data[2] === 1))
    return { mode: 0, command: 'set-mode', setMode: data[2] as 0 | 1, reportCards: (data[3]! & 1) === 1 };
  if (mode !== 1 || data.length < 3) return undefined;
  const reader = data[2]!;
  if (code === 1 && data.length > 3 && data.length - 3 <= MAX_TRANSPARENT_APDU)
    return { mode: 1, command: 'apdu', reader, apdu: data.slice(3) };
  if (code === 2 && data.length === 3) return { mode: 1, command: 'done', reader };
  if (code === 4 && data.length === 3) return { mode: 1, command: 'scan', reader };
  return undefined;
}

export function encodeXrd(reply: XrdReply): Uint8Array {
  switch (reply.reply) {
    case 'error':
      return Uint8Array.of(reply.mode, 0, byte(reply.error, 'error'));
    case 'current-mode':
      return Uint8Array.of(0, 1, byte(reply.currentMode, 'mode'), reply.reportCards ? 1 : 0);
    case 'card-info': {
      const out = new Uint8Array(6 + reply.csn.length + reply.protocolData.length);
      out.set([
        0,
        2,
        byte(reply.reader, 'reader'),
        byte(reply.protocol, 'protocol'),
        byte(reply.csn.length, 'CSN length'),
        byte(reply.protocolData.length, 'protocol data length'),
      ]);
      out.set(reply.csn, 6);
      out.set(reply.protocolData, 6 + reply.csn.length);
      return out;
    }
    case 'card-present':
      return Uint8Array.of(1, 1, byte(reply.reader, 'reader'), byte(reply.status, 'status'));
    case 'card-data': {
      if (reply.apdu.length > 255) throw new RangeError('a response APDU is at most 255 bytes here');
      const out = new Uint8Array(4 + reply.apdu.length);
      out.set([1, 2, byte(reply.reader, 'reader'), byte(reply.status, 'status')]);
      out.set(reply.apdu, 4);
      return out;
    }
    default: {
      const never: never = reply;
      throw new RangeError(`unknown transparent reply ${String(never)}`);
    }
  }
}

export function decodeXrd(data: Uint8Array): XrdReply | undefined {
  const [mode, code] = [data[0], data[1]];
  if ((mode === 0 || mode === 1) && code === 0 && data.length === 3)
    return { mode, reply: 'error', error: data[2]! };
  if (mode === 0 && code === 1 && data.length === 4)
    return { mode: 0, reply: 'current-mode', currentMode: data[2]!, reportCards: (data[3]! & 1) === 1 };
  if (mode === 0 && code === 2 && data.length >= 6) {
    const csnLength = data[4]!;
    const dataLength = data[5]!;
    if (data.length !== 6 + csnLength + dataLength) return undefined;
    return {
      mode: 0,
      reply: 'card-info',
      reader: data[2]!,
      protocol: data[3]!,
      csn: data.slice(6, 6 + csnLength),
      protocolData: data.slice(6 + csnLength),
    };
  }
  if (mode === 1 && code === 1 && (data.length === 3 || data.length === 4))
    return { mode: 1, reply: 'card-present', reader: data[2]!, status: data[3] ?? 1 };
  if (mode === 1 && code === 2 && data.length >= 4)
    return { mode: 1, reply: 'card-data', reader: data[2]!, status: data[3]!, apdu: data.slice(4) };
  return undefined;
}

/**
 * Biometric match (osdp_BIOMATCH 0x74 / osdp_BIOMATCHR 0x58). Command: reader, biometric type,
 * format, quality threshold, template length (u16 LE), template. A template length of 0 asks the
 * reader to match against the template it holds for the card just read (on the card or in the
 * reader). Reply: reader, status (0 = a match was attempted), score (0 … 255). The layouts follow the
 * OSDP command table as libosdp carries it; they are not among osdp.md's verified vectors.
 */
export interface BioMatchCommand {
  reader: number;
  type: number;
  format: number;
  quality: number;
  template: Uint8Array;
}

export interface BioMatchReply {
  reader: number;
  status: number;
  score: number;
}

export function encodeBioMatch(command: BioMatchCommand): Uint8Array {
  if (command.template.length > 0xffff) throw new RangeError('template too long');
  const out = new Uint8Array(6 + command.template.length);
  out.set([
    byte(command.reader, 'reader'),
    byte(command.type, 'type'),
    byte(command.format, 'format'),
    byte(command.quality, 'quality'),
    command.template.length & 0xff,
    command.template.length >>> 8,
  ]);
  out.set(command.template, 6);
  return out;
}

export function decodeBioMatch(data: Uint8Array): BioMatchCommand | undefined {
  if (data.length < 6) return undefined;
  const length = data[4]! | (data[5]! << 8);
  if (data.length !== 6 + length) return undefined;
  return { reader: data[0]!, type: data[1]!, format: data[2]!, quality: data[3]!, template: data.slice(6) };
}

export function encodeBioMatchReply(reply: BioMatchReply): Uint8Array {
  return Uint8Array.of(
    byte(reply.reader, 'reader'),
    byte(reply.status, 'status'),
    byte(reply.score, 'score'),
  );
}

export function decodeBioMatchReply(data: Uint8Array): BioMatchReply | undefined {
  if (data.length !== 3) return undefined;
  return { reader: data[0]!, status: data[1]!, score: data[2]! };
}
