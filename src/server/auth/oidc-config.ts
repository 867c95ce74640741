// OpenID Connect single sign-on settings from the environment (issue 15 §4), validated, with errors
// naming the variable. SSO is off unless MONBAN_OIDC_ISSUER is set; nothing here has a default that
// is a credential. The client secret comes from a file (preferred) or the environment and is wrapped
// so that it cannot end up in a log line or a JSON answer by accident.
//
//   MONBAN_OIDC_ISSUER              the provider's issuer URL (discovery: <issuer>/.well-known/openid-configuration)
//   MONBAN_OIDC_CLIENT_ID           the client registered at the provider
//   MONBAN_OIDC_CLIENT_SECRET_FILE  a file holding the client secret (or MONBAN_OIDC_CLIENT_SECRET;
//                                   neither: a public client, PKCE only)
//   MONBAN_OIDC_REDIRECT_URL        default <MONBAN_PUBLIC_ORIGIN>/api/auth/oidc/callback
//   MONBAN_OIDC_CLAIM               the claim naming the operator: sub (default; an admin links each
//                                   operator to it) or email (a verified e-mail matching the operator's)
//   MONBAN_OIDC_SCOPES              default "openid email"
//   MONBAN_OIDC_MFA_AMR             amr values that prove MFA at the provider (default mfa; none: never)
//   MONBAN_OIDC_MFA_ACR             acr values that prove MFA at the provider (default: none)
//   MONBAN_OIDC_CA_FILE             PEM CA certificates to trust for the provider (a private CA)

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config.ts';

export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';

/** A secret value that prints as [redacted] in logs, JSON and string conversions. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
}

export interface OidcSettings {
  issuer: string;
  clientId: string;
  /** undefined: a public client */
  clientSecret: Secret | undefined;
  redirectUrl: string;
  /** `sub` (or another stable claim) matched against operator links; `email`: verified e-mail */
  claim: string;
  scopes: string;
  /** MFA at the provider: any of these in `amr`, or `acr` one of these */
  mfaAmr: readonly string[];
  mfaAcr: readonly string[];
  /** PEM to trust for the provider's TLS; undefined: the system's CAs */
  ca: string | undefined;
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'none');

const schema = z.object({
  MONBAN_OIDC_ISSUER: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
  MONBAN_OIDC_CLIENT_ID: z.string().trim().min(1).max(255).optional(),
  MONBAN_OIDC_CLIENT_SECRET_FILE: z.string().min(1).optional(),
  MONBAN_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  MONBAN_OIDC_REDIRECT_URL: z.url({ protocol: /^https?$/ }).optional(),
  MONBAN_OIDC_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be a claim name such as sub or email')
    .default('sub'),
  MONBAN_OIDC_SCOPES: z
    .string()
    .regex(/^[\x21-\x7e ]{1,500}$/, 'must be space-separated scopes')
    .default('openid email'),
  MONBAN_OIDC_MFA_AMR: z.string().max(500).default('mfa'),
  MONBAN_OIDC_MFA_ACR: z.string().max(2000).optional(),
  MONBAN_OIDC_CA_FILE: z.string().min(1).optional(),
});

/** Blank variables count as unset (`VAR= command`). */
function pick(env: Record<string, string | undefined>) {
  return Object.fromEntries(Object.keys(schema.shape).map((n) => [n, env[n] === '' ? undefined : env[n]]));
}

function readFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      variable,
      `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** The SSO settings, or undefined when MONBAN_OIDC_ISSUER is not set. */
export function oidcEnv(
  env: Record<string, string | undefined>,
  publicOrigin: string | undefined,
): OidcSettings | undefined {
  const parsed = schema.safeParse(pick(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // The message only: zod issues may carry the received value, and one of these is a secret.
    throw new ConfigError(String(issue.path[0]), issue.message);
  }
  const e = parsed.data;
  if (!e.MONBAN_OIDC_ISSUER) {
    if (e.MONBAN_OIDC_CLIENT_ID)
      throw new ConfigError('MONBAN_OIDC_ISSUER', 'set it with MONBAN_OIDC_CLIENT_ID');
    return undefined;
  }
  if (!e.MONBAN_OIDC_CLIENT_ID)
    throw new ConfigError('MONBAN_OIDC_CLIENT_ID', 'required with MONBAN_OIDC_ISSUER');
  if (e.MONBAN_OIDC_CLIENT_SECRET_FILE && e.MONBAN_OIDC_CLIENT_SECRET)
    throw new ConfigError('MONBAN_OIDC_CLIENT_SECRET', 'set it or MONBAN_OIDC_CLIENT_SECRET_FILE, not both');
  const secret = e.MONBAN_OIDC_CLIENT_SECRET_FILE
    ? readFile('MONBAN_OIDC_CLIENT_SECRET_FILE', e.MONBAN_OIDC_CLIENT_SECRET_FILE).trim()
    : e.MONBAN_OIDC_CLIENT_SECRET;
  if (secret === '') throw new ConfigError('MONBAN_OIDC_CLIENT_SECRET_FILE', 'the file is empty');
  const origin = publicOrigin ?? 'https://localhost:8443';
  return {
    issuer: e.MONBAN_OIDC_ISSUER,
    clientId: e.MONBAN_OIDC_CLIENT_ID,
    clientSecret: secret === undefined ? undefined : new Secret(secret),
    redirectUrl: e.MONBAN_OIDC_REDIRECT_URL ?? `${origin}${OIDC_CALLBACK_PATH}`,
    claim: e.MONBAN_OIDC_CLAIM,
    scopes: e.MONBAN_OIDC_SCOPES.split(' ').includes('openid')
      ? e.MONBAN_OIDC_SCOPES
      : `openid ${e.MONBAN_OIDC_SCOPES}`,
    mfaAmr: list(e.MONBAN_OIDC_MFA_AMR),
    mfaAcr: list(e.MONBAN_OIDC_MFA_ACR),
    ca: e.MONBAN_OIDC_CA_FILE ? readFile('MONBAN_OIDC_CA_FILE', e.MONBAN_OIDC_CA_FILE) : undefined,
  };
}
