// Live data in the console: a card read at a simulated reader on an enrolled controller shows in the
// event list within seconds, and the floor shows the doors of the demo site with their controllers
// online.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed, startController } from '../../src/cli/commands/demo-site.ts';
import type { ControllerAgent } from '../../src/controller/agent.ts';
import { type Browser, chromiumAvailable, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { firstRunWithTotp } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe.skipIf(!chromiumAvailable)('console: live site', () => {
  let server: TestServer;
  let browser: Browser;
  let lobby: ControllerAgent;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer();
    const dataDir = server.dataDir;
    await seed(server.running, Date.now());
    lobby = await startController(
      server.running,
      dataDir,
      'ctl-lobby',
      readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8'),
    );
    for (let i = 0; i < 100 && lobby.snapshotVersion === 0; i++) await new Promise((r) => setTimeout(r, 100));
    browser = await launchBrowser({ certPem: server.certPem });
    await firstRunWithTotp(browser.page, server.origin, server.setupToken);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await lobby?.stop();
    await server?.close();
  });

  it('shows a card read at a reader in the event list within seconds', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    expect(lobby.present({ door: 'gate-1', side: 'in', card: 'C-1001' }).result).toBe('grant');
    expect(lobby.present({ door: 'gate-2', side: 'in', card: 'K-9002', type: 'key' }).reason).toBe(
      'outside_validity',
    );
    const granted = page.getByRole('row').filter({ hasText: 'E-1001' }).filter({ hasText: 'Granted' });
    await granted.first().waitFor({ timeout: 10_000 });
    await page.getByRole('row').filter({ hasText: 'Outside the validity period' }).first().waitFor();
    await screenshot(page, 'events-live');
  });

  it('shows the doors of the site on the floor, their controller online', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Floor', exact: true }).click();
    const tile = page.getByRole('article', { name: 'ゲート1 / Turnstile 1' });
    await tile.getByText('Locked').waitFor({ timeout: 10_000 });
    // A door whose controller is not running is offline.
    await page
      .getByRole('article', { name: 'サーバ室 内扉 / Server inner door' })
      .getByText('Offline')
      .waitFor();
    await screenshot(page, 'floor-live');
  });

  it('unlocks a door from its tile after a confirmation, and shows that its controller applied it', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Floor', exact: true }).click();
    const tile = page.getByRole('article', { name: 'ゲート1 / Turnstile 1' });
    await tile.getByRole('button', { name: 'Unlock' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Unlock ゲート1 / Turnstile 1?' });
    await dialog.getByText('The strike releases once, for 3 seconds').waitFor();
    await dialog.getByRole('button', { name: 'Unlock' }).click();
    await tile.getByText('Unlock: applied (ctl-lobby)').waitFor({ timeout: 15_000 });
    // A door whose controller is not running: the action says so rather than pretending.
    const inner = page.getByRole('article', { name: 'サーバ室 内扉 / Server inner door' });
    await inner.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Unlock' }).click();
    await inner
      .getByText(/Unlock: (controller not reachable|waiting for the controller)/)
      .waitFor({ timeout: 15_000 });
    await screenshot(page, 'floor-actions');
  });

  it('lists who is inside on the muster list, from the card reads', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Muster list', exact: true }).click();
    await page.getByRole('heading', { name: 'Muster list', level: 1 }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'E-1001' });
    await row.getByText('ロビー / Lobby').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('link', { name: 'Download CSV (Shift_JIS)' }).getAttribute('href')).toContain(
      'encoding=shift_jis',
    );
  });
});
