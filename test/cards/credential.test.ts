// The credential record: round trip, validation, and rejection of malformed or corrupted records.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_FILE_SIZE,
  crc16,
  decodeCredential,
  encodeCredential,
} from '../../src/cards/credential.ts';
import { expectBytes } from './support.ts';

const idArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
const credentialArb = fc.record({
  systemId: fc.nat(0xffffffff),
  id: idArb,
  issue: fc.nat(0xffff),
});

describe('credential record', () => {
  it('has a fixed, documented layout', () => {
    const record = encodeCredential({ systemId: 7, id: 'C-1001', issue: 1 });
    // magic, version, systemId, issue, length, "C-1001", zero fill, then the check value
    expectBytes(record, '4D42 01 00000007 0001 06 432D31303031 0000000000000000000000000000 4F8F', 'record');
    // The check value, recomputed here bit by bit, independently of crc16().
    expect(crc(record.subarray(0, 30))).toBe(0x4f8f);
  });

  it('uses CRC-16/CCITT-FALSE as its check value', () => {
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x29b1);
  });

  it('round-trips every valid credential', () => {
    fc.assert(
      fc.property(credentialArb, (c) => {
        const bytes = encodeCredential(c);
        expect(bytes.length).toBe(CREDENTIAL_FILE_SIZE);
        expect(decodeCredential(bytes)).toEqual({ ok: true, credential: c });
      }),
    );
  });

  it('rejects every single-bit corruption', () => {
    fc.assert(
      fc.property(credentialArb, fc.nat(CREDENTIAL_FILE_SIZE * 8 - 1), (c, bit) => {
        const bytes = encodeCredential(c);
        bytes[bit >>> 3]! ^= 1 << (bit & 7);
        expect(decodeCredential(bytes).ok).toBe(false);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(() => decodeCredential(bytes)).not.toThrow();
      }),
    );
  });

  it('names the reason a record is refused', () => {
    const good = encodeCredential({ systemId: 1, id: 'A', issue: 0 });
    expect(decodeCredential(good.subarray(0, 31))).toEqual({ ok: false, error: 'length' });
    const wrongVersion = good.slice();
    wrongVersion[2] = 2;
    expect(decodeCredential(wrongVersion)).toEqual({ ok: false, error: 'version' });
    expect(decodeCredential(new Uint8Array(32))).toEqual({ ok: false, error: 'magic' });
  });

  it.each([
    { systemId: 1, id: '', issue: 0 },
    { systemId: 1, id: 'x'.repeat(21), issue: 0 },
    { systemId: 1, id: 'ü', issue: 0 },
    { systemId: -1, id: 'A', issue: 0 },
    { systemId: 2 ** 32, id: 'A', issue: 0 },
    { systemId: 1, id: 'A', issue: 65536 },
    { systemId: 1.5, id: 'A', issue: 0 },
  ])('refuses to encode an invalid credential (%o) without echoing it', (c) => {
    expect(() => encodeCredential(c)).toThrow(RangeError);
    try {
      encodeCredential(c);
    } catch (error) {
      if (c.id.length > 0) expect((error as Error).message).not.toContain(c.id);
    }
  });
});

/** Independent bitwise CRC-16/CCITT-FALSE, written differently from crc16(). */
function crc(bytes: Uint8Array): number {
  let value = 0xffff;
  for (const byte of bytes)
    for (let bit = 7; bit >= 0; bit--) {
      const top = ((value >>> 15) ^ (byte >>> bit)) & 1;
      value = ((value << 1) & 0xffff) ^ (top ? 0x1021 : 0);
    }
  return value;
}
