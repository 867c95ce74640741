// Keys, guests, reservations and delivery codes from the console, on the demo site (seeded, no
// the office controller runs, so a key presented at the meeting-room door shows in the key's uses).
// A key's link is shown once, right after issuing, and nowhere afterwards. One server per file.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed, startController } from '../../src/cli/commands/demo-site.ts';
import type { ControllerAgent } from '../../src/controller/agent.ts';
import { seriousViolations } from './support/axe.ts';
import { type Browser, chromiumAvailable, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { ADMIN, firstRunWithTotp, watchConsole } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe.skipIf(!chromiumAvailable)('console: keys, guests, reservations, deliveries', () => {
  let server: TestServer;
  let browser: Browser;
  let problems: string[];
  let office: ControllerAgent;

  const open = async (link: string) => {
    const { page } = browser;
    await page.getByRole('link', { name: link, exact: true }).click();
    await page.getByRole('heading', { name: link, level: 1 }).waitFor();
  };
  const choose = async (label: string, option: string, within?: Locator) => {
    const { page } = browser;
    await (within ?? page)
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
    office = await startController(
      server.running,
      server.dataDir,
      'ctl-office',
      readFileSync(join(server.dataDir, 'tls', 'server.crt'), 'utf8'),
    );
    browser = await launchBrowser({ certPem: server.certPem });
    problems = watchConsole(browser.page);
    await firstRunWithTotp(browser.page, server.origin, server.setupToken);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await office?.stop();
    await server?.close();
  });

  it('adds a guest and edits them', async () => {
    const { page } = browser;
    await open('Guests');
    await page.getByRole('button', { name: 'New guest' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Hanako Tanaka');
    await page.getByRole('textbox', { name: 'Company' }).fill('Example KK');
    await page.getByRole('textbox', { name: 'Host (person ID)' }).fill('E-1001');
    await page.getByRole('button', { name: 'Create' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Hanako Tanaka' });
    await row.getByText('Example KK').waitFor();
    await row.getByRole('button', { name: 'Edit Hanako Tanaka' }).click();
    await page.getByRole('textbox', { name: 'Company' }).fill('Example Holdings');
    await page.getByRole('button', { name: 'Save' }).click();
    await row.getByText('Example Holdings').waitFor();
    expect(await seriousViolations(page), 'guests').toEqual([]);
  });

  it('issues a key to the guest: its link and QR code are shown once, then it is listed without them', async () => {
    const { page } = browser;
    await open('Time-limited keys');
    await page.getByRole('button', { name: 'Issue key' }).click();
    const form = page.getByRole('region', { name: 'Issue key' });
    // The guest is preselected (the only one); the meeting room, weekday mornings, 5 uses.
    await form.getByRole('button', { name: /Hanako Tanaka/ }).waitFor();
    await form.getByRole('checkbox', { name: '会議室 / Meeting room', exact: true }).check({ force: true });
    await form.getByRole('textbox', { name: 'Daily windows' }).fill('09:00-12:00');
    await form.getByRole('textbox', { name: 'At most this many uses' }).fill('5');
    await form.getByRole('textbox', { name: 'Label (optional)' }).fill('Workshop');
    await form.getByRole('button', { name: 'Issue key' }).click();
    const shown = page.getByRole('region', { name: /^Link for k-/ });
    const link = shown.getByRole('link', { name: /\/k\/#mkl_/ });
    await link.waitFor();
    const url = await link.textContent();
    expect(url).toMatch(new RegExp(`^${server.origin}/k/#mkl_`));
    await shown.getByRole('img', { name: "QR code of the key's link" }).waitFor();
    await shown.getByText(/Shown only now/).waitFor();
    expect(await seriousViolations(page), 'keys with the link shown').toEqual([]);
    await screenshot(page, 'keys-issued');
    const row = page.getByRole('row').filter({ hasText: 'Workshop' });
    await row.getByText('Active').waitFor();
    await row.getByText('0 / 5').waitFor();
    // Once away and back, the link is gone: the console kept it nowhere, and the API never lists it.
    await open('Guests');
    await open('Time-limited keys');
    await row.waitFor();
    expect(await page.getByRole('region', { name: /^Link for k-/ }).count()).toBe(0);
    expect(await page.content()).not.toContain('mkl_');
    await row.getByRole('button', { name: /^Uses of/ }).click();
    await page.getByText('Not used yet.').waitFor();
    await page
      .getByRole('region', { name: /^Uses of/ })
      .getByRole('button', { name: 'Close' })
      .click();
    // The guest opens the link (its token is in the fragment) and presents the code at the door,
    // once the office controller's snapshot holds the key. Granted or refused (outside its morning
    // window), the use is listed with who issued the key.
    const token = new URL(url ?? '').hash.slice(1);
    const opened = (await page.evaluate(
      `fetch('/api/key-links/open', { method: 'POST', credentials: 'omit', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ${JSON.stringify(token)} }) }).then((r) => r.json())`,
    )) as { code: string };
    expect(opened.code).toMatch(/^MK1-/);
    let decision = office.present({ door: 'meeting-door', side: 'in', type: 'key', card: opened.code });
    for (let i = 0; i < 150 && decision.reason === 'unknown_credential'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      decision = office.present({ door: 'meeting-door', side: 'in', type: 'key', card: opened.code });
    }
    expect(decision.reason).not.toBe('unknown_credential');
    await row.getByRole('button', { name: /^Uses of/ }).click();
    const uses = page.getByRole('region', { name: /^Uses of/ });
    await uses
      .getByRole('row')
      .filter({ hasText: 'ctl-office' })
      .filter({ hasText: ADMIN.displayName })
      .first()
      .waitFor({ timeout: 15_000 });
    await page.getByRole('row').filter({ hasText: 'Workshop' }).getByText(ADMIN.displayName).waitFor();
    // Changed in place: more uses and a new label; the holder (and the QR code) stay.
    await row.getByRole('button', { name: /^Edit k-/ }).click();
    const change = page.getByRole('region', { name: /^Change key k-/ });
    await change.getByText(/^Holder: Guest /).waitFor();
    await change.getByRole('textbox', { name: 'At most this many uses' }).fill('7');
    await change.getByRole('textbox', { name: 'Label (optional)' }).fill('Workshop B');
    await change.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row').filter({ hasText: 'Workshop B' }).getByText(' / 7').waitFor();
    expect(await page.getByRole('region', { name: /^Change key k-/ }).count()).toBe(0);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke' }).click();
    await choose('State', 'Any state');
    await row.getByText('Revoked').waitFor();
  });

  it('books a reservation for the guest with its key, and cancels it', async () => {
    const { page } = browser;
    await open('Reservations');
    await page.getByRole('button', { name: 'Book', exact: true }).click();
    const form = page.getByRole('region', { name: 'Book' });
    await choose('Guest', `Hanako Tanaka (${await guestId()})`, form);
    await choose('Space', '会議室 / Meeting room', form);
    await form.getByRole('textbox', { name: 'External reference (booking system)' }).fill('PMS-48213');
    await form.getByRole('button', { name: 'Book and issue key' }).click();
    await page
      .getByRole('region', { name: /^Link for k-/ })
      .getByRole('link', { name: /\/k\/#mkl_/ })
      .waitFor();
    const row = page.getByRole('row').filter({ hasText: 'PMS-48213' });
    await row.getByText('Booked').waitFor();
    // Filtered to days long after it: not listed.
    await page.getByLabel('From (date)').fill('2099-01-01');
    await page.getByText('No reservations match.').waitFor();
    await page.getByLabel('From (date)').fill('');
    await row.waitFor();
    expect(await seriousViolations(page), 'reservations').toEqual([]);
    await screenshot(page, 'reservations');
    // Moved to another booking reference (and times kept): the same reservation, changed.
    await row.getByRole('button', { name: /^Edit / }).click();
    const change = page.getByRole('region', { name: /^Change reservation / });
    await change.getByRole('textbox', { name: 'External reference (booking system)' }).fill('PMS-48214');
    await change.getByRole('button', { name: 'Save' }).click();
    const moved = page.getByRole('row').filter({ hasText: 'PMS-48214' });
    await moved.getByText('Booked').waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'PMS-48213' }).count()).toBe(0);
    await moved.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel', exact: true }).last().click();
    await choose('State', 'Any state');
    await moved.getByText('Cancelled').waitFor();
  });

  it('issues a one-time delivery code for a door', async () => {
    const { page } = browser;
    await open('Delivery codes');
    await choose('Door', '会議室扉 / Meeting room door');
    await page.getByRole('textbox', { name: 'Recipient (person ID)' }).fill('E-1001');
    await page.getByRole('textbox', { name: 'Courier' }).fill('Driver Sato');
    await page.getByRole('textbox', { name: 'Company' }).fill('Parcel KK');
    await page.getByRole('button', { name: 'Issue delivery code' }).click();
    await page
      .getByRole('region', { name: /^Link for k-/ })
      .getByRole('link', { name: /\/k\/#mkl_/ })
      .waitFor();
    const row = page.getByRole('row').filter({ hasText: 'E-1001' });
    await row.getByText('0 / 1').waitFor();
    await row.getByText('meeting-door').waitFor();
    expect(await seriousViolations(page), 'deliveries').toEqual([]);
    await screenshot(page, 'deliveries');
    expect(problems).toEqual([]);
  });

  async function guestId(): Promise<string> {
    const { page } = browser;
    const ids = await page.evaluate(
      "fetch('/api/guests').then((r) => r.json()).then((b) => b.items.map((g) => g.id))",
    );
    return (ids as string[])[0] ?? '';
  }
});
