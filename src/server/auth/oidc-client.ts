// The relying-party side of OpenID Connect, done by openid-client (panva): discovery from the issuer
// URL, the authorization request (code flow with PKCE S256, state and nonce), and the code exchange,
// in which the library checks the state, the ID token's signature, issuer, audience, expiry and nonce.
// Discovery happens at the first sign-in and is kept; a failed one is tried again next time, so the
// server starts while the provider is away.

import * as oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { OidcSettings } from './oidc-config.ts';

/** The provider's discovery and token requests give up after this long (seconds). */
const TIMEOUT_S = 10;

export interface AuthorizationStart {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** What the verified ID token says about the person (claims as the provider sent them). */
export type IdentityClaims = Record<string, unknown> & { iss: string; sub: string };

export class OidcClient {
  #config: Promise<oidc.Configuration> | undefined;
  readonly #fetch: oidc.CustomFetch | undefined;
  readonly #dispatcher: Agent | undefined;

  constructor(readonly settings: OidcSettings) {
    if (settings.ca) {
      // A private CA for the provider only, not for every outgoing request of the server.
      const dispatcher = new Agent({ connect: { ca: settings.ca } });
      this.#dispatcher = dispatcher;
      this.#fetch = (url, options) =>
        undiciFetch(url, { ...options, dispatcher } as Parameters<
          typeof undiciFetch
        >[1]) as unknown as Promise<Response>;
    }
  }

  configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const { issuer, clientId, clientSecret } = this.settings;
      this.#config = oidc
        .discovery(
          new URL(issuer),
          clientId,
          clientSecret ? { client_secret: clientSecret.reveal() } : undefined,
          clientSecret ? oidc.ClientSecretBasic(clientSecret.reveal()) : oidc.None(),
          { timeout: TIMEOUT_S, ...(this.#fetch && { [oidc.customFetch]: this.#fetch }) },
        )
        .then((config) => {
          config.timeout = TIMEOUT_S;
          return config;
        });
      this.#config.catch(() => {
        this.#config = undefined;
      });
    }
    return this.#config;
  }

  /** Closes the connections kept open to the provider (when the server stops). */
  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }

  async start(): Promise<AuthorizationStart> {
    const config = await this.configuration();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUrl,
      scope: this.settings.scopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url, state, nonce, codeVerifier };
  }

  /**
   * Exchanges the code of this callback (its query string) for tokens and returns the ID token's
   * claims; throws when anything does not check out. The tokens themselves go no further.
   */
  async finish(
    query: string,
    expected: { state: string; nonce: string; codeVerifier: string },
  ): Promise<IdentityClaims> {
    const config = await this.configuration();
    // The registered redirect URL, not the address this request arrived at (a proxy may rewrite it).
    const current = new URL(this.settings.redirectUrl);
    current.search = query;
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: expected.codeVerifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims) throw new Error('no ID token');
    return claims as IdentityClaims;
  }
}

/** Whether the provider says it authenticated the person with more than one factor. */
export function mfaProven(
  claims: IdentityClaims,
  settings: OidcSettings,
): { amr: string[]; acr: string | null } | undefined {
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((v): v is string => typeof v === 'string') : [];
  const acr = typeof claims.acr === 'string' ? claims.acr : null;
  const byAmr = amr.some((value) => settings.mfaAmr.includes(value));
  const byAcr = acr !== null && settings.mfaAcr.includes(acr);
  return byAmr || byAcr ? { amr, acr } : undefined;
}
