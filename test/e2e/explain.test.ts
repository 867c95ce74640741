// Who can pass a door — and why not — and the preview of a rule change before it is saved, on the
// demo site, through the console as an operator uses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../src/cli/commands/demo-site.ts';
import { seriousViolations } from './support/axe.ts';
import { type Browser, chromiumAvailable, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { firstRunWithTotp } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe.skipIf(!chromiumAvailable)('console: who can pass, and what a change would do', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer();
    await seed(server.running, Date.now());
    browser = await launchBrowser({ certPem: server.certPem });
    await firstRunWithTotp(browser.page, server.origin, server.setupToken);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows who can pass a turnstile now and, for a refused guest, the rule that failed', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Doors', exact: true }).click();
    await page.getByRole('link', { name: 'Who can pass ゲート1 / Turnstile 1' }).click();
    await page.getByRole('heading', { name: 'Who can pass', level: 1 }).waitFor();
    // 16 staff and the guest whose key is valid; the expired guest cannot.
    await page.getByText(/^17 can pass, 1 cannot/).waitFor();
    const staff = page.getByRole('row').filter({ hasText: 'E-1001' });
    expect(await staff.getByText('Can pass', { exact: true }).isVisible()).toBe(true);
    const expired = page.getByRole('row').filter({ hasText: 'V-002' });
    await expired.getByText('Outside the validity period').waitFor();
    await expired.getByText(/rules$/).click();
    expect(await expired.getByRole('listitem').filter({ hasText: '✗ failed' }).textContent()).toContain(
      'Within the validity period',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'who-can-pass');

    // Only those who cannot pass.
    await page.getByRole('button', { name: /Everyone\s*Show|Show\s*Everyone|Everyone/ }).click();
    await page.getByRole('option', { name: 'Cannot pass' }).click();
    await page.getByText(/^17 can pass, 1 cannot/).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'E-1001' }).count()).toBe(0);
    await page.getByRole('row').filter({ hasText: 'V-002' }).waitFor();
  });

  it('previews a change to an access level, then saves it', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Access levels', exact: true }).click();
    await page.getByRole('button', { name: 'Edit 研究室 / Lab' }).click();
    // react-aria draws the box over its input: press the label, as a user does.
    await page.locator('label').filter({ hasText: '研究室扉 / Lab door' }).click();
    await page.getByRole('button', { name: 'Review and save' }).click();
    await page.getByRole('heading', { name: 'What this change does' }).waitFor();
    await page.getByText('Saving it: 0 gain access, 3 lose it.').waitFor();
    const losing = page.getByRole('region', { name: '3 people lose access' });
    for (const id of ['E-1006', 'E-1007', 'E-1008']) await losing.getByText(id, { exact: false }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'change-preview');
    // Nothing is saved yet: back to editing keeps the form as it was.
    await page.getByRole('button', { name: 'Back to editing' }).click();
    expect(await page.getByRole('checkbox', { name: '研究室扉 / Lab door' }).isChecked()).toBe(false);
    const before = await server.running.app.inject({ method: 'GET', url: '/api/health' });
    expect(before.statusCode).toBe(200);
    await page.getByRole('button', { name: 'Review and save' }).click();
    await page.getByRole('button', { name: 'Save change' }).click();
    await page.getByRole('heading', { name: 'What this change does' }).waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: '研究室 / Lab' });
    await row.getByRole('cell', { name: '—' }).waitFor();
  });
});
