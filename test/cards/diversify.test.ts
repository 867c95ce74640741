// NXP AN10922 AES-128 key diversification: every vector of osdp.md §8.3, byte-exact, and properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cmac, cmacSubkeys } from '../../src/cards/cmac.ts';
import { diversificationBlocks, diversificationInput, diversifyKey } from '../../src/cards/diversify.ts';
import { expectBytes, fromHex, hex } from './support.ts';

describe('AN10922 AES-128 (osdp.md §8.3)', () => {
  const K = fromHex('00112233445566778899AABBCCDDEEFF');
  const uid = fromHex('04782E21801D80');
  const aid = fromHex('3042F5');
  const system = fromHex('4E585020416275'); // "NXP Abu"
  const M = diversificationInput(uid, aid, system);

  it('builds M = UID ‖ AID ‖ system identifier', () => {
    expectBytes(M, '04782E21801D80 3042F5 4E585020416275', 'M');
  });

  it('derives K0, K1, K2', () => {
    const { k0, k1, k2 } = cmacSubkeys(K);
    expectBytes(k0, 'FDE4FBAE4A09E020EFF722969F83832B', 'K0');
    expectBytes(k1, 'FBC9F75C9413C041DFEE452D3F0706D1', 'K1');
    expectBytes(k2, 'F793EEB928278083BFDC8A5A7E0E0D25', 'K2');
  });

  it('pads 0x01 ‖ M to 32 bytes and masks the last block with K2', () => {
    expectBytes(
      diversificationBlocks(K, M),
      '0104782E21801D803042F54E5850204195E66EB928278083BFDC8A5A7E0E0D25',
      'padded ⊕ K2',
    );
  });

  it('gives the published diversified key', () => {
    expectBytes(diversifyKey(K, M), 'A8DD63A3B89D54B37CA802473FDA9175', 'diversified key');
  });

  it('matches the AN10957 example, which is not plain CMAC for a short input', () => {
    const k = fromHex('F3F9377698707B688EAF84ABE39E3791');
    expectBytes(diversifyKey(k, fromHex('04DEADBEEFFEED')), '0BB408BAFF98B6EE9F2E1585777F6A51', 'AN10957');
    expectBytes(cmac(k, fromHex('01 04DEADBEEFFEED')), '721E2C01E81AF85D815633969CEA2607', 'plain CMAC');
  });

  it('equals CMAC(K, 0x01 ‖ M) once 0x01 ‖ M is 17 bytes or more (the trap only bites short inputs)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 31 }),
        (k, m) => {
          expect(hex(diversifyKey(k, m))).toBe(hex(cmac(k, Uint8Array.from([0x01, ...m]))));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses inputs AN10922 does not define', () => {
    expect(() => diversifyKey(K, new Uint8Array())).toThrow(RangeError);
    expect(() => diversifyKey(K, new Uint8Array(32))).toThrow(RangeError);
    expect(() => diversifyKey(new Uint8Array(24), M)).toThrow(RangeError);
    expect(() => diversificationInput(new Uint8Array(5), aid, system)).toThrow(RangeError);
    expect(() => diversificationInput(uid, aid, new Uint8Array(22))).toThrow(RangeError);
  });
});

describe('diversification properties', () => {
  const master = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 ^ i);
  const aid = Uint8Array.of(0x01, 0x4d, 0xf5);
  const system = Uint8Array.of(0x4d, 0x42, 0x00, 0x01);
  const uid7 = fc.uint8Array({ minLength: 7, maxLength: 7 });

  it('is deterministic', () => {
    fc.assert(
      fc.property(uid7, (uid) => {
        const input = diversificationInput(uid, aid, system);
        expect(hex(diversifyKey(master, input))).toBe(hex(diversifyKey(master, input.slice())));
      }),
      { numRuns: 200 },
    );
  });

  it('gives distinct keys to distinct UIDs, and to the same UID under another master key or system', () => {
    fc.assert(
      fc.property(uid7, uid7, (a, b) => {
        fc.pre(hex(a) !== hex(b));
        const ka = hex(diversifyKey(master, diversificationInput(a, aid, system)));
        expect(hex(diversifyKey(master, diversificationInput(b, aid, system)))).not.toBe(ka);
        const otherMaster = master.slice();
        otherMaster[0]! ^= 1;
        expect(hex(diversifyKey(otherMaster, diversificationInput(a, aid, system)))).not.toBe(ka);
        expect(hex(diversifyKey(master, diversificationInput(a, aid, Uint8Array.of(9))))).not.toBe(ka);
      }),
      { numRuns: 200 },
    );
  });

  it('never returns the master key or the input', () => {
    fc.assert(
      fc.property(uid7, (uid) => {
        const key = hex(diversifyKey(master, diversificationInput(uid, aid, system)));
        expect(key).not.toBe(hex(master));
        expect(key).not.toContain(hex(uid));
      }),
      { numRuns: 100 },
    );
  });
});
