// Mobile key tokens (contracts/mobile-token.ts) are read at the door and at the server from whatever
// a phone — or anyone — sends. The rule: the parser never throws; a token the device signed reads
// back as exactly the claim it signed; any other text (a changed character, another spelling of the
// same claim, a signature by another key) never passes as that device's signed claim.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  devicePublicKey,
  type MobileClaim,
  mobileToken,
  parseMobileToken,
  rawPublicKey,
  signingInput,
  verifySignature,
} from '../../src/contracts/mobile-token.ts';
import { SimPhone } from '../../src/sim/phone.ts';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64chars = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...B64), minLength: min, maxLength: max });
const idArb = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => s.length <= 64);
const claimArb: fc.Arbitrary<MobileClaim> = fc.record({
  device: b64chars(16, 43).map((s) => `md-${s}`),
  issuer: idArb,
  door: idArb,
  nonce: b64chars(16, 64),
  issuedAt: fc.integer({ min: 0, max: 2 ** 48 }),
});

function device(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}
const signed = (key: KeyObject, claim: MobileClaim) =>
  mobileToken(claim, new Uint8Array(sign('sha256', signingInput(claim), { key, dsaEncoding: 'ieee-p1363' })));

function verifies(text: string, publicKey: KeyObject): { claim: MobileClaim } | false {
  const parsed = parseMobileToken(text);
  return parsed.ok && verifySignature(publicKey, parsed.signed, parsed.signature)
    ? { claim: parsed.claim }
    : false;
}

describe('mobile key tokens', () => {
  const keys = device();
  const other = device();

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2000 }), fc.anything()), (text) => {
        const parsed = parseMobileToken(text);
        expect(typeof parsed.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
    expect(parseMobileToken(`mm1.${'A'.repeat(2000)}.x`)).toEqual({ ok: false, error: 'too long' });
  });

  it('reads a signed token back as exactly its claim, verified by the device key only', () => {
    fc.assert(
      fc.property(claimArb, (claim) => {
        const text = signed(keys.privateKey, claim);
        expect(verifies(text, keys.publicKey)).toEqual({ claim });
        expect(verifies(text, other.publicKey)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses every changed character', () => {
    fc.assert(
      fc.property(claimArb, fc.nat(), fc.constantFrom(...B64, '.', '=', '+', '/'), (claim, at, ch) => {
        const text = signed(keys.privateKey, claim);
        const i = at % text.length;
        const changed = text.slice(0, i) + ch + text.slice(i + 1);
        fc.pre(changed !== text);
        const passed = verifies(changed, keys.publicKey);
        // Passing would mean the same device signed this very claim (it did not: only `text`).
        expect(passed).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses another spelling of the same claim (keys reordered, spaces), even with a valid signature', () => {
    const claim: MobileClaim = {
      device: `md-${'a'.repeat(22)}`,
      issuer: 'ctl-1',
      door: 'D1',
      nonce: 'n'.repeat(24),
      issuedAt: 5,
    };
    const json = JSON.stringify({
      c: claim.issuer,
      d: claim.device,
      r: claim.door,
      n: claim.nonce,
      t: claim.issuedAt,
    });
    const payload = Buffer.from(json).toString('base64url');
    const sig = sign('sha256', Buffer.from(`mm1.${payload}`), {
      key: keys.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    const parsed = parseMobileToken(`mm1.${payload}.${Buffer.from(sig).toString('base64url')}`);
    expect(parsed).toEqual({ ok: false, error: 'payload: not in canonical form' });
  });

  it('names what is wrong without echoing the token', () => {
    const bad = parseMobileToken(
      `mm1.${Buffer.from('{"d":"secret-device"}').toString('base64url')}.${'A'.repeat(86)}`,
    );
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^payload\.d: /);
    expect(JSON.stringify(bad)).not.toContain('secret-device');
  });

  it('carries device keys to controllers as the uncompressed point, and refuses points off the curve', () => {
    const jwk = keys.publicKey.export({ format: 'jwk' }) as { kty: 'EC'; crv: 'P-256'; x: string; y: string };
    const raw = rawPublicKey(jwk);
    expect(Buffer.from(raw, 'base64url')).toHaveLength(65);
    const again = devicePublicKey(raw)!;
    const claim: MobileClaim = {
      device: `md-${'b'.repeat(22)}`,
      issuer: 'c',
      door: 'd',
      nonce: 'n'.repeat(16),
      issuedAt: 1,
    };
    expect(verifies(signed(keys.privateKey, claim), again)).toEqual({ claim });
    const offCurve = { ...jwk, y: Buffer.alloc(32, 7).toString('base64url') };
    expect(devicePublicKey(offCurve)).toBeUndefined();
    expect(devicePublicKey('AAAA')).toBeUndefined();
  });

  it('is what the simulated phone signs with WebCrypto (non-extractable key)', async () => {
    const phone = await SimPhone.create();
    expect(phone.privateKeyExtractable).toBe(false);
    phone.device = `md-${'c'.repeat(22)}`;
    const text = await phone.answer({ controller: 'ctl-1', door: 'D1', nonce: 'x'.repeat(24), issuedAt: 42 });
    const key = devicePublicKey(phone.publicKey)!;
    expect(verifies(text, key)).toEqual({
      claim: { device: phone.device, issuer: 'ctl-1', door: 'D1', nonce: 'x'.repeat(24), issuedAt: 42 },
    });
  });
});
