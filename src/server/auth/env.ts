// Security settings from the environment, validated, with errors that name the variable. Everything
// has a safe default; none of them is a credential.
//
//   MONBAN_PUBLIC_ORIGIN         https://host:port the console is reached at (WebAuthn RP id and origin)
//   MONBAN_ALLOW_CIDRS           management allow-list, comma-separated CIDRs (IPv4/IPv6); empty = all
//   MONBAN_TLS_CERT, _KEY        an installed certificate and key (PEM); default: self-signed, generated
//   MONBAN_LOCKOUT_FAILURES      consecutive failures before lockout (5)
//   MONBAN_LOCKOUT_MINUTES       lockout duration (15)
//   MONBAN_SESSION_IDLE_MINUTES  idle timeout (30)
//   MONBAN_SESSION_MAX_HOURS     absolute session lifetime (12)
//   MONBAN_REQUIRE_ADMIN_MFA     true|false (true)
//   MONBAN_PIN_LENGTH            digits of the PIN-only codes the server issues (6; 6 to 12)
//   MONBAN_OIDC_*                OpenID Connect single sign-on for operators (oidc-config.ts; off by default)

import { z } from 'zod';
import { ConfigError } from '../config.ts';
import type { SettingsOverrides } from './context.ts';
import { type OidcSettings, oidcEnv } from './oidc-config.ts';

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

const envSchema = z.object({
  MONBAN_PUBLIC_ORIGIN: z.url({ protocol: /^https?$/ }).optional(),
  MONBAN_ALLOW_CIDRS: z.string().optional(),
  MONBAN_TLS_CERT: z.string().min(1).optional(),
  MONBAN_TLS_KEY: z.string().min(1).optional(),
  MONBAN_LOCKOUT_FAILURES: positiveInt(100).default(5),
  MONBAN_LOCKOUT_MINUTES: positiveInt(24 * 60).default(15),
  MONBAN_SESSION_IDLE_MINUTES: positiveInt(24 * 60).default(30),
  MONBAN_SESSION_MAX_HOURS: positiveInt(24 * 30).default(12),
  MONBAN_REQUIRE_ADMIN_MFA: z.enum(['true', 'false']).default('true'),
  MONBAN_PIN_LENGTH: z.coerce.number().int().min(6).max(12).default(6),
});

export interface SecurityEnv {
  settings: SettingsOverrides;
  allowList: string[];
  tls: { certPath?: string; keyPath?: string };
  publicOrigin: string | undefined;
  /** single sign-on; undefined: not configured */
  oidc: OidcSettings | undefined;
}

export function securityEnv(env: Record<string, string | undefined> = process.env): SecurityEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0]), issue.message);
  }
  const e = parsed.data;
  if (Boolean(e.MONBAN_TLS_CERT) !== Boolean(e.MONBAN_TLS_KEY))
    throw new ConfigError('MONBAN_TLS_CERT and MONBAN_TLS_KEY', 'set both or neither');
  const origin = e.MONBAN_PUBLIC_ORIGIN ? new URL(e.MONBAN_PUBLIC_ORIGIN) : undefined;
  return {
    settings: {
      lockout: { maxFailures: e.MONBAN_LOCKOUT_FAILURES, durationMs: e.MONBAN_LOCKOUT_MINUTES * 60_000 },
      session: {
        idleMs: e.MONBAN_SESSION_IDLE_MINUTES * 60_000,
        absoluteMs: e.MONBAN_SESSION_MAX_HOURS * 3_600_000,
        // a plain-http origin (development without TLS) cannot carry a Secure cookie
        secureCookie: origin?.protocol !== 'http:',
      },
      requireAdminMfa: e.MONBAN_REQUIRE_ADMIN_MFA === 'true',
      pinCodeLength: e.MONBAN_PIN_LENGTH,
      ...(origin && { webauthn: { rpId: origin.hostname, origins: [origin.origin] } }),
    },
    allowList: (e.MONBAN_ALLOW_CIDRS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    tls: {
      ...(e.MONBAN_TLS_CERT && { certPath: e.MONBAN_TLS_CERT }),
      ...(e.MONBAN_TLS_KEY && { keyPath: e.MONBAN_TLS_KEY }),
    },
    publicOrigin: origin?.origin,
    oidc: oidcEnv(env, origin?.origin),
  };
}
