// Live data in the console: fed by the push stream (one EventSource per console; live queries stop
// polling while it is connected), a card read at a simulated reader on an enrolled controller shows
// in the event list and in the floor's occupancy within a moment; the floor shows the doors of the
// demo site with their controllers online; a timed override reverts by itself; a lockdown from the
// console lets only the exempt group through.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seed, startController } from '../../src/cli/commands/demo-site.ts';
import type { ControllerAgent } from '../../src/controller/agent.ts';
import { seriousViolations } from './support/axe.ts';
import { type Browser, chromiumAvailable, launchBrowser, screenshot } from './support/browser.ts';
import { ensureConsoleBuilt } from './support/console-build.ts';
import { firstRunWithTotp } from './support/flows.ts';
import { startTestServer, type TestServer } from './support/server.ts';

describe.skipIf(!chromiumAvailable)('console: live site', () => {
  let server: TestServer;
  let browser: Browser;
  let lobby: ControllerAgent;
  const lobbyAgent = () => lobby;

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

  it('shows a card read at a reader in the event list within seconds, pushed, not polled', async () => {
    const { page } = browser;
    const eventRequests: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/events') eventRequests.push(r.url());
    });
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: /^Live$/ })
      .waitFor();
    // Connected: the list does not poll (it would ask every 3 s).
    await page.waitForTimeout(1_000);
    const before = eventRequests.length;
    await page.waitForTimeout(4_000);
    expect(eventRequests.length, 'no polling while the push stream is live').toBe(before);
    expect(lobby.present({ door: 'gate-1', side: 'in', card: 'C-1001' }).result).toBe('grant');
    expect(lobby.present({ door: 'gate-2', side: 'in', card: 'K-9002', type: 'key' }).reason).toBe(
      'outside_validity',
    );
    const granted = page.getByRole('row').filter({ hasText: 'E-1001' }).filter({ hasText: 'Granted' });
    await granted.first().waitFor({ timeout: 10_000 });
    expect(eventRequests.length, 'the event made the list ask again').toBeGreaterThan(before);
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
  it('counts a passage on the floor as it happens', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Floor', exact: true }).click();
    const lobby = page.getByRole('region', { name: 'ロビー / Lobby' });
    await lobby.getByText(/\d+ (person|people) inside/).waitFor();
    const count = async () =>
      Number(/(\d+)/.exec((await lobby.getByText(/(person|people) inside/).textContent()) ?? '')?.[1]);
    const was = await count();
    expect(lobbyAgent().present({ door: 'gate-1', side: 'in', card: 'C-1002' }).result).toBe('grant');
    await lobby.getByText(`${was + 1} people inside`).waitFor({ timeout: 5_000 });
    await screenshot(page, 'floor-occupancy');
  });

  it('overrides a door for a few seconds from its tile, and the tile shows it revert by itself', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Floor', exact: true }).click();
    const tile = page.getByRole('article', { name: 'ゲート2 / Turnstile 2' });
    await tile.getByText('Locked').waitFor();
    await tile.getByRole('button', { name: 'Override…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Override ゲート2 / Turnstile 2 for a while?' });
    await dialog.getByRole('textbox', { name: 'For how many minutes' }).fill('0.15');
    await dialog.getByText('The door stays Unlocked for 0.15 minutes').waitFor();
    await dialog.getByRole('button', { name: 'Start override' }).click();
    await tile.getByText('Override: applied (ctl-lobby)').waitFor({ timeout: 15_000 });
    await tile.getByText('Unlocked', { exact: true }).waitFor({ timeout: 10_000 });
    await tile.getByText(/override · until/).waitFor();
    await screenshot(page, 'floor-override');
    // 9 s later the controller ends it by itself; the tile follows without a reload.
    await tile.getByText('Locked', { exact: true }).waitFor({ timeout: 30_000 });
    await tile.getByText(/as configured/).waitFor();
  }, 60_000);

  it('locks the site down from the floor with an exempt group: only its members pass', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Floor', exact: true }).click();
    await page.getByRole('button', { name: 'Lockdown…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Lock down the site?' });
    await dialog.getByRole('checkbox', { name: '情報システム部 / IT admins' }).check({ force: true });
    await dialog.getByText(/Only members of these groups still pass: 情報システム部 \/ IT admins/).waitFor();
    await dialog.getByRole('button', { name: 'Start lockdown' }).click();
    const site = page.getByRole('region', { name: 'Site' });
    await site.getByText('Lockdown: applied (ctl-lobby)').waitFor({ timeout: 15_000 });
    await site
      .getByText(/Lockdown on \(1 controller\) — exempt: 情報システム部 \/ IT admins/)
      .waitFor({ timeout: 15_000 });
    expect(await seriousViolations(page), 'floor in lockdown').toEqual([]);
    await screenshot(page, 'floor-lockdown');
    // E-1001 (IT admin, inside since the first test) may leave; E-1011 (staff) may not enter.
    expect(lobbyAgent().present({ door: 'gate-1', side: 'out', card: 'C-1001' }).result).toBe('grant');
    const refused = lobbyAgent().present({ door: 'gate-1', side: 'in', card: 'C-1011' });
    expect(refused.result).toBe('deny');
    await page.getByRole('button', { name: 'End lockdown' }).click();
    await page
      .getByRole('alertdialog', { name: 'End the lockdown?' })
      .getByRole('button', { name: 'End lockdown' })
      .click();
    await site.getByText('No lockdown').waitFor({ timeout: 15_000 });
    expect(lobbyAgent().present({ door: 'gate-1', side: 'in', card: 'C-1011' }).result).toBe('grant');
  }, 60_000);
  it('shows a door forced open on its tile and in the alarm count, as it happens', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Floor', exact: true }).click();
    const tile = page.getByRole('article', { name: '研究室扉 / Lab door' });
    await tile.getByText('Locked', { exact: true }).waitFor();
    // The controller reports the door's state with the event (not only with its 5 s heartbeat), and
    // the stream says so: the tile follows within a moment.
    lobbyAgent().doorSensor('lab-door', true);
    await tile.getByText('Forced open', { exact: true }).waitFor({ timeout: 2_500 });
    await page
      .getByRole('link', { name: /Alarms/ })
      .getByText(/\d+ active alarms?/)
      .waitFor({ timeout: 10_000 });
    await screenshot(page, 'floor-forced');
    lobbyAgent().doorSensor('lab-door', false);
    await tile.getByText('Locked', { exact: true }).waitFor({ timeout: 2_500 });
  }, 60_000);

  it('shows a fire alarm in the site modes, and clears the fire zone from the floor', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Floor', exact: true }).click();
    const site = page.getByRole('region', { name: 'Site' });
    lobbyAgent().fire('east', true);
    await site.getByText('Fire alarm in zone east').waitFor({ timeout: 15_000 });
    await page
      .getByRole('article', { name: 'ゲート1 / Turnstile 1' })
      .getByText(/fire alarm/)
      .waitFor({ timeout: 15_000 });
    // The panel back to normal relocks nothing: the zone stays active until it is cleared.
    lobbyAgent().fire('east', false);
    await site.getByRole('button', { name: 'Clear fire…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Clear the fire zone?' });
    await dialog.getByText(/The egress doors of fire zone east return to their normal mode/).waitFor();
    await dialog
      .getByRole('button', { name: 'Clear fire…' })
      .or(dialog.getByRole('button', { name: 'Clear fire' }))
      .last()
      .click();
    await site.getByText('Clear fire: applied (ctl-lobby)').waitFor({ timeout: 15_000 });
    await site.getByText('No fire alarm').waitFor({ timeout: 15_000 });
  }, 60_000);

  it('says when the push stream cannot connect, polls meanwhile, and goes live once it can', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    const status = page.getByRole('status').filter({ hasText: /^(Live|Reconnecting…|Connecting…)$/ });
    await status.getByText('Live', { exact: true }).waitFor();
    // The stream refused (as a proxy that does not pass it would): reload, and it cannot connect.
    await page.route('**/api/live/stream', (route) => route.abort());
    await page.reload();
    await status.getByText('Reconnecting…', { exact: true }).waitFor({ timeout: 15_000 });
    await screenshot(page, 'live-reconnecting');
    const polled: number[] = [];
    const onRequest = (r: { url(): string }) => {
      if (new URL(r.url()).pathname === '/api/events') polled.push(Date.now());
    };
    page.on('request', onRequest);
    await page.waitForTimeout(7_000);
    expect(polled.length, 'the event list polls while the stream is away').toBeGreaterThanOrEqual(2);
    await page.unroute('**/api/live/stream');
    await status.getByText('Live', { exact: true }).waitFor({ timeout: 40_000 });
    page.off('request', onRequest);
    expect(lobbyAgent().present({ door: 'gate-2', side: 'in', card: 'C-1012' }).result).toBe('grant');
    await page.getByRole('row').filter({ hasText: 'E-1012' }).first().waitFor({ timeout: 10_000 });
  }, 90_000);
});
