// A mobile key registered in a real browser: an operator invites a phone from the person's page; the
// link opens the phone page (/m/), which makes its device key with WebCrypto (not extractable), keeps
// it in IndexedDB, registers it, takes the token out of the address bar, and signs a door-list
// request the server verifies; after a reload it still holds its key; the person's page lists the
// phone, and removing it is confirmed with its effect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { firstRunWithTotp, watchConsole } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe.skipIf(!chromiumAvailable)('mobile keys in the browser', () => {
  let server: TestServer;
  let browser: Browser;
  let problems: string[];

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer();
    browser = await launchBrowser({ certPem: server.certPem });
    problems = watchConsole(browser.page);
    await firstRunWithTotp(browser.page, server.origin, server.setupToken);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('invites, registers with a non-extractable key, lists and removes the phone', async () => {
    const { page, context } = browser;
    await page.goto(`${server.origin}/people/new`);
    await page.getByLabel('ID', { exact: true }).fill('E-2001');
    await page.getByLabel('Name', { exact: true }).fill('佐藤 一郎');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: '佐藤 一郎 (E-2001)' }).waitFor();
    await page.getByText('No phone registered.').waitFor();

    await page.getByRole('button', { name: 'Invite a phone' }).click();
    const url = (await page.locator('code', { hasText: '/m/#mmi_' }).textContent())!;
    expect(url).toMatch(/^https:\/\/localhost:\d+\/m\/#mmi_[A-Za-z0-9_-]{43}$/);

    const phone = await context.newPage();
    const phoneProblems = watchConsole(phone);
    await phone.goto(url);
    await phone.getByRole('heading', { name: 'At the door / 扉で' }).waitFor();
    // The door list came back: the server verified the page's signature.
    await phone.getByRole('heading', { name: 'Doors / 扉' }).waitFor();
    expect(phone.url()).not.toContain('#');
    // Run in the page (a browser script: this test's Node types do not describe IndexedDB).
    const extractable = await phone.evaluate(`new Promise((resolve, reject) => {
      const open = indexedDB.open('monban-mobile', 1);
      open.onsuccess = () => {
        const get = open.result.transaction('device').objectStore('device').get('this');
        get.onsuccess = () => resolve(get.result.privateKey.extractable);
        get.onerror = () => reject(get.error);
      };
      open.onerror = () => reject(open.error);
    })`);
    expect(extractable).toBe(false);
    // Installed and opened again: the key is still there, and still signs.
    await phone.goto(`${server.origin}/m/`);
    await phone.getByRole('heading', { name: 'Doors / 扉' }).waitFor();
    expect(phoneProblems).toEqual([]);

    await page.reload();
    // Listed with its phones, and among the credentials as a mobile key.
    const phones = page.getByRole('region', { name: 'Phones (mobile keys)' });
    const row = phones.getByRole('row', { name: /Active/ });
    await row.waitFor();
    await page.getByRole('row', { name: /Mobile key md-/ }).waitFor();
    await row.getByRole('button', { name: 'Remove' }).click();
    const dialog = page.getByRole('alertdialog');
    expect(await dialog.textContent()).toContain('stops opening doors at once');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('No phone registered.').waitFor();
    await page.getByRole('row', { name: /Mobile key md-/ }).waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  }, 90_000);
});
