// The report pages over real data: the demo site seeded, its lobby controller running, and card
// reads at its turnstiles decided by that controller and ingested by the server. Each page is asked
// for through its form and shows the rows those reads make; CSV links carry the filters and the
// encoding. One server and one browser for the whole file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed, startController } from '../../src/cli/commands/demo-site.ts';
import type { ControllerAgent } from '../../src/controller/agent.ts';
import { seriousViolations } from './support/axe.ts';
import { type Browser, chromiumAvailable, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { firstRunWithTotp, watchConsole } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe.skipIf(!chromiumAvailable)('console: report pages', () => {
  let server: TestServer;
  let browser: Browser;
  let lobby: ControllerAgent;
  let problems: string[];

  const open = async (link: string) => {
    const { page } = browser;
    await page.getByRole('link', { name: link, exact: true }).click();
    await page.getByRole('heading', { name: link, level: 1 }).waitFor();
  };
  const show = () => browser.page.getByRole('button', { name: 'Show report' }).click();
  /** Picks an option of the select labelled `label` (its button is named by its value and label). */
  const choose = async (label: string, option: string) => {
    const { page } = browser;
    await page
      .locator('.field')
      .filter({ has: page.locator(':scope > :not(button)', { hasText: new RegExp(`^${label}$`) }) })
      .getByRole('button')
      .click();
    await page.getByRole('option', { name: option, exact: true }).click();
  };

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer();
    await seed(server.running, Date.now());
    lobby = await startController(
      server.running,
      server.dataDir,
      'ctl-lobby',
      readFileSync(join(server.dataDir, 'tls', 'server.crt'), 'utf8'),
    );
    for (let i = 0; i < 100 && lobby.snapshotVersion === 0; i++) await new Promise((r) => setTimeout(r, 100));
    browser = await launchBrowser({ certPem: server.certPem });
    problems = watchConsole(browser.page);
    await firstRunWithTotp(browser.page, server.origin, server.setupToken);
    // E-1001 and E-1002 come in, E-1002 leaves again; an unknown card is refused.
    expect(lobby.present({ door: 'gate-1', side: 'in', card: 'C-1001' }).result).toBe('grant');
    expect(lobby.present({ door: 'gate-2', side: 'in', card: 'C-1002' }).result).toBe('grant');
    expect(lobby.present({ door: 'gate-2', side: 'out', card: 'C-1002' }).result).toBe('grant');
    expect(lobby.present({ door: 'gate-1', side: 'in', card: 'C-9999' }).result).toBe('deny');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await lobby?.stop();
    await server?.close();
  });

  it('searches events by person, by keyboard alone, and offers the result as CSV in either encoding', async () => {
    const { page } = browser;
    await open('Event search and export');
    // From the page's heading, Tab to the person field, type, and submit with Enter (no mouse).
    const field = page.getByRole('textbox', { name: 'Person ID' });
    const focused = () =>
      field.evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement);
    for (let i = 0; i < 20 && !(await focused()); i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe(true);
    await page.keyboard.type('E-1002');
    await page.keyboard.press('Enter');
    const rows = page.getByRole('row').filter({ hasText: 'E-1002' });
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(await page.getByRole('row').filter({ hasText: 'E-1001' }).count()).toBe(0);
    const sjis = await page.getByRole('link', { name: 'Download CSV (Shift_JIS)' }).getAttribute('href');
    expect(sjis).toContain('person=E-1002');
    expect(sjis).toContain('encoding=shift_jis');
    const utf8 = await page.getByRole('link', { name: 'Download CSV (UTF-8)' }).getAttribute('href');
    // The download as the browser gets it (with the session cookie).
    const bytes = await page.evaluate(
      `fetch(${JSON.stringify(utf8)}).then((r) => r.arrayBuffer()).then((b) => Array.from(new Uint8Array(b)))`,
    );
    const body = Buffer.from(bytes as number[]);
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(body.toString('utf8')).toContain('E-1002');
    expect(await seriousViolations(page), 'report-events').toEqual([]);
    await screenshot(page, 'report-events');
  });

  it('shows first in and last out per person and day on the attendance page', async () => {
    const { page } = browser;
    await open('Attendance');
    await show();
    const row = page.getByRole('row').filter({ hasText: 'E-1002' });
    await row.waitFor();
    await row
      .getByText(/ゲート2 \/ Turnstile 2|gate-2/)
      .first()
      .waitFor();
    await page.getByRole('row').filter({ hasText: 'E-1001' }).getByText('still inside').waitFor();
    // The stored setting of the areas that count as at work.
    await page.getByText('Areas that count as at work (stored setting)').click();
    await page.getByRole('checkbox', { name: 'ロビー / Lobby' }).check({ force: true });
    await page.getByRole('button', { name: 'Save setting' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect(await seriousViolations(page), 'report-attendance').toEqual([]);
    await screenshot(page, 'report-attendance');
  });

  it('draws occupancy over time per area, with the numbers as a table', async () => {
    const { page } = browser;
    await open('Occupancy over time');
    await page.getByRole('checkbox', { name: 'ロビー / Lobby' }).check({ force: true });
    await show();
    await page.getByRole('img', { name: /Chart of people inside ロビー \/ Lobby/ }).waitFor();
    expect(await page.locator('.chart canvas').count()).toBe(1);
    const row = page
      .getByRole('region', { name: 'Peak occupancy per area' })
      .getByRole('row')
      .filter({ hasText: 'ロビー / Lobby' });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(Number(cells[1])).toBeGreaterThanOrEqual(1);
    expect(await seriousViolations(page), 'report-occupancy').toEqual([]);
    await screenshot(page, 'report-occupancy');
  });

  it('designates the lobby a My Number zone and reports its entries, refusals and completeness', async () => {
    const { page } = browser;
    await open('Areas');
    await page
      .getByRole('row')
      .filter({ hasText: 'ロビー / Lobby' })
      .getByRole('button', { name: /Edit/ })
      .click();
    await choose('My Number zone', 'management zone');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('My Number zone', { exact: true }).waitFor({ state: 'detached' });
    await open('My Number zone access');
    await show();
    await page.getByRole('row').filter({ hasText: 'E-1001' }).filter({ hasText: 'Entry' }).first().waitFor();
    await page.getByRole('row').filter({ hasText: 'E-1002' }).filter({ hasText: 'Exit' }).first().waitFor();
    await page
      .getByRole('row')
      .filter({ hasText: 'Refused' })
      .filter({ hasText: 'Unknown credential' })
      .first()
      .waitFor();
    const evidence = page.getByRole('region', { name: 'Completeness evidence' });
    await evidence.getByRole('row', { name: /ctl-lobby/ }).waitFor();
    await evidence
      .getByRole('status')
      .getByText(/^(Complete|Not complete)/)
      .waitFor();
    expect(await seriousViolations(page), 'report-my-number').toEqual([]);
    await screenshot(page, 'report-my-number');
  });

  it('lists who was inside a zone during a window on the incident page', async () => {
    const { page } = browser;
    await open('Incident investigation');
    await choose('Zone', 'ロビー / Lobby');
    await show();
    await page.getByText(/2 people were inside ロビー \/ Lobby/).waitFor();
    await page.getByRole('row').filter({ hasText: 'E-1001' }).getByText('still inside').waitFor();
    await page.getByRole('region', { name: 'Completeness evidence' }).waitFor();
    expect(await seriousViolations(page), 'report-incident').toEqual([]);
    await screenshot(page, 'report-incident');
  });

  it('lists expired credentials that are still active on the inventory page', async () => {
    const { page } = browser;
    await open('Stale credentials');
    await choose('Section', 'Expired but active');
    await show();
    await page.getByRole('row').filter({ hasText: 'V-002' }).waitFor();
    expect(await seriousViolations(page), 'report-inventory').toEqual([]);
    await screenshot(page, 'report-inventory');
  });

  it('reviews who can enter the lobby, records a checkpoint, then shows no changes since', async () => {
    const { page } = browser;
    await open('Access review');
    await choose('Area', 'ロビー / Lobby');
    await show();
    await page.getByRole('row').filter({ hasText: 'E-1001' }).first().waitFor();
    await page.getByText('No checkpoint yet: record one to see changes next time.').waitFor();
    await page.getByRole('textbox', { name: 'Note for the checkpoint' }).fill('2026年12月 定期レビュー');
    await page.getByRole('button', { name: 'Record checkpoint' }).click();
    await page.getByText(/Checkpoint recorded: \d+ rows/).waitFor();
    await page.getByText(/Latest checkpoint: .*2026年12月 定期レビュー/).waitFor();
    await page.getByText('Nothing added or removed since.').waitFor();
    expect(await seriousViolations(page), 'report-access-review').toEqual([]);
    await screenshot(page, 'report-access-review');
    expect(problems).toEqual([]);
  });
});
