// The phone page's own script (/m/mobile.js, served as written in server/mobile/page.ts) signs in the
// one token format: run in Node with WebCrypto, its registration proof and its tokens are what the
// server and the controller verify (contracts/mobile-token.ts) — so the page, the simulated phone
// and the verifiers cannot drift apart unnoticed. Its device key is not extractable.
import { webcrypto } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  devicePublicKey,
  type MobileClaim,
  type PublicJwk,
  parseMobileToken,
  registrationInput,
  verifySignature,
} from '../../../src/contracts/mobile-token.ts';
import { MOBILE_PAGE_SCRIPT } from '../../../src/server/mobile/page.ts';

interface PageApi {
  newDevice(): Promise<{ privateKey: webcrypto.CryptoKey; publicKey: PublicJwk }>;
  token(key: webcrypto.CryptoKey, claim: MobileClaim): Promise<string>;
  registration(
    key: webcrypto.CryptoKey,
    publicKey: PublicJwk,
    invitation: string,
    name: string,
  ): Promise<{ token: string; deviceName: string; publicKey: PublicJwk; proof: string }>;
}

function loadPage(): PageApi {
  // No document: the script only defines its functions (the page part needs a browser).
  const self: { monbanMobile?: PageApi } = {};
  runInNewContext(MOBILE_PAGE_SCRIPT, {
    self,
    crypto: webcrypto,
    TextEncoder,
    btoa,
    JSON,
    String,
    Uint8Array,
  });
  return self.monbanMobile!;
}

describe('the /m/ page script', () => {
  it('registers and signs tokens the verifiers accept', async () => {
    const page = loadPage();
    const made = await page.newDevice();
    expect(made.privateKey.extractable).toBe(false);
    const key = devicePublicKey(made.publicKey)!;

    const invitation = `mmi_${'a'.repeat(43)}`;
    const body = await page.registration(made.privateKey, made.publicKey, invitation, 'Pixel');
    expect(verifySignature(key, registrationInput(invitation), Buffer.from(body.proof, 'base64url'))).toBe(
      true,
    );

    // Non-ASCII ids too: the page and Node encode the payload alike.
    const claim: MobileClaim = {
      device: `md-${'Q'.repeat(22)}`,
      issuer: 'ctl-本館',
      door: 'サーバ室',
      nonce: 'n'.repeat(24),
      issuedAt: 1_767_225_600_123,
    };
    const token = await page.token(made.privateKey, claim);
    const parsed = parseMobileToken(token);
    expect(parsed.ok && parsed.claim).toEqual(claim);
    expect(parsed.ok && verifySignature(key, parsed.signed, parsed.signature)).toBe(true);
  });
});
