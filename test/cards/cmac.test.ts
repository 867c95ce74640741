// AES-CMAC (RFC 4493 §4 examples, byte-exact) and the CBC mode built on single AES blocks.
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cbcDecrypt, cbcEncrypt } from '../../src/cards/aes.ts';
import { cmac, cmacSubkeys } from '../../src/cards/cmac.ts';
import { expectBytes, fromHex } from './support.ts';

const KEY = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
const M64 = fromHex(
  '6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710',
);

describe('AES-CMAC, RFC 4493', () => {
  it('derives the subkeys (§4, "Subkey Generation")', () => {
    const { k0, k1, k2 } = cmacSubkeys(KEY);
    expectBytes(k0, '7df76b0c1ab899b33e42f047b91b546f', 'AES-128(key, 0)');
    expectBytes(k1, 'fbeed618357133667c85e08f7236a8de', 'K1');
    expectBytes(k2, 'f7ddac306ae266ccf90bc11ee46d513b', 'K2');
  });

  it.each([
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ])('example with a %i-byte message', (length, tag) => {
    expectBytes(cmac(KEY, M64.subarray(0, length)), tag, `CMAC of ${length} bytes`);
  });
});

describe('AES-CBC on single blocks', () => {
  it('agrees with node:crypto aes-128-cbc and decrypts back', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 4 }).chain((n) => fc.uint8Array({ minLength: n * 16, maxLength: n * 16 })),
        (key, iv, data) => {
          const ours = cbcEncrypt(key, iv, data);
          const c = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
          expect(Buffer.from(ours)).toEqual(Buffer.concat([c.update(data), c.final()]));
          expect(cbcDecrypt(key, iv, ours)).toEqual(data);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses partial blocks and wrong key sizes without echoing them', () => {
    expect(() => cbcEncrypt(new Uint8Array(16), new Uint8Array(16), new Uint8Array(5))).toThrow(
      /whole 16-byte/,
    );
    expect(() => cbcEncrypt(new Uint8Array(8), new Uint8Array(16), new Uint8Array(16))).toThrow(/16 bytes$/);
  });
});
