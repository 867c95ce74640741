// Single sign-on settings are read like every other setting: validated at start, errors naming the
// variable and never its value, the client secret read from a file and never printed, SSO off unless
// an issuer is set.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
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
