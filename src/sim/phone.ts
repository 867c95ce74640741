// A simulated phone with a mobile key (R-KEY-2), for tests and the demo. It does what the phone
// page (/m/, server/mobile/page.ts) does in a browser, with the same WebCrypto calls: an ECDSA P-256
// key pair made with `extractable: false` (the private key cannot be exported, here as there), the
// public key exported as a JWK, and tokens in the one format of contracts/mobile-token.ts signed
// with crypto.subtle.sign.

import { webcrypto } from 'node:crypto';
import {
  type MobileClaim,
  mobileToken,
  type PublicJwk,
  registrationInput,
  SERVER_ISSUER,
  signingInput,
} from '../contracts/mobile-token.ts';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const subtle = webcrypto.subtle;

/** A challenge as a controller (sim driver `challenge`) or the server hands it out. */
export interface Challenge {
  /** the controller id, or absent/`~server` for the server's */
  controller?: string;
  door: string;
  nonce: string;
  issuedAt: number;
}

export class SimPhone {
  /** the device id the server gave at registration */
  device: string | undefined;

  private constructor(
    private readonly keys: webcrypto.CryptoKeyPair,
    readonly publicKey: PublicJwk,
  ) {}

  static async create(): Promise<SimPhone> {
    const keys = (await subtle.generateKey(ALGORITHM, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const jwk = await subtle.exportKey('jwk', keys.publicKey);
    return new SimPhone(keys, { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! });
  }

  /** Whether the private key could leave the phone (it cannot: false). */
  get privateKeyExtractable(): boolean {
    return this.keys.privateKey.extractable;
  }

  private async sign(bytes: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await subtle.sign(SIGN, this.keys.privateKey, bytes));
  }

  /** The body of POST /api/mobile/register for an invitation token. */
  async registration(invitationToken: string, deviceName: string) {
    const proof = await this.sign(registrationInput(invitationToken));
    return {
      token: invitationToken,
      deviceName,
      publicKey: this.publicKey,
      proof: Buffer.from(proof).toString('base64url'),
    };
  }

  /** The token answering a challenge (a controller's at the door, or the server's). */
  async answer(challenge: Challenge): Promise<string> {
    if (!this.device) throw new Error('the phone is not registered');
    return this.tokenFor({
      device: this.device,
      issuer: challenge.controller ?? SERVER_ISSUER,
      door: challenge.door,
      nonce: challenge.nonce,
      issuedAt: challenge.issuedAt,
    });
  }

  /** A token for any claim (tests use it to make relayed and tampered ones). */
  async tokenFor(claim: MobileClaim): Promise<string> {
    return mobileToken(claim, await this.sign(signingInput(claim)));
  }
}
