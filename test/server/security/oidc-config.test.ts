// Single sign-on settings are read like every other setting: validated at start, errors naming the
// variable and never its value, the client secret read from a file and never printed, SSO off unless
// an issuer is set.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { mfaProven } from '../../../src/server/auth/oidc-client.ts';
import { oidcEnv } from '../../../src/server/auth/oidc-config.ts';
import { ConfigError } from '../../../src/server/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-oidc-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'client-secret-that-must-not-print-7d3f';
const base = { MONBAN_OIDC_ISSUER: 'https://idp.example.jp/realms/monban', MONBAN_OIDC_CLIENT_ID: 'monban' };

function failure(env: Record<string, string>): ConfigError {
  try {
    oidcEnv(env, undefined);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('single sign-on settings', () => {
  it('are off without an issuer', () => {
    expect(oidcEnv({}, undefined)).toBeUndefined();
  });

  it('have safe defaults: sub links, MFA proven only by amr "mfa", redirect at the public origin', () => {
    const settings = oidcEnv(base, 'https://monban.example.jp');
    expect(settings).toMatchObject({
      claim: 'sub',
      scopes: 'openid email',
      mfaAmr: ['mfa'],
      mfaAcr: [],
      clientSecret: undefined,
      redirectUrl: 'https://monban.example.jp/api/auth/oidc/callback',
    });
  });

  it('read the client secret from a file, and never print it', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, `${SECRET}\n`);
    const settings = oidcEnv({ ...base, MONBAN_OIDC_CLIENT_SECRET_FILE: file }, undefined)!;
    expect(settings.clientSecret?.reveal()).toBe(SECRET);
    expect(JSON.stringify(settings)).not.toContain(SECRET);
    expect(String(settings.clientSecret)).not.toContain(SECRET);
    const lines: string[] = [];
    const logger = pino({}, { write: (line: string) => lines.push(line) });
    logger.info({ settings }, 'settings');
    expect(lines.join('')).not.toContain(SECRET);
  });

  it('take MFA proof lists, and none for never', () => {
    const settings = oidcEnv(
      { ...base, MONBAN_OIDC_MFA_AMR: 'none', MONBAN_OIDC_MFA_ACR: 'urn:a, urn:b' },
      undefined,
    )!;
    expect(settings.mfaAmr).toEqual([]);
    expect(settings.mfaAcr).toEqual(['urn:a', 'urn:b']);
  });

  it('refuse bad values naming the variable, never echoing a secret', () => {
    expect(failure({ ...base, MONBAN_OIDC_ISSUER: 'http://idp.example.jp' }).variable).toBe(
      'MONBAN_OIDC_ISSUER',
    );
    expect(failure({ MONBAN_OIDC_ISSUER: base.MONBAN_OIDC_ISSUER }).variable).toBe('MONBAN_OIDC_CLIENT_ID');
    expect(failure({ MONBAN_OIDC_CLIENT_ID: 'monban' }).variable).toBe('MONBAN_OIDC_ISSUER');
    expect(failure({ ...base, MONBAN_OIDC_CLAIM: 'not a claim!' }).variable).toBe('MONBAN_OIDC_CLAIM');
    const missing = failure({ ...base, MONBAN_OIDC_CLIENT_SECRET_FILE: join(dir, 'absent') });
    expect(missing.variable).toBe('MONBAN_OIDC_CLIENT_SECRET_FILE');
    const both = failure({
      ...base,
      MONBAN_OIDC_CLIENT_SECRET: SECRET,
      MONBAN_OIDC_CLIENT_SECRET_FILE: join(dir, 'x'),
    });
    expect(both.variable).toBe('MONBAN_OIDC_CLIENT_SECRET');
    expect(both.message).not.toContain(SECRET);
  });
});

describe('MFA proof from the provider (property)', () => {
  const value = fc.constantFrom('mfa', 'otp', 'pwd', 'hwk', 'swk', 'sms', 'urn:a', 'urn:b', '');
  const claims = fc.record(
    {
      amr: fc.oneof(fc.array(fc.oneof(value, fc.integer())), value, fc.constant(null)),
      acr: fc.oneof(value, fc.integer(), fc.constant(null)),
    },
    { requiredKeys: [] },
  );
  const lists = fc.record({ mfaAmr: fc.uniqueArray(value), mfaAcr: fc.uniqueArray(value) });

  it('is proof exactly when amr holds a configured value or acr is one, and never with empty lists', () => {
    const settings = oidcEnv(base, undefined)!;
    fc.assert(
      fc.property(claims, lists, (c, l) => {
        const s = { ...settings, ...l };
        const amr = Array.isArray(c.amr)
          ? (c.amr as unknown[]).filter((v): v is string => typeof v === 'string')
          : [];
        const expected =
          amr.some((v) => (l.mfaAmr as string[]).includes(v)) ||
          (typeof c.acr === 'string' && (l.mfaAcr as string[]).includes(c.acr));
        const proof = mfaProven({ iss: 'i', sub: 's', ...c }, s);
        expect(proof !== undefined).toBe(expected);
        expect(mfaProven({ iss: 'i', sub: 's', ...c }, { ...s, mfaAmr: [], mfaAcr: [] })).toBeUndefined();
      }),
    );
  });
});

describe('single sign-on settings from any environment (property)', () => {
  it('either parse or fail with a ConfigError naming an MONBAN_OIDC_ variable, never echoing the secret', () => {
    const text = fc.oneof(fc.string(), fc.webUrl(), fc.constant(''));
    fc.assert(
      fc.property(
        fc.record(
          {
            MONBAN_OIDC_ISSUER: fc.oneof(text, fc.constant(base.MONBAN_OIDC_ISSUER)),
            MONBAN_OIDC_CLIENT_ID: text,
            MONBAN_OIDC_CLIENT_SECRET: fc.constant(SECRET),
            MONBAN_OIDC_REDIRECT_URL: text,
            MONBAN_OIDC_CLAIM: text,
            MONBAN_OIDC_SCOPES: text,
            MONBAN_OIDC_MFA_AMR: text,
            MONBAN_OIDC_MFA_ACR: text,
          },
          { requiredKeys: [] },
        ),
        (env) => {
          try {
            const settings = oidcEnv(env as Record<string, string>, undefined);
            if (settings) expect(JSON.stringify(settings)).not.toContain(SECRET);
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect((error as ConfigError).variable).toMatch(/^MONBAN_OIDC_/);
            expect((error as Error).message).not.toContain(SECRET);
          }
        },
      ),
    );
  });
});
