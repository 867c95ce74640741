// Single sign-on in the console (issue 15 §4), in Chromium: the server started as `monban serve`
// starts it, configured by MONBAN_OIDC_* (client secret from a file, the provider's CA from a file),
// and a local OpenID Connect provider on another origin. The sign-in page offers "Sign in with SSO";
// without MFA proof from the provider the operator still gives their TOTP code; with it they land on
// the floor; an identity linked to nobody comes back to the sign-in page with the reason.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityDb } from '../../src/server/auth/context.ts';
import { setOidcLink } from '../../src/server/auth/oidc-store.ts';
import { findOperatorByUsername } from '../../src/server/auth/store.ts';
import { loadOrCreateCertificate } from '../../src/server/transport/certificate.ts';
import { type LocalProvider, startLocalProvider } from '../server/security/support/oidc-provider.ts';
import { type Browser, chromiumAvailable, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { ADMIN, firstRunWithTotp, totpCode, watchConsole } from './support/flows.ts';
import { freePort, startTestServer, type TestServer } from './support/server.ts';

describe.skipIf(!chromiumAvailable)('console: single sign-on', () => {
  let dir: string;
  let provider: LocalProvider;
  let providerCert: string;
  let server: TestServer;
  let browser: Browser;
  let totpSecret: string;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    dir = mkdtempSync(join(tmpdir(), 'monban-e2e-sso-'));
    const tls = await loadOrCreateCertificate(dir);
    providerCert = tls.cert;
    const port = await freePort();
    provider = await startLocalProvider({
      tls,
      redirectUrl: `https://localhost:${port}/api/auth/oidc/callback`,
    });
    writeFileSync(join(dir, 'client-secret'), provider.clientSecret, { mode: 0o600 });
    writeFileSync(join(dir, 'provider-ca.pem'), tls.cert);
    server = await startTestServer(
      {
        MONBAN_OIDC_ISSUER: provider.issuer,
        MONBAN_OIDC_CLIENT_ID: provider.clientId,
        MONBAN_OIDC_CLIENT_SECRET_FILE: join(dir, 'client-secret'),
        MONBAN_OIDC_CA_FILE: join(dir, 'provider-ca.pem'),
      },
      { port },
    );
    browser = await launchBrowser({ certPem: server.certPem, alsoTrust: [providerCert] });
    totpSecret = (await firstRunWithTotp(browser.page, server.origin, server.setupToken)).secret;
    // The admin links the first administrator to their company identity.
    const db = securityDb(server.running.store.db);
    const chief = await findOperatorByUsername(db, ADMIN.username);
    await setOidcLink(db, chief!.id, { issuer: provider.issuer, subject: 'chief-at-idp' }, Date.now());
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await provider?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Signs out of Monban and of the provider (its session would otherwise answer for the next sign-in). */
  async function signOut() {
    const { page, context } = browser;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await context.clearCookies({ domain: '127.0.0.1' });
  }

  it('without MFA proof from the provider, asks for the operator’s TOTP code, then shows the floor', async () => {
    const { page } = browser;
    const problems = watchConsole(page);
    await signOut();
    await screenshot(page, 'sign-in-sso');
    provider.signInAs({ id: 'chief-at-idp', amr: ['pwd'] });
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    await page.getByLabel('Six-digit code').fill(await totpCode(totpSecret, 1));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Floor', level: 1 }).waitFor();
    expect(await page.getByText(ADMIN.displayName).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  }, 60_000);

  it('with MFA proven by the provider, goes straight to the floor', async () => {
    const { page } = browser;
    await signOut();
    provider.signInAs({ id: 'chief-at-idp', amr: ['pwd', 'mfa'] });
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.getByRole('heading', { name: 'Floor', level: 1 }).waitFor();
  }, 60_000);

  it('an identity linked to no operator comes back to the sign-in page, saying why', async () => {
    const { page } = browser;
    await signOut();
    provider.signInAs({ id: 'stranger-at-idp', amr: ['mfa'] });
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.getByText('Your company account is not linked to an enabled operator here').waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await screenshot(page, 'sign-in-sso-refused');
  }, 60_000);

  it('offers single sign-on in Japanese too', async () => {
    const ja = await launchBrowser({ certPem: server.certPem, locale: 'ja-JP' });
    try {
      await ja.page.goto(server.origin);
      await ja.page.getByRole('button', { name: 'SSOでログイン' }).waitFor();
    } finally {
      await ja.close();
    }
  }, 60_000);
});
