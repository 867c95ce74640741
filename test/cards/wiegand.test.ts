// Legacy Wiegand: H10301 (26-bit) and H10306-style (34-bit) build and parse, parity coverage, and
// the insecure flag on every result.
//
// Parity coverage (positions from 0 = first bit on the wire):
//   26-bit: bit 0 = even parity over bits 1-12, bit 25 = odd parity over bits 13-24
//   34-bit: bit 0 = even parity over bits 1-16, bit 33 = odd parity over bits 17-32
// So every single bit flip (parity bits included) is detected, by the even check for a flip in the
// first half (bit 0 included) and by the odd check for a flip in the second half (last bit included).
// Two flips in the same half cancel out and are NOT detected; two flips in different halves fail both.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bitsFromBytes,
  buildWiegand,
  buildWiegandString,
  bytesFromBits,
  parseWiegand,
  WIEGAND_INSECURE_REASON,
  WIEGAND_LAYOUTS,
  type WiegandFormat,
} from '../../src/cards/wiegand.ts';

const frameArb = fc.oneof(
  fc.record({ format: fc.constant<WiegandFormat>('H10301'), facility: fc.nat(0xff), card: fc.nat(0xffff) }),
  fc.record({ format: fc.constant<WiegandFormat>('H10306'), facility: fc.nat(0xffff), card: fc.nat(0xffff) }),
);

describe('Wiegand frames', () => {
  it('builds a hand-checked H10301 frame: facility 18, card 12345', () => {
    // facility 00010010 (two 1s) + card bits 1-4 "0011" (two 1s): even parity over bits 1-12 -> 0
    // card 0011000000111001 -> bits 13-24 "000000111001" (four 1s): odd parity -> 1
    expect(buildWiegandString('H10301', 18, 12345)).toBe('0' + '00010010' + '0011000000111001' + '1');
  });

  it('builds a hand-checked 34-bit frame: facility 1, card 1', () => {
    expect(buildWiegandString('H10306', 1, 1)).toBe('1' + '0000000000000001' + '0000000000000001' + '0');
  });

  it('parses 26-bit and 34-bit frames and flags them insecure, with the reason', () => {
    expect(parseWiegand(buildWiegand('H10301', 18, 12345))).toEqual({
      ok: true,
      format: 'H10301',
      facility: 18,
      card: 12345,
      insecure: true,
      reason:
        'Wiegand carries a static card number readable and replayable by anyone with access to the wire',
    });
    expect(parseWiegand('1 0000000000000001 0000000000000001 0')).toMatchObject({
      ok: true,
      format: 'H10306',
      facility: 1,
      card: 1,
    });
  });

  it('round-trips every facility and card value, as bit arrays, strings, booleans and RAW bytes', () => {
    fc.assert(
      fc.property(frameArb, ({ format, facility, card }) => {
        const bits = buildWiegand(format, facility, card);
        expect(bits.length).toBe(WIEGAND_LAYOUTS[format].length);
        const want = { ok: true, format, facility, card, insecure: true };
        expect(parseWiegand(bits)).toMatchObject(want);
        expect(parseWiegand(bits.join(''))).toMatchObject(want);
        expect(parseWiegand(bits.map((b) => b === 1))).toMatchObject(want);
        expect(parseWiegand(bitsFromBytes(bytesFromBits(bits), bits.length))).toMatchObject(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips exhaustively: every 26-bit card number, every 26-bit facility, every 34-bit facility', () => {
    for (let card = 0; card <= 0xffff; card++) {
      const r = parseWiegand(buildWiegand('H10301', card & 0xff, card));
      if (!r.ok || r.facility !== (card & 0xff) || r.card !== card) throw new Error(`26-bit card ${card}`);
    }
    for (let facility = 0; facility <= 0xffff; facility++) {
      const r = parseWiegand(buildWiegand('H10306', facility, 0xffff - facility));
      if (!r.ok || r.facility !== facility || r.card !== 0xffff - facility)
        throw new Error(`34-bit fac ${facility}`);
    }
  });

  it('detects every single bit flip, by the check that covers that bit', () => {
    fc.assert(
      fc.property(frameArb, ({ format, facility, card }) => {
        const bits = buildWiegand(format, facility, card);
        const half = bits.length / 2; // 13 or 17: bits 0..half-1 under even parity, the rest under odd
        for (let position = 0; position < bits.length; position++) {
          const flipped = bits.slice();
          flipped[position] = flipped[position]! ^ 1;
          expect(parseWiegand(flipped)).toEqual({
            ok: false,
            error: 'parity',
            failed: { even: position < half, odd: position >= half },
            format,
            insecure: true,
            reason: WIEGAND_INSECURE_REASON,
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not detect two flips in the same half (parity is no protection), but does across halves', () => {
    fc.assert(
      fc.property(frameArb, fc.nat(100), fc.nat(100), ({ format, facility, card }, a, b) => {
        const bits = buildWiegand(format, facility, card);
        const half = bits.length / 2;
        const [i, j] = [a % half, (a + 1 + (b % (half - 1))) % half];
        const sameHalf = bits.slice();
        sameHalf[i] = sameHalf[i]! ^ 1;
        sameHalf[j] = sameHalf[j]! ^ 1;
        expect(parseWiegand(sameHalf).ok).toBe(true);
        const across = bits.slice();
        across[i] = across[i]! ^ 1;
        across[half + (b % half)] = across[half + (b % half)]! ^ 1;
        expect(parseWiegand(across)).toMatchObject({ ok: false, failed: { even: true, odd: true } });
      }),
    );
  });

  it('never throws on random input, and flags every result insecure', () => {
    const junk = fc.oneof(
      fc.array(fc.integer({ min: -2, max: 3 }), { maxLength: 40 }),
      fc.array(fc.constantFrom(0, 1), { maxLength: 40 }),
      fc.array(fc.boolean(), { maxLength: 40 }),
      fc.string({ maxLength: 40 }),
      fc.stringMatching(/^[01 ]{0,40}$/),
      fc.anything(),
    );
    fc.assert(
      fc.property(junk, (input) => {
        const result = parseWiegand(input as string);
        expect(result.insecure).toBe(true);
        expect(result.reason).toBe(WIEGAND_INSECURE_REASON);
      }),
      { numRuns: 2000 },
    );
  });

  it('reports lengths it does not know and non-bit input', () => {
    expect(parseWiegand('0101')).toMatchObject({ ok: false, error: 'length' });
    expect(parseWiegand('01x1')).toMatchObject({ ok: false, error: 'invalid' });
    expect(parseWiegand([0, 1, 2])).toMatchObject({ ok: false, error: 'invalid' });
  });

  it('refuses to build out-of-range values', () => {
    expect(() => buildWiegand('H10301', 256, 0)).toThrow(RangeError);
    expect(() => buildWiegand('H10301', 0, 65536)).toThrow(RangeError);
    expect(() => buildWiegand('H10306', 65536, 0)).toThrow(RangeError);
    expect(() => buildWiegand('H10306', 1.5, 0)).toThrow(RangeError);
  });
});
