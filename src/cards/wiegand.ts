// Legacy Wiegand formats, for existing installations: 26-bit H10301 (8-bit facility, 16-bit card)
// and 34-bit H10306 (16-bit facility, 16-bit card). Every result is flagged insecure: a Wiegand
// number is static, readable and replayable by anyone with access to the card or the wire.

export const WIEGAND_INSECURE_REASON =
  'Wiegand carries a static card number readable and replayable by anyone with access to the card or the wire';

export type WiegandFormat = 'H10301' | 'H10306';

export type WiegandResult =
  | { ok: true; format: WiegandFormat; facility: number; card: number; insecure: true; reason: string }
  | { ok: false; error: 'length' | 'parity'; insecure: true; reason: string };

const LAYOUT: Record<number, { format: WiegandFormat; facilityBits: number; cardBits: number }> = {
  26: { format: 'H10301', facilityBits: 8, cardBits: 16 },
  34: { format: 'H10306', facilityBits: 16, cardBits: 16 },
};

function ones(bits: readonly number[]): number {
  return bits.reduce((n, b) => n + b, 0);
}

/**
 * Parses a Wiegand bit sequence (first bit first). Leading parity is even over the first half of the
 * data bits; trailing parity is odd over the second half. A single flipped bit anywhere is detected.
 */
export function parseWiegand(bits: readonly number[]): WiegandResult {
  const base = { insecure: true as const, reason: WIEGAND_INSECURE_REASON };
  const layout = LAYOUT[bits.length];
  if (!layout || bits.some((b) => b !== 0 && b !== 1)) return { ok: false, error: 'length', ...base };
  const data = bits.slice(1, -1);
  const half = data.length / 2;
  const evenOk = (ones(data.slice(0, half)) + bits[0]!) % 2 === 0;
  const oddOk = (ones(data.slice(half)) + bits[bits.length - 1]!) % 2 === 1;
  if (!evenOk || !oddOk) return { ok: false, error: 'parity', ...base };
  const value = (slice: readonly number[]) => slice.reduce((n, b) => n * 2 + b, 0);
  return {
    ok: true,
    format: layout.format,
    facility: value(data.slice(0, layout.facilityBits)),
    card: value(data.slice(layout.facilityBits)),
    ...base,
  };
}

export function buildWiegand(format: WiegandFormat, facility: number, card: number): number[] {
  const layout = Object.values(LAYOUT).find((l) => l.format === format)!;
  if (!Number.isInteger(facility) || facility < 0 || facility >= 2 ** layout.facilityBits)
    throw new RangeError('facility code out of range');
  if (!Number.isInteger(card) || card < 0 || card >= 2 ** layout.cardBits)
    throw new RangeError('card number out of range');
  const toBits = (n: number, width: number) =>
    Array.from({ length: width }, (_, i) => (n >>> (width - 1 - i)) & 1);
  const data = [...toBits(facility, layout.facilityBits), ...toBits(card, layout.cardBits)];
  const half = data.length / 2;
  const even = ones(data.slice(0, half)) % 2;
  const odd = 1 - (ones(data.slice(half)) % 2);
  return [even, ...data, odd];
}

/** Bits from an OSDP RAW payload: first bit in the most significant bit of the first byte. */
export function bitsFromBytes(data: Uint8Array, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (data[i >>> 3]! >>> (7 - (i & 7))) & 1);
}

export function bytesFromBits(bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) out[i >>> 3]! |= 0x80 >>> (i & 7);
  });
  return out;
}
