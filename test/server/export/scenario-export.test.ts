// Rule: `monban scenario export` writes the live configuration as a scenario file that runs green with
// `monban scenario run`: a site configured through the API — its time zone and Japanese holidays,
// overnight and holiday intervals, every door mode (card+biometric too), area and door rules, people
// with cards, PINs, duress PINs and PIN-only credentials — behaves in the exported scenario as
// configured. PINs export as stand-ins: the real digits appear nowhere in the file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportScenarioCommand, runScenarioFiles } from '../../../src/cli/commands/scenario.ts';
import { type Api, startApi } from '../api/support.ts';

const REAL_PINS = ['482913', '771204', '5550123', '908172'];
// REAL_PINS[4] is the code the server issues for alice's PIN-only credential.

describe('scenario export', () => {
  let api: Api;
  let dir: string;
  const env = () => ({ MONBAN_DATA_DIR: dir });

  beforeAll(async () => {
    api = await startApi();
    // The harness keeps its database (monban.db) in a directory of its own: export from there.
    dir = api.dir;
    const ok = async (url: string, body: unknown, method: 'POST' | 'PATCH' = 'POST') => {
      const r = await api.request('admin', method, url, body);
      expect(r.statusCode, `${url}: ${r.body}`).toBeLessThan(300);
    };
    await ok('/api/holidays', {
      id: 'jp',
      name: '国民の祝日',
      preset: { name: 'jp', from: 2026, until: 2026 },
    });
    await ok('/api/holidays', {
      id: 'company',
      name: '年末年始',
      dates: [{ date: '2026-12-29', name: '年末' }],
    });
    await ok('/api/sites', { id: 'tokyo', name: '東京本社', holidayCalendars: ['jp'] });
    await ok('/api/controllers', { id: 'ctl-1', name: 'Controller 1', site: 'tokyo' });
    await ok('/api/groups', { id: 'staff', name: 'Staff' });
    await ok('/api/groups', { id: 'guards', name: 'Guards' });
    await ok('/api/groups', { id: 'managers', name: 'Managers' });
    await ok('/api/areas', {
      id: 'lobby',
      name: 'Lobby',
      site: 'tokyo',
      antipassback: { mode: 'soft', resetAt: '03:00' },
    });
    await ok('/api/areas', {
      id: 'lab',
      name: 'Lab',
      parentId: 'lobby',
      rules: { route: { requires: 'lobby' }, fireZone: 'east' },
    });
    await ok('/api/areas', {
      id: 'vault',
      name: 'Vault',
      parentId: 'lobby',
      rules: { priority: { group: 'managers' } },
    });
    await ok('/api/areas', { id: 'closed', name: 'Closed room', parentId: 'lobby', maxOccupancy: 0 });
    const door = (id: string, from: string, to: string, extra: Record<string, unknown> = {}) =>
      ok('/api/doors', { id, name: id, fromArea: from, toArea: to, controllerId: 'ctl-1', ...extra });
    await ok('/api/schedules', {
      id: 'office',
      name: 'Office hours',
      weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, ['09:00-18:00']])),
      holidayCalendars: ['company'],
    });
    await ok('/api/schedules', {
      id: 'night',
      name: 'Night shift',
      weekly: { mon: ['22:00-06:00'] },
      holidayIntervals: ['10:00-12:00'],
    });
    await ok('/api/schedules', { id: 'always', name: '24/7', weekly: {}, siteHolidays: false });
    await door('FRONT', 'outside', 'lobby');
    await door('LAB', 'lobby', 'lab', {
      mode: 'card+pin',
      rules: { interlock: 'airlock', localAntipassback: true },
    });
    await door('VAULT', 'lobby', 'vault', { mode: 'card+biometric' });
    await door('KEYPAD', 'lobby', 'closed', { mode: 'pin' });
    await door('SIDE', 'outside', 'lobby', {
      rules: { scheduledModes: [{ schedule: 'office', mode: 'unlocked' }] },
    });
    await ok('/api/access-levels', {
      id: 'day',
      name: 'Day',
      scheduleId: 'office',
      doors: ['FRONT', 'LAB', 'VAULT', 'KEYPAD'],
    });
    await ok('/api/access-levels', { id: 'night', name: 'Night', scheduleId: 'night', doors: ['FRONT'] });
    await ok('/api/access-levels', {
      id: 'low-threat',
      name: 'Low threat',
      doors: ['FRONT'],
      maxThreatLevel: 1,
    });
    await ok('/api/groups/staff', { levels: ['day'] }, 'PATCH');
    await ok('/api/groups/guards', { levels: ['night'] }, 'PATCH');
    await ok('/api/people', { id: 'alice', name: '山田 花子', groups: ['staff', 'managers'] });
    await ok('/api/people', { id: 'bob', name: 'Bob', groups: ['staff'] });
    await ok('/api/people', { id: 'gen', name: 'Gen', groups: ['guards'] });
    await ok('/api/people', { id: 'visitor', name: 'Visitor', levels: ['low-threat'] });
    await ok('/api/people', { id: 'leaver', name: 'Leaver', groups: ['staff'], active: false });
    const credential = (body: Record<string, unknown>) => ok('/api/credentials', body);
    await credential({
      id: 'alice-card',
      personId: 'alice',
      type: 'card',
      identifier: 'C-1001',
      pin: REAL_PINS[0],
      duressPin: REAL_PINS[1],
    });
    // PIN-only codes are issued by the server: the code it answers must not reach the export either.
    const issued = await api.request('admin', 'POST', '/api/credentials', {
      id: 'alice-pin',
      personId: 'alice',
      type: 'pin',
    });
    expect(issued.statusCode, issued.body).toBe(201);
    REAL_PINS.push(issued.json().pin);
    await credential({
      id: 'bob-card',
      personId: 'bob',
      type: 'card',
      identifier: 'C-1002',
      state: 'suspended',
    });
    await credential({
      id: 'bob-phone',
      personId: 'bob',
      type: 'mobile',
      identifier: 'M-7',
      pin: REAL_PINS[3],
    });
    await credential({
      id: 'gen-card',
      personId: 'gen',
      type: 'card',
      identifier: 'C-1003',
      validUntil: '2026-03-01T00:00:00+09:00',
    });
    await credential({ id: 'visitor-key', personId: 'visitor', type: 'key', identifier: 'K-3', maxUses: 2 });
    await credential({ id: 'leaver-card', personId: 'leaver', type: 'card', identifier: 'C-1004' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('exports a file that runs green, with the site’s behaviour and no real PIN', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'monban-export-')), 'site.yaml');
    const said: string[] = [];
    expect(await exportScenarioCommand({ output: out }, (l) => said.push(l), env())).toBe(0);
    expect(said.at(-1)).toMatch(/exported 5 people/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const text = readFileSync(out, 'utf8');
    for (const pin of REAL_PINS) expect(text).not.toContain(pin);
    const scenario = parse(text);
    expect(scenario).toMatchObject({ version: 1, timezone: 'Asia/Tokyo' });
    const alice = scenario.people.find((p: { id: string }) => p.id === 'alice');
    const card = alice.credentials.find((c: { type: string }) => c.type === 'card');
    const pinOnly = alice.credentials.find((c: { type: string }) => c.type === 'pin');
    expect(card).toMatchObject({
      id: 'C-1001',
      pin: expect.stringMatching(/^1\d{7}$/),
      duressPin: expect.stringMatching(/^2\d{7}$/),
    });
    const bobPhone = scenario.people
      .find((p: { id: string }) => p.id === 'bob')
      .credentials.find((c: { type: string }) => c.type === 'mobile');

    // The site's acceptance checks, run against the export (2026-01-05 is a Monday; 01-12 成人の日).
    const at = (t: string) => `2026-${t}`;
    const present = (door: string, credential: string, extra: Record<string, unknown> = {}) => ({
      door,
      side: 'in',
      credential,
      ...extra,
    });
    const timeline = [
      { at: at('01-05T10:00'), present: present('FRONT', 'card:C-1001'), expect: { result: 'grant' } },
      {
        at: at('01-05T10:01'),
        present: present('LAB', 'card:C-1001', { pin: card.pin }),
        expect: { result: 'grant' },
      },
      {
        at: at('01-05T10:02'),
        present: { ...present('LAB', 'card:C-1001', { pin: card.pin }), side: 'out' },
        expect: { result: 'grant' },
      },
      {
        at: at('01-05T10:03'),
        present: present('LAB', 'card:C-1001', { pin: '0000' }),
        expect: { reason: 'wrong_pin' },
      },
      {
        at: at('01-05T10:04'),
        present: present('LAB', 'card:C-1001', { pin: card.duressPin }),
        expect: { result: 'grant', warnings: ['duress'], alarm: 'duress' },
      },
      {
        at: at('01-05T10:05'),
        present: present('VAULT', 'card:C-1001'),
        expect: { reason: 'factor_required' },
      },
      {
        at: at('01-05T10:06'),
        present: present('VAULT', 'card:C-1001', { biometric: true }),
        expect: { result: 'grant' },
      },
      {
        at: at('01-05T10:07'),
        present: present('KEYPAD', `pin:${pinOnly.pin}`),
        expect: { reason: 'occupancy_full' },
      },
      {
        at: at('01-05T10:08'),
        present: present('FRONT', 'card:C-1002'),
        expect: { reason: 'credential_inactive' },
      },
      { at: at('01-05T10:09'), present: present('FRONT', 'mobile:M-7'), expect: { result: 'grant' } },
      {
        at: at('01-05T10:10'),
        present: present('FRONT', 'card:C-1004'),
        expect: { reason: 'person_inactive' },
      },
      { at: at('01-05T10:11'), expect: { doorsUnlocked: ['SIDE'] } },
      // Overnight: Monday 22:00 to Tuesday 06:00 belongs to Monday.
      {
        at: at('01-06T02:00'),
        present: present('FRONT', 'card:C-1003'),
        expect: { result: 'grant' },
      },
      {
        at: at('01-06T07:00'),
        present: present('FRONT', 'card:C-1003'),
        expect: { reason: 'outside_schedule' },
      },
      { at: at('01-06T08:00'), expect: { doorsLocked: ['SIDE'] } },
      // Japanese public holiday from the preset, through the site's calendars.
      {
        at: at('01-12T10:00'),
        present: present('FRONT', 'mobile:M-7'),
        expect: { reason: 'outside_schedule' },
      },
      // Holiday intervals: on a holiday the night schedule applies 10:00–12:00 instead.
      {
        at: at('01-12T11:00'),
        present: present('FRONT', 'card:C-1003'),
        expect: { result: 'grant' },
      },
      {
        at: at('01-12T22:30'),
        present: present('FRONT', 'card:C-1003'),
        expect: { reason: 'outside_schedule' },
      },
      // Use counts and threat levels.
      { at: at('01-14T08:00'), present: present('FRONT', 'key:K-3'), expect: { result: 'grant' } },
      { at: at('01-14T08:01'), operator: { action: 'set-threat-level', level: 2 } },
      { at: at('01-14T08:02'), present: present('FRONT', 'key:K-3'), expect: { result: 'deny' } },
      // Validity ends (exclusive) at 2026-03-01 00:00 local.
      {
        at: at('03-02T23:00'),
        present: present('FRONT', 'card:C-1003'),
        expect: { reason: 'outside_validity' },
      },
      // The company calendar closes the office schedule on 12-29.
      {
        at: at('12-29T10:00'),
        present: present('FRONT', 'mobile:M-7'),
        expect: { reason: 'outside_schedule' },
      },
    ];
    const steps = join(dir, 'checks.yaml');
    writeFileSync(steps, JSON.stringify(timeline));
    const tested = join(dir, 'tested.yaml');
    expect(await exportScenarioCommand({ output: tested, timeline: steps }, () => {}, env())).toBe(0);
    const printed: string[] = [];
    const summary = runScenarioFiles([tested], true, (t) => printed.push(t));
    expect(summary, printed.join('\n')).toEqual({ passed: 1, failed: 0 });
    expect(bobPhone.pin).toMatch(/^1\d{7}$/);

    // And the command itself, as a user runs it.
    const cli = execFileSync(process.execPath, ['bin/monban.js', 'scenario', 'run', '--quiet', tested], {
      encoding: 'utf8',
    });
    expect(cli).toMatch(/1 passed, 0 failed/);
  }, 60_000);

  it('refuses an unknown site and a timeline that is not a list', async () => {
    const said: string[] = [];
    expect(
      await exportScenarioCommand({ site: 'osaka', output: join(dir, 'x.yaml') }, (l) => said.push(l), env()),
    ).toBe(1);
    expect(said.join('\n')).toMatch(/no site 'osaka'/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'just: a map\n');
    expect(await exportScenarioCommand({ timeline: bad }, (l) => said.push(l), env())).toBe(1);
    expect(said.at(-1)).toMatch(/not a list of timeline steps/);
  });
});
