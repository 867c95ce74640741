// Card cryptography against published vectors, byte-exact: RFC 4493 AES-CMAC, NXP AN10922 key
// diversification (and AN10957), and AN12196 EV2 authentication and secure messaging.
import { describe, it } from 'vitest';
import { cmac, cmacSubkeys, rotateLeft } from '../../src/cards/aes.ts';
import { diversifyKey } from '../../src/cards/diversify.ts';
import {
  authDecrypt,
  authEncrypt,
  commandMac,
  deriveEv2Session,
  encryptCommandData,
  truncatedMac,
} from '../../src/cards/ev2.ts';
import { fromHex, hex } from '../../src/osdp/bytes.ts';

function same(actual: Uint8Array, expected: string): void {
  const want = hex(fromHex(expected));
  if (hex(actual) !== want) throw new Error(`bytes differ\n  expected ${want}\n  actual   ${hex(actual)}`);
}

describe('AES-CMAC (RFC 4493)', () => {
  const key = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
  it('computes subkeys and the four example MACs', () => {
    const { k1, k2 } = cmacSubkeys(key);
    same(k1, 'fbeed618357133667c85e08f7236a8de');
    same(k2, 'f7ddac306ae266ccf90bc11ee46d513b');
    same(cmac(key, new Uint8Array()), 'bb1d6929e95937287fa37d129b756746');
    same(cmac(key, fromHex('6bc1bee22e409f96e93d7e117393172a')), '070a16b46b4d4144f79bdd9dd04a287c');
    same(
      cmac(key, fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411')),
      'dfa66747de9ae63030ca32611497c827',
    );
    same(
      cmac(
        key,
        fromHex(
          '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
        ),
      ),
      '51f0bebf7e3b9d92fc49741779363cfe',
    );
  });
});

describe('AN10922 key diversification', () => {
  it('matches the AN10922 AES-128 example', () => {
    const key = fromHex('00112233445566778899AABBCCDDEEFF');
    const { k1, k2 } = cmacSubkeys(key);
    same(k1, 'FBC9F75C9413C041DFEE452D3F0706D1');
    same(k2, 'F793EEB928278083BFDC8A5A7E0E0D25');
    same(
      diversifyKey(key, fromHex('04782E21801D80 3042F5 4E585020416275')),
      'A8DD63A3B89D54B37CA802473FDA9175',
    );
  });
  it('matches the AN10957 example, which differs from plain CMAC for short inputs', () => {
    const key = fromHex('F3F9377698707B688EAF84ABE39E3791');
    same(diversifyKey(key, fromHex('04DEADBEEFFEED')), '0BB408BAFF98B6EE9F2E1585777F6A51');
    same(cmac(key, fromHex('01 04DEADBEEFFEED')), '721E2C01E81AF85D815633969CEA2607');
  });
});

describe('AN12196 EV2 authentication and secure messaging', () => {
  const K = new Uint8Array(16);
  const rndB = fromHex('B9E2FC789B64BF237CCCAA20EC7E6E48');
  const rndA = fromHex('13C5DB8A5930439FC3DEF9A4C675360F');
  it('runs AuthenticateEV2First to the session keys', () => {
    same(authDecrypt(K, fromHex('A04C124213C186F22399D33AC2A30215')), hex(rndB));
    same(
      authEncrypt(K, Uint8Array.from([...rndA, ...rotateLeft(rndB)])),
      '35C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D',
    );
    const part2 = authDecrypt(K, fromHex('3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F08120663'));
    same(part2.subarray(0, 4), '9D00C4DF');
    same(part2.subarray(4, 20), hex(rotateLeft(rndA)));
    const session = deriveEv2Session(K, rndA, rndB, part2.subarray(0, 4));
    same(session.encKey, '1309C877509E5A215007FF0ED19CA564');
    same(session.macKey, '4C6626F5E72EA694202139295C7A7FC7');
  });
  it('encrypts and MACs ChangeFileSettings with CmdCtr 1', () => {
    const session = deriveEv2Session(K, rndA, rndB, fromHex('9D00C4DF'));
    const cipher = encryptCommandData(session, 1, fromHex('4000E0C1F121200000430000430000'));
    same(cipher, '61B6D97903566E84C3AE5274467E89EA');
    same(commandMac(session, 0x5f, 1, Uint8Array.from([0x02, ...cipher])), 'D799B7C1A0EF7A04');
  });
  it('truncates a MAC to its odd-index bytes (AN12196 Table 8)', () => {
    same(
      truncatedMac(fromHex('8248134A386E86EB7FAF54A52E536CB6'), fromHex('F500007A21085E02')),
      '6597A457C8CD442C',
    );
  });
});
