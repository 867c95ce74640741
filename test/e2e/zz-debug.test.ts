import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Browser, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { firstRunWithTotp } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe('debug', () => {
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
  it('flow', async () => {
    const { page } = browser;
    page.on('console', (m) => console.log('CONSOLE', m.type(), m.text()));
    page.on('pageerror', (e) => console.log('PAGEERROR', e.message, e.stack));
    page.on('response', async (r) => {
      if (r.url().includes('/api/'))
        console.log(
          'RESP',
          r.status(),
          r.request().method(),
          r.url(),
          r.status() >= 400 ? await r.text().catch(() => '') : '',
        );
    });
    try {
      await firstRunWithTotp(page, server.origin, server.setupToken);
      await page.goto(`${server.origin}/rules/doors`);
      await page.getByRole('heading', { name: 'Doors', level: 1 }).waitFor();
    } catch (e) {
      console.log('FAIL', e);
    } finally {
      await screenshot(page, 'debug');
      console.log((await page.locator('body').innerText()).slice(0, 3000));
    }
  }, 120_000);
});
