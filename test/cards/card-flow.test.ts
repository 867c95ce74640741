// Secure card credentials end to end: a factory card is encoded, then read by its diversified key
// after mutual authentication. The reader reports the credential, never the UID; a clone with the
// same UID but no key, a wrong master key, or a tampered response yields nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CardLink } from '../../src/cards/card-link.ts';
import { diversifyKey } from '../../src/cards/diversify.ts';
import { encodeCard } from '../../src/cards/encode.ts';
import { readCredential } from '../../src/cards/reader.ts';
import {
  bitsFromBytes,
  buildWiegand,
  bytesFromBits,
  parseWiegand,
  WIEGAND_INSECURE_REASON,
} from '../../src/cards/wiegand.ts';
import { SimulatedCard } from '../../src/sim/card.ts';
import { seededRandom } from '../osdp/support.ts';

const keys = {
  masterKey: Uint8Array.from({ length: 16 }, (_, i) => 0x30 + i),
  aid: Uint8Array.of(0xf5, 0x10, 0x01),
  systemId: Uint8Array.of(0x4d, 0x42),
};
const random = seededRandom(11).bytes;

function freshEncodedCard() {
  const card = new SimulatedCard({ random: seededRandom(21).bytes });
  const result = encodeCard(card, keys, { systemId: 7, id: 'C-1001', issue: 1 }, random);
  return { card, result };
}

describe('secure card credentials', () => {
  it('encodes a card and reads back its credential, not its UID', () => {
    const { card, result } = freshEncodedCard();
    expect(result).toEqual({ credentialId: 'C-1001', systemId: 7, issue: 1 });
    const read = readCredential(card, keys, random);
    expect(read).toEqual({ systemId: 7, id: 'C-1001', issue: 1 });
    expect(JSON.stringify(read)).not.toContain(Buffer.from(card.uid).toString('hex'));
  });

  it('gives nothing to a clone that copies the UID but has no key', () => {
    const { card } = freshEncodedCard();
    const clone = new SimulatedCard({ uid: card.uid, random: seededRandom(5).bytes });
    expect(() => readCredential(clone, keys, random)).toThrow(
      /did not prove it knows the key|wrong key or cloned card/,
    );
  });

  it('fails with the wrong master key', () => {
    const { card } = freshEncodedCard();
    expect(() => readCredential(card, { ...keys, masterKey: new Uint8Array(16).fill(9) }, random)).toThrow(
      /did not prove it knows the key|wrong key or cloned card/,
    );
  });

  it('rejects a tampered card response (cryptogram or MAC)', () => {
    const { card } = freshEncodedCard();
    for (const flipAt of ['auth', 'read'] as const) {
      const tampering: CardLink = {
        uid: card.uid,
        transceive: (command) => {
          const response = card.transceive(command).slice();
          const isAuth = command[0] === 0xaf;
          const isRead = command[0] === 0xbd;
          if ((flipAt === 'auth' && isAuth) || (flipAt === 'read' && isRead))
            response[response.length - 1]! ^= 0x01;
          return response;
        },
      };
      expect(() => readCredential(tampering, keys, random)).toThrow();
    }
    // The genuine card still reads fine afterwards.
    expect(readCredential(card, keys, random).id).toBe('C-1001');
  });

  it('refuses to read the credential file without authentication', () => {
    const { card } = freshEncodedCard();
    expect(card.transceive(Uint8Array.of(0xbd, 1, 0, 0, 0, 32, 0, 0, ...new Uint8Array(8)))[0]).toBe(0x9d);
  });

  it('diversifies deterministically and differently per UID', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 7, maxLength: 7 }),
        fc.uint8Array({ minLength: 7, maxLength: 7 }),
        (a, b) => {
          const ka = diversifyKey(keys.masterKey, a);
          expect(diversifyKey(keys.masterKey, a)).toEqual(ka);
          if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0)
            expect(diversifyKey(keys.masterKey, b)).not.toEqual(ka);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('legacy Wiegand', () => {
  it('parses 26-bit and 34-bit cards and flags them insecure', () => {
    const w26 = parseWiegand(buildWiegand('H10301', 18, 12345));
    expect(w26).toMatchObject({
      ok: true,
      format: 'H10301',
      facility: 18,
      card: 12345,
      insecure: true,
      reason: WIEGAND_INSECURE_REASON,
    });
    expect(parseWiegand(buildWiegand('H10306', 4321, 65535))).toMatchObject({
      ok: true,
      format: 'H10306',
      facility: 4321,
      card: 65535,
    });
  });

  it('round-trips every facility and card value (26-bit) and through OSDP RAW bytes', () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(65535), (facility, card) => {
        const bits = buildWiegand('H10301', facility, card);
        expect(parseWiegand(bitsFromBytes(bytesFromBits(bits), 26))).toMatchObject({
          ok: true,
          facility,
          card,
        });
      }),
    );
  });

  it('detects every single flipped bit: each bit is covered by one of the two parities', () => {
    fc.assert(
      fc.property(
        fc.nat(65535),
        fc.nat(65535),
        fc.constantFrom(26, 34),
        fc.nat(33),
        (facility, card, length, position) => {
          const bits =
            length === 26
              ? buildWiegand('H10301', facility & 0xff, card)
              : buildWiegand('H10306', facility, card);
          const flipped = bits.slice();
          flipped[position % length] = flipped[position % length]! ^ 1;
          expect(parseWiegand(flipped)).toMatchObject({ ok: false, error: 'parity' });
        },
      ),
    );
  });

  it('never throws on random bit strings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1, max: 2 }), { maxLength: 40 }), (bits) => {
        expect(() => parseWiegand(bits)).not.toThrow();
      }),
    );
  });
});
