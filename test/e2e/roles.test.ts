// What a role cannot do, the console does not offer: an auditor signed in on the demo site sees the
// floor without door actions, rule pages marked "view only" without their create/edit/delete
// buttons, and no link to API tokens; the server still refuses the call if the page is bypassed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed } from '../../src/cli/commands/demo-site.ts';
import { securityDb } from '../../src/server/auth/context.ts';
import { hashPassword } from '../../src/server/auth/passwords.ts';
import { createOperator } from '../../src/server/auth/store.ts';
import { seriousViolations } from './support/axe.ts';
import { type Browser, chromiumAvailable, launchBrowser } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { firstRunWithTotp, watchConsole } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

const AUDITOR = { username: 'audrey', password: 'auditors read everything 42' };

describe.skipIf(!chromiumAvailable)('console: actions follow the role', () => {
  let server: TestServer;
  let browser: Browser;
  let problems: string[];

  beforeAll(async () => {
    await ensureConsoleBuilt();
    server = await startTestServer();
    await seed(server.running, Date.now());
    browser = await launchBrowser({ certPem: server.certPem });
    problems = watchConsole(browser.page);
    // The administrator (first run), then an auditor created as `monban admin create` would.
    await firstRunWithTotp(browser.page, server.origin, server.setupToken);
    await createOperator(
      securityDb(server.running.store.db),
      { username: AUDITOR.username, role: 'auditor', passwordHash: await hashPassword(AUDITOR.password) },
      Date.now(),
    );
    const { page } = browser;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').fill(AUDITOR.username);
    await page.getByLabel('Password', { exact: true }).fill(AUDITOR.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // (MFA is required of administrators; an auditor signs in with the password alone here.)
    await page.getByRole('heading', { name: 'Floor', level: 1 }).waitFor();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the floor without door or site actions, and no link to API tokens', async () => {
    const { page } = browser;
    // The demo site's doors are there, with their state …
    await page.locator('.tile').first().waitFor();
    expect(await page.locator('.tile').count()).toBeGreaterThan(0);
    // … but nothing to press.
    expect(await page.getByRole('button', { name: 'Unlock' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Lockdown…' }).count()).toBe(0);
    const nav = page.getByRole('navigation');
    await nav.getByRole('link', { name: 'Audit log' }).waitFor();
    expect(await nav.getByRole('link', { name: 'API tokens' }).count()).toBe(0);
    expect(await seriousViolations(page), 'floor, auditor').toEqual([]);
  });

  it('marks rule pages view only, without create, edit or delete', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Doors', exact: true }).click();
    await page.getByRole('heading', { name: 'Doors', level: 1 }).waitFor();
    await page.getByText('View only: your role cannot change what is on this page.').waitFor();
    expect(await page.getByRole('row').count()).toBeGreaterThan(1);
    expect(await page.getByRole('button', { name: 'New door' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Edit / }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
  });

  it('tells the console what the role allows, and the server still refuses a door action', async () => {
    const { page } = browser;
    const answer = await page.evaluate(async () => {
      const session = (await (await fetch('/api/auth/session')).json()) as {
        csrfToken: string;
        permissions: string[];
      };
      const action = await fetch('/api/actions', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ action: 'set-lockdown', active: true }),
      });
      return { permissions: session.permissions, status: action.status };
    });
    expect(answer.permissions).toContain('audit:read');
    expect(answer.permissions).not.toContain('operations:write');
    expect(answer.permissions).not.toContain('site:write');
    expect(answer.status).toBe(403);
    expect(problems.filter((p) => !/status of 403/.test(p))).toEqual([]);
  });
});
