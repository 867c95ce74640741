// OSDP packet framing (osdp.md §2): build and parse one packet, and a streaming decoder that finds
// packets in a noisy byte stream. Secure Channel MAC and encryption are applied by secure-session.ts
// through the `seal` hook; this file only knows where they go.

import { checksum, crc16 } from './crc.ts';

export const MARK = 0xff;
export const SOM = 0x53;
export const BROADCAST = 0x7f;
/** A PD must accept 128 bytes; nothing may exceed 1440 (v2.2.2). */
export const MAX_PACKET = 1440;
const HEADER = 5; // SOM, ADDR, LEN_LSB, LEN_MSB, CTRL

const CTRL_SQN = 0x03;
const CTRL_CRC = 0x04;
const CTRL_SCB = 0x08;

export interface SecurityBlock {
  type: number;
  data: Uint8Array;
}

export interface Packet {
  /** 0x00 … 0x7E, or 0x7F for broadcast */
  address: number;
  /** set on every PD → CP packet (address bit 7) */
  reply: boolean;
  sequence: number;
  useCrc: boolean;
  scb?: SecurityBlock;
  code: number;
  /** payload as on the wire (ciphertext for SCS_17/18) */
  data: Uint8Array;
  /** 4-byte truncated MAC, for SCS_15 … SCS_18 */
  mac?: Uint8Array;
}

export interface ParsedPacket extends Packet {
  /** SOM … last data byte: what the MAC covers */
  macInput: Uint8Array;
}

export type ParseError = 'too_short' | 'bad_som' | 'bad_length' | 'bad_check' | 'bad_scb';

export class OsdpFrameError extends Error {
  constructor(readonly kind: ParseError) {
    super(`OSDP frame rejected: ${kind.replace('_', ' ')}`);
    this.name = 'OsdpFrameError';
  }
}

export function hasMac(scb: SecurityBlock | undefined): boolean {
  return scb !== undefined && scb.type >= 0x15 && scb.type <= 0x18;
}

/** Total packet length (SOM … check) of a packet with these parts. */
export function packetLength(p: Pick<Packet, 'scb' | 'data' | 'useCrc'>, withMac: boolean): number {
  return (
    HEADER + (p.scb ? 2 + p.scb.data.length : 0) + 1 + p.data.length + (withMac ? 4 : 0) + (p.useCrc ? 2 : 1)
  );
}

/**
 * Encodes a packet. `seal(macInput)` is called with SOM … last data byte (LEN already final) and
 * returns the 4 MAC bytes for secure packets.
 */
export function buildPacket(
  p: Packet,
  options: { mark?: boolean; seal?: (macInput: Uint8Array) => Uint8Array } = {},
): Uint8Array {
  const withMac = hasMac(p.scb);
  const length = packetLength(p, withMac);
  if (length > MAX_PACKET) throw new RangeError(`OSDP packet of ${length} bytes exceeds ${MAX_PACKET}`);
  const mark = options.mark ? 1 : 0;
  const out = new Uint8Array(mark + length);
  if (mark) out[0] = MARK;
  let i = mark;
  out[i++] = SOM;
  out[i++] = (p.address & 0x7f) | (p.reply ? 0x80 : 0);
  out[i++] = length & 0xff;
  out[i++] = length >>> 8;
  out[i++] = (p.sequence & CTRL_SQN) | (p.useCrc ? CTRL_CRC : 0) | (p.scb ? CTRL_SCB : 0);
  if (p.scb) {
    out[i++] = 2 + p.scb.data.length;
    out[i++] = p.scb.type;
    out.set(p.scb.data, i);
    i += p.scb.data.length;
  }
  out[i++] = p.code;
  out.set(p.data, i);
  i += p.data.length;
  if (withMac) {
    const seal = options.seal ?? (() => p.mac ?? new Uint8Array(4));
    out.set(seal(out.subarray(mark, i)).subarray(0, 4), i);
    i += 4;
  }
  if (p.useCrc) {
    const crc = crc16(out, mark, i);
    out[i++] = crc & 0xff;
    out[i++] = crc >>> 8;
  } else {
    out[i++] = checksum(out, mark, i);
  }
  return out;
}

