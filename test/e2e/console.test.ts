// The console at work, in a real browser: people and cards, an alarm acknowledged (also on a phone),
// a form filled in by keyboard alone, both languages, and an axe check of every page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './support/axe.ts';
import { type Browser, chromiumAvailable, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { ADMIN, firstRunWithTotp, watchConsole } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

/** Every page: its address, the link that leads there, and its heading. */
const PAGES = [
  ['/floor', 'Floor', 'Floor'],
  ['/events', 'Events', 'Events'],
  ['/alarms', 'Alarms', 'Alarms'],
  ['/people', 'People and credentials', 'People and credentials'],
  ['/people/new', 'New person', 'New person'],
  ['/people/import', 'Import CSV', 'Import from CSV'],
  ['/keys', 'Time-limited keys', 'Time-limited keys'],
  ['/keys/guests', 'Guests', 'Guests'],
  ['/keys/reservations', 'Reservations', 'Reservations'],
  ['/keys/deliveries', 'Delivery codes', 'Delivery codes'],
  ['/rules/levels', 'Access levels', 'Access levels'],
  ['/rules/groups', 'Groups', 'Groups'],
  ['/rules/schedules', 'Schedules', 'Schedules'],
  ['/rules/holidays', 'Holiday calendars', 'Holiday calendars'],
  ['/rules/areas', 'Areas', 'Areas'],
  ['/rules/doors', 'Doors', 'Doors'],
  ['/rules/access', 'Who can pass', 'Who can pass'],
  ['/reports/muster', 'Muster list', 'Muster list'],
  ['/reports/events', 'Event search and export', 'Event search and export'],
  ['/reports/attendance', 'Attendance', 'Attendance'],
  ['/reports/occupancy', 'Occupancy over time', 'Occupancy over time'],
  ['/reports/my-number', 'My Number zone access', 'My Number zone access'],
  ['/reports/incident', 'Incident investigation', 'Incident investigation'],
  ['/reports/inventory', 'Stale credentials', 'Stale credentials'],
  ['/reports/access-review', 'Access review', 'Access review'],
  ['/admin/controllers', 'Controllers', 'Controllers'],
  ['/admin/operators', 'Operators', 'Operators'],
  ['/admin/tokens', 'API tokens', 'API tokens'],
  ['/admin/audit', 'Audit log', 'Audit log'],
  ['/account', `${ADMIN.displayName} · Administrator`, 'My account'],
] as const;

describe.skipIf(!chromiumAvailable)('console pages', () => {
  let server: TestServer;
  let browser: Browser;
  let problems: string[];

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer();
    browser = await launchBrowser({ certPem: server.certPem });
    problems = watchConsole(browser.page);
    // The sign-in and setup pages are checked before anyone signs in.
    for (const path of ['/sign-in', '/setup']) {
      await browser.page.goto(`${server.origin}${path}`);
      await browser.page.locator('h1').waitFor();
      expect(await seriousViolations(browser.page), path).toEqual([]);
    }
    await firstRunWithTotp(browser.page, server.origin, server.setupToken);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('creates a person, issues a card and suspends it, each change confirmed', async () => {
    const { page } = browser;
    await page.goto(`${server.origin}/people`);
    await page.getByRole('link', { name: 'New person' }).click();
    await page.getByLabel('ID', { exact: true }).fill('E-1001');
    await page.getByLabel('Name', { exact: true }).fill('山田 花子');
    await page.getByLabel('Department').fill('営業部');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: '山田 花子 (E-1001)' }).waitFor();

    await page.getByLabel('Card number or identifier').fill('C-1001');
    await page.getByRole('button', { name: 'Issue', exact: true }).click();
    const row = page.getByRole('row', { name: /C-1001/ });
    await row.getByRole('cell', { name: 'Active' }).waitFor();
    await row.getByRole('button', { name: 'Suspend' }).click();
    const dialog = page.getByRole('alertdialog');
    expect(await dialog.textContent()).toContain('stops working at every door at once');
    await dialog.getByRole('button', { name: 'Suspend' }).click();
    await row.getByRole('cell', { name: 'Suspended' }).waitFor();
    // Stored, not only shown: a fresh load reads it back from the server.
    await page.reload();
    await page
      .getByRole('row', { name: /C-1001/ })
      .getByRole('cell', { name: 'Suspended' })
      .waitFor();
    await page.goto(`${server.origin}/people`);
    await page.getByRole('cell', { name: '営業部' }).waitFor();
    await screenshot(page, 'people');
  });

  it('fills in and submits a form by keyboard alone', async () => {
    const { page } = browser;
    await page.goto(`${server.origin}/people/new`);
    await page.getByRole('heading', { name: 'New person', level: 1 }).waitFor();
    // The ID field has focus on arrival; from there on, keys only.
    await page.keyboard.type('E-2002');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Keyboard Kenji');
    await page.keyboard.press('Tab');
    await page.keyboard.type('総務部');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Keyboard Kenji (E-2002)' }).waitFor();
    // The main navigation is reachable from the skip link, in order.
    await page.keyboard.press('Shift+Tab');
    const focused = await page.evaluate<string | undefined>('document.activeElement?.tagName');
    expect(focused).toBeTruthy();
  });

  it('shows an alarm on every page at once, and acknowledges it (also on a phone)', async () => {
    const { page } = browser;
    await page.goto(`${server.origin}/people`);
    await server.running.app.security.alarms.raise({
      type: 'tamper',
      source: 'controller:ctl-lobby',
      message: 'case opened at controller ctl-lobby',
      severity: 'high',
    });
    const banner = page.getByRole('link', { name: '1 active alarm', exact: true });
    await banner.waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await banner.click();
    const card = page.getByRole('listitem').filter({ hasText: 'ctl-lobby' });
    await card.getByRole('button', { name: /Acknowledge Tamper at controller:ctl-lobby/ }).waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'alarms-phone');
    await card.getByRole('button', { name: /Acknowledge/ }).click();
    await page.getByText('No alarms.').waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('link', { name: '1 active alarm', exact: true }).waitFor({ state: 'detached' });
  });

  it('switches to Japanese and stays so after a reload', async () => {
    const { page } = browser;
    await page.goto(`${server.origin}/floor`);
    await page.getByRole('radio', { name: '日本語' }).click();
    await page.getByRole('heading', { name: 'フロア', level: 1 }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    await page.reload();
    await page.getByRole('link', { name: '利用者と認証情報' }).waitFor();
    await screenshot(page, 'floor-ja');
    await page.getByRole('radio', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Floor', level: 1 }).waitFor();
  });

  it('has no serious accessibility violation on any page, in either language', async () => {
    const { page } = browser;
    await page.goto(`${server.origin}/floor`);
    // Page to page through the console's own links, as an operator moves (no reloads).
    const visit = async (link: string, title: string) => {
      await page.getByRole('link', { name: link, exact: true }).first().click();
      await page.getByRole('heading', { name: title, level: 1 }).waitFor();
      await page.locator('.loading').waitFor({ state: 'detached' });
    };
    for (const [path, link, title] of PAGES) {
      if (path === '/people/new' || path === '/people/import')
        await visit('People and credentials', 'People and credentials');
      await visit(link, title);
      expect(await seriousViolations(page), path).toEqual([]);
    }
    await page.getByRole('radio', { name: '日本語' }).click();
    for (const [link, title] of [
      ['利用者と認証情報', '利用者と認証情報'],
      ['タイムスケジュール', 'タイムスケジュール'],
      ['アラーム', 'アラーム'],
      ['通行可否の確認', '通行可否の確認'],
      ['イベント検索・出力', 'イベント検索・出力'],
      ['勤怠', '勤怠'],
      ['在室人数の推移', '在室人数の推移'],
      ['マイナンバー区域の入退室', 'マイナンバー区域の入退室'],
      ['インシデント調査', 'インシデント調査'],
      ['認証情報の棚卸', '認証情報の棚卸'],
      ['アクセス権レビュー', 'アクセス権レビュー'],
      ['時限キー', '時限キー'],
      ['来客', '来客'],
      ['予約', '予約'],
      ['置き配コード', '置き配コード'],
      ['フロア', 'フロア'],
    ] as const) {
      await visit(link, title);
      expect(await seriousViolations(page), `${title} (ja)`).toEqual([]);
    }
    await page.getByRole('radio', { name: 'English' }).click();
    expect(problems).toEqual([]);
  }, 60_000);
});

describe.skipIf(!chromiumAvailable)('console language by browser preference', () => {
  it('starts in Japanese when the browser prefers Japanese', async () => {
    await ensureConsoleBuilt();
    const server = await startTestServer();
    const browser = await launchBrowser({ certPem: server.certPem, locale: 'ja-JP' });
    try {
      await browser.page.goto(server.origin);
      await browser.page.getByRole('heading', { name: 'ログイン' }).waitFor();
      expect(await browser.page.locator('html').getAttribute('lang')).toBe('ja');
      await screenshot(browser.page, 'sign-in-ja');
    } finally {
      await browser.close();
      await server.close();
    }
  }, 60_000);
});
