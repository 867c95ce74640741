// Legacy Wiegand formats, for existing installations only: 26-bit H10301 (8-bit facility code,
// 16-bit card number) and 34-bit H10306 (16-bit facility, 16-bit card). Every parse result, good or
// bad, is flagged insecure, so whatever consumes it (decisions, events, the UI) can say so.
//
// Bit positions below count from 0 = the first bit on the wire. Parity coverage, for both formats:
//   bit 0            even parity over the first half of the data bits (26: bits 1-12, 34: bits 1-16)
//   last bit         odd parity over the second half                 (26: bits 13-24, 34: bits 17-32)
// Every bit, parity bits included, is covered by exactly one of the two checks, so any single flipped
// bit is detected. Two flips in the same half are NOT detected (they cancel out); parity is error
// detection for a noisy wire, not protection against anyone.

export const WIEGAND_INSECURE_REASON =
  'Wiegand carries a static card number readable and replayable by anyone with access to the wire';

export type WiegandFormat = 'H10301' | 'H10306';

export interface WiegandLayout {
  format: WiegandFormat;
  length: number;
  facilityBits: number;
  cardBits: number;
}

export const WIEGAND_LAYOUTS: Readonly<Record<WiegandFormat, WiegandLayout>> = {
  H10301: { format: 'H10301', length: 26, facilityBits: 8, cardBits: 16 },
  H10306: { format: 'H10306', length: 34, facilityBits: 16, cardBits: 16 },
};

interface Insecure {
  insecure: true;
  reason: typeof WIEGAND_INSECURE_REASON;
}

export type WiegandResult =
  | (Insecure & { ok: true; format: WiegandFormat; facility: number; card: number })
  | (Insecure & { ok: false; error: 'invalid' | 'length' })
  | (Insecure & {
      ok: false;
      error: 'parity';
      /** which checks failed: the leading even parity, the trailing odd parity, or both */
      failed: { even: boolean; odd: boolean };
      format: WiegandFormat;
    });

export type WiegandInput = string | readonly number[] | readonly boolean[];

const INSECURE: Insecure = { insecure: true, reason: WIEGAND_INSECURE_REASON };

function layoutFor(length: number): WiegandLayout | undefined {
  return Object.values(WIEGAND_LAYOUTS).find((l) => l.length === length);
}

/** Normalises a '0'/'1' string (spaces, '_' and '-' ignored) or an array of 0/1 or booleans. */
function toBits(input: WiegandInput): number[] | undefined {
  if (typeof input === 'string') {
    const cleaned = input.replace(/[\s_-]/g, '');
    return /^[01]*$/.test(cleaned) ? Array.from(cleaned, (c) => (c === '1' ? 1 : 0)) : undefined;
  }
  const bits: number[] = [];
  for (const b of input as readonly unknown[]) {
    if (b === 0 || b === false) bits.push(0);
    else if (b === 1 || b === true) bits.push(1);
    else return undefined;
  }
  return bits;
}

function ones(bits: readonly number[]): number {
  return bits.reduce((n, b) => n + b, 0);
}

function value(bits: readonly number[]): number {
  return bits.reduce((n, b) => n * 2 + b, 0);
}

/** Parses a Wiegand frame, first bit first. Never throws, whatever the input. */
export function parseWiegand(input: WiegandInput): WiegandResult {
  const bits = typeof input === 'string' || Array.isArray(input) ? toBits(input) : undefined;
  if (!bits) return { ok: false, error: 'invalid', ...INSECURE };
  const layout = layoutFor(bits.length);
  if (!layout) return { ok: false, error: 'length', ...INSECURE };
  const data = bits.slice(1, -1);
  const half = data.length / 2;
  const evenFailed = (ones(data.slice(0, half)) + bits[0]!) % 2 !== 0;
  const oddFailed = (ones(data.slice(half)) + bits[bits.length - 1]!) % 2 !== 1;
  if (evenFailed || oddFailed)
    return {
      ok: false,
      error: 'parity',
      failed: { even: evenFailed, odd: oddFailed },
      format: layout.format,
      ...INSECURE,
    };
  return {
    ok: true,
    format: layout.format,
    facility: value(data.slice(0, layout.facilityBits)),
    card: value(data.slice(layout.facilityBits)),
    ...INSECURE,
  };
}

/** Builds a Wiegand frame as an array of 0/1, first bit first, parity bits included. */
export function buildWiegand(format: WiegandFormat, facility: number, card: number): number[] {
  const layout = WIEGAND_LAYOUTS[format];
  if (!layout) throw new RangeError('unknown Wiegand format');
  if (!Number.isInteger(facility) || facility < 0 || facility >= 2 ** layout.facilityBits)
    throw new RangeError(`the ${format} facility code is ${layout.facilityBits} bits`);
  if (!Number.isInteger(card) || card < 0 || card >= 2 ** layout.cardBits)
    throw new RangeError(`the ${format} card number is ${layout.cardBits} bits`);
  const field = (n: number, width: number) =>
    Array.from({ length: width }, (_, i) => (n >>> (width - 1 - i)) & 1);
  const data = [...field(facility, layout.facilityBits), ...field(card, layout.cardBits)];
  const half = data.length / 2;
  const even = ones(data.slice(0, half)) % 2;
  const odd = 1 - (ones(data.slice(half)) % 2);
  return [even, ...data, odd];
}

/** The same frame as a '0'/'1' string. */
export function buildWiegandString(format: WiegandFormat, facility: number, card: number): string {
  return buildWiegand(format, facility, card).join('');
}

/** Bits from an OSDP RAW payload: the first bit is the most significant bit of the first byte. */
export function bitsFromBytes(data: Uint8Array, count: number): number[] {
  const usable = Math.min(count, data.length * 8);
  return Array.from({ length: usable }, (_, i) => (data[i >>> 3]! >>> (7 - (i & 7))) & 1);
}

export function bytesFromBits(bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) out[i >>> 3]! |= 0x80 >>> (i & 7);
  });
  return out;
}