/** Decodes one whole packet starting at SOM (no mark byte). Throws OsdpFrameError. */
export function parsePacket(frame: Uint8Array): ParsedPacket {
  if (frame.length < 7) throw new OsdpFrameError('too_short');
  if (frame[0] !== SOM) throw new OsdpFrameError('bad_som');
  const length = frame[2]! | (frame[3]! << 8);
  if (length !== frame.length) throw new OsdpFrameError('bad_length');
  const ctrl = frame[4]!;
  const useCrc = (ctrl & CTRL_CRC) !== 0;
  const checkLength = useCrc ? 2 : 1;
  const body = length - checkLength;
  if (useCrc) {
    const crc = crc16(frame, 0, body);
    if (frame[body] !== (crc & 0xff) || frame[body + 1] !== crc >>> 8) throw new OsdpFrameError('bad_check');
  } else if (frame[body] !== checksum(frame, 0, body)) {
    throw new OsdpFrameError('bad_check');
  }
  let i = HEADER;
  let scb: SecurityBlock | undefined;
  if (ctrl & CTRL_SCB) {
    const scbLength = frame[i]!;
    if (scbLength < 2 || i + scbLength >= body) throw new OsdpFrameError('bad_scb');
    scb = { type: frame[i + 1]!, data: frame.slice(i + 2, i + scbLength) };
    i += scbLength;
  }
  const macLength = hasMac(scb) ? 4 : 0;
  const dataEnd = body - macLength;
  // The code byte must fit before the MAC and check characters.
  if (i >= dataEnd) throw new OsdpFrameError('bad_length');
  const packet: ParsedPacket = {
    address: frame[1]! & 0x7f,
    reply: (frame[1]! & 0x80) !== 0,
    sequence: ctrl & CTRL_SQN,
    useCrc,
    code: frame[i]!,
    data: frame.slice(i + 1, dataEnd),
    macInput: frame.slice(0, dataEnd),
  };
  if (scb) packet.scb = scb;
  if (macLength > 0) packet.mac = frame.slice(dataEnd, body);
  return packet;
}

/**
 * Finds packets in a byte stream: skips noise and mark bytes, resynchronises on the next SOM after a
 * bad header or check, drops a partial packet after an inter-character gap, and never holds more
 * than one maximum-size packet. Returns whole frames (SOM … check) whose check characters are valid.
 */
export class FrameDecoder {
  private buffer = new Uint8Array(MAX_PACKET * 2);
  private length = 0;
  private lastByteAt = Number.NEGATIVE_INFINITY;
  /** frames dropped for a bad length, check or timeout: for link statistics */
  dropped = 0;

  constructor(
    private readonly maxPacket = MAX_PACKET,
    private readonly interCharTimeoutMs = 20,
  ) {}

  push(bytes: Uint8Array, now = 0): Uint8Array[] {
    if (this.length > 0 && now - this.lastByteAt > this.interCharTimeoutMs) {
      // A gap inside a packet: the partial packet is abandoned and the stream resynchronises.
      this.length = 0;
      this.dropped++;
    }
    this.lastByteAt = now;
    const frames: Uint8Array[] = [];
    for (let offset = 0; offset < bytes.length; ) {
      const room = this.buffer.length - this.length;
      const take = Math.min(room, bytes.length - offset);
      this.buffer.set(bytes.subarray(offset, offset + take), this.length);
      this.length += take;
      offset += take;
      this.extract(frames);
    }
    return frames;
  }

  /** bytes held waiting for the rest of a packet */
  get pending(): number {
    return this.length;
  }

  reset(): void {
    this.length = 0;
  }

  private extract(frames: Uint8Array[]): void {
    let start = 0;
    while (start < this.length) {
      const som = this.buffer.indexOf(SOM, start);
      if (som < 0 || som >= this.length) {
        start = this.length;
        break;
      }
      start = som;
      if (this.length - start < HEADER) break;
      const length = this.buffer[start + 2]! | (this.buffer[start + 3]! << 8);
      if (length < 7 || length > this.maxPacket) {
        this.dropped++;
        start++;
        continue;
      }
      if (this.length - start < length) {
        // A noise byte that looks like SOM can claim a long length and stall the stream; if a later
        // SOM already starts a complete, valid packet, the earlier one was noise.
        const later = this.completeFrameAfter(start + 1);
        if (later < 0) break;
        this.dropped++;
        start = later;
        continue;
      }
      const frame = this.buffer.slice(start, start + length);
      try {
        parsePacket(frame);
        frames.push(frame);
        start += length;
      } catch {
        this.dropped++;
        start++;
      }
    }
    this.buffer.copyWithin(0, start, this.length);
    this.length -= start;
  }

  /** Index of the first SOM at or after `from` that begins a whole valid packet in the buffer, or -1. */
  private completeFrameAfter(from: number): number {
    for (
      let i = this.buffer.indexOf(SOM, from);
      i >= 0 && i + HEADER <= this.length;
      i = this.buffer.indexOf(SOM, i + 1)
    ) {
      const length = this.buffer[i + 2]! | (this.buffer[i + 3]! << 8);
      if (length < 7 || length > this.maxPacket || i + length > this.length) continue;
      try {
        parsePacket(this.buffer.subarray(i, i + length));
        return i;
      } catch {
        // not a packet: keep looking
      }
    }
    return -1;
  }
}
