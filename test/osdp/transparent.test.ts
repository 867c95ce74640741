// Transparent-mode (osdp_XWR / osdp_XRD) and biometric-match payloads: every command and reply
// round-trips through its codec; any byte string decodes to a valid message or to undefined, never
// a throw (a bad frame cannot crash a link).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBioMatch,
  decodeBioMatchReply,
  decodeXrd,
  decodeXwr,
  encodeBioMatch,
  encodeBioMatchReply,
  encodeXrd,
  encodeXwr,
  MAX_TRANSPARENT_APDU,
  type XrdReply,
  type XwrCommand,
} from '../../src/osdp/transparent.ts';

const u8 = fc.integer({ min: 0, max: 255 });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

const xwr: fc.Arbitrary<XwrCommand> = fc.oneof(
  fc.constant({ mode: 0 as const, command: 'get-mode' as const }),
  fc.record({
    mode: fc.constant(0 as const),
    command: fc.constant('set-mode' as const),
    setMode: fc.constantFrom(0 as const, 1 as const),
    reportCards: fc.boolean(),
  }),
  fc.record({
    mode: fc.constant(1 as const),
    command: fc.constant('apdu' as const),
    reader: u8,
    apdu: bytes(1, MAX_TRANSPARENT_APDU),
  }),
  fc.record({
    mode: fc.constant(1 as const),
    command: fc.constantFrom('done' as const, 'scan' as const),
    reader: u8,
  }),
);

const xrd: fc.Arbitrary<XrdReply> = fc.oneof(
  fc.record({
    mode: fc.constantFrom(0 as const, 1 as const),
    reply: fc.constant('error' as const),
    error: u8,
  }),
  fc.record({
    mode: fc.constant(0 as const),
    reply: fc.constant('current-mode' as const),
    currentMode: u8,
    reportCards: fc.boolean(),
  }),
  fc.record({
    mode: fc.constant(0 as const),
    reply: fc.constant('card-info' as const),
    reader: u8,
    protocol: u8,
    csn: bytes(0, 10),
    protocolData: bytes(0, 20),
  }),
  fc.record({
    mode: fc.constant(1 as const),
    reply: fc.constant('card-present' as const),
    reader: u8,
    status: u8,
  }),
  fc.record({
    mode: fc.constant(1 as const),
    reply: fc.constant('card-data' as const),
    reader: u8,
    status: u8,
    apdu: bytes(0, 100),
  }),
);

describe('transparent mode and biometric payloads', () => {
  it('round-trips every command and reply', () => {
    fc.assert(
      fc.property(xwr, (c) => {
        expect(decodeXwr(encodeXwr(c))).toEqual(c);
      }),
    );
    fc.assert(
      fc.property(xrd, (r) => {
        expect(decodeXrd(encodeXrd(r))).toEqual(r);
      }),
    );
    fc.assert(
      fc.property(
        fc.record({ reader: u8, type: u8, format: u8, quality: u8, template: bytes(0, 60) }),
        (c) => {
          expect(decodeBioMatch(encodeBioMatch(c))).toEqual(c);
        },
      ),
    );
    fc.assert(
      fc.property(fc.record({ reader: u8, status: u8, score: u8 }), (r) => {
        expect(decodeBioMatchReply(encodeBioMatchReply(r))).toEqual(r);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(bytes(0, 80), (data) => {
        for (const decode of [decodeXwr, decodeXrd, decodeBioMatch, decodeBioMatchReply]) {
          const value = decode(data);
          expect(value === undefined || typeof value === 'object').toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses to encode what does not fit', () => {
    expect(() => encodeXwr({ mode: 1, command: 'apdu', reader: 0, apdu: new Uint8Array(0) })).toThrow(
      RangeError,
    );
    expect(() =>
      encodeXwr({ mode: 1, command: 'apdu', reader: 0, apdu: new Uint8Array(MAX_TRANSPARENT_APDU + 1) }),
    ).toThrow(RangeError);
    expect(() => encodeXwr({ mode: 1, command: 'done', reader: 256 })).toThrow(RangeError);
  });
});
