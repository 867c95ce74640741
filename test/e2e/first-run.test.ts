// The console as a new user meets it: served from the server's own HTTPS origin under a strict CSP;
// first-run setup with the one-time token, a second factor enrolled with a QR code, backup codes shown
// once; then sign-in with password and TOTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { ADMIN, firstRunWithTotp, totpCode, watchConsole } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe.skipIf(!chromiumAvailable)('console: first run and sign-in', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer();
    browser = await launchBrowser({ certPem: server.certPem });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves the console at / and at client routes with a strict CSP; /api keeps its JSON 404', async () => {
    const { app } = server.running;
    for (const url of ['/', '/people/E-1', '/alarms']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toMatch(/text\/html/);
      expect(response.body).toContain('<div id="root">');
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      // Styles from our files, plus only those carrying this response's nonce (react-aria's two rules).
      expect(csp).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/]+=*'(;|$)/);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
    }
    const [one, two] = await Promise.all([1, 2].map(() => app.inject({ method: 'GET', url: '/' })));
    expect(one!.headers['content-security-policy']).not.toBe(two!.headers['content-security-policy']);
    const html = one!.body;
    // No inline script or style in the page itself.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style="/);
    const api = await app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const missingAsset = await app.inject({ method: 'GET', url: '/assets/gone-1234.js' });
    expect(missingAsset.statusCode).toBe(404);
  });

  it('creates the first administrator with the setup token, enrols TOTP and signs in again with it', async () => {
    const { page } = browser;
    const problems = watchConsole(page);
    await page.goto(server.origin);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'sign-in');
    const { secret } = await firstRunWithTotp(page, server.origin, server.setupToken);
    await screenshot(page, 'floor-empty');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Second factor' }).waitFor();
    // The enrolment used the current step; the next one is still accepted (±1 step).
    await page.getByLabel('Six-digit code').fill(await totpCode(secret, 1));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Floor', level: 1 }).waitFor();
    expect(await page.getByText(ADMIN.displayName).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('registers a passkey and signs in with it (a virtual authenticator over the DevTools protocol)', async () => {
    const { page, context } = browser;
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await page.getByRole('link', { name: /Administrator/ }).click();
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    await page.getByLabel('Name of the passkey').fill('desk key');
    await page.getByRole('button', { name: 'Register passkey' }).click();
    await page.getByText('1 passkey', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('tab', { name: 'Passkey' }).click();
    await page.getByRole('button', { name: 'Use passkey' }).click();
    // Signed in again on the page signed out from.
    await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await cdp.detach();
  });

  it('asks to sign in again when the session ends, and returns to the same page', async () => {
    const { page, context } = browser;
    await page.goto(`${server.origin}/rules/doors`);
    await page.getByRole('heading', { name: 'Doors', level: 1 }).waitFor();
    // The session ends on the server (idle timeout, signed out elsewhere): here its cookie is dropped.
    await context.clearCookies();
    await page.getByRole('link', { name: 'Areas' }).click();
    await page.getByText('Your session has ended').waitFor();
    expect(new URL(page.url()).pathname).toBe('/rules/areas');
  });
});
