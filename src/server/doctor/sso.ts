// `monban doctor` with single sign-on configured: can the provider be discovered (its endpoints and
// keys, through the configured CA), and is there still a way in without it — an enabled local admin
// with a password and a second factor (docs/security-model.md, "Single sign-on", break-glass).

import { securityDb } from '../auth/context.ts';
import { OidcClient } from '../auth/oidc-client.ts';
import type { OidcSettings } from '../auth/oidc-config.ts';
import { getPasswordHash, hasSecondFactor, listOperators, mfaStatus } from '../auth/store.ts';
import type { Store } from '../storage/db.ts';
import type { CheckResult } from './checks.ts';

export async function singleSignOn(settings: OidcSettings): Promise<CheckResult> {
  const name = 'single sign-on';
  const client = new OidcClient(settings);
  try {
    const metadata = (await client.configuration()).serverMetadata();
    const missing = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'].filter(
      (key) => typeof metadata[key as keyof typeof metadata] !== 'string',
    );
    if (missing.length > 0)
      return {
        name,
        status: 'fail',
        detail: `${settings.issuer} discovered, but without ${missing.join(', ')}`,
      };
    if (!settings.redirectUrl.startsWith('https://'))
      return { name, status: 'warn', detail: `redirect URL ${settings.redirectUrl} is not https` };
    return {
      name,
      status: 'pass',
      detail: `${settings.issuer} discovered; redirect URL ${settings.redirectUrl}; operators by ${settings.claim}`,
    };
  } catch (error) {
    // The message only (openid-client's are fixed texts), never what the provider answered.
    return { name, status: 'fail', detail: `${settings.issuer} not discovered: ${(error as Error).message}` };
  } finally {
    await client.close();
  }
}

export async function breakGlassAdmin(store: Store): Promise<CheckResult> {
  const name = 'break-glass admin';
  const db = securityDb(store.db);
  const ready: string[] = [];
  for (const operator of await listOperators(db)) {
    if (operator.role !== 'admin' || operator.disabled) continue;
    if ((await getPasswordHash(db, operator.id)) && hasSecondFactor(await mfaStatus(db, operator.id)))
      ready.push(operator.username);
  }
  if (ready.length === 0)
    return {
      name,
      status: 'warn',
      detail:
        'no enabled admin has a local password and a second factor: nobody gets in while the SSO provider is down',
    };
  return { name, status: 'pass', detail: `${ready.length} admin(s) can sign in without the SSO provider` };
}
