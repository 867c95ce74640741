// Rule: a site owns its time zone, holiday calendars and topic; the Japanese public holidays fill a
// calendar from a maintained package; every door mode of the core is accepted; unknown query
// parameters and filters are a 400 on every list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOOR_MODES } from '../../../src/core/model.ts';
import { type Api, startApi } from './support.ts';

describe('site resource and site model API', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('fills a calendar with the Japanese public holidays, keeping dates of its own', async () => {
    const presets = (await api.get('auditor', '/api/holiday-presets')).json();
    expect(presets.items[0]).toMatchObject({ id: 'jp', source: expect.stringMatching(/holiday_jp \d/) });
    const created = await api.post('admin', '/api/holidays', {
      id: 'jp',
      name: '祝日',
      preset: { name: 'jp', from: 2026, until: 2027 },
      dates: [{ date: '2026-12-29', name: '年末休業' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const dates = created.json().dates as { date: string; name: string }[];
    expect(dates).toContainEqual({ date: '2026-01-12', name: '成人の日' });
    expect(dates).toContainEqual({ date: '2026-09-22', name: '休日' }); // 国民の休日
    expect(dates).toContainEqual({ date: '2027-01-01', name: '元日' });
    expect(dates).toContainEqual({ date: '2026-12-29', name: '年末休業' });
    expect(dates.some((d) => d.date.startsWith('2028'))).toBe(false);
    expect(created.json().preset).toEqual({ name: 'jp', from: 2026, until: 2027 });
    const outside = await api.post('admin', '/api/holidays', {
      id: 'x',
      name: 'x',
      preset: { name: 'jp', from: 1900, until: 1901 },
    });
    expect(outside.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'body.preset.from' });
  });

  it('creates a site with its calendars; the topic defaults to the id', async () => {
    const site = await api.post('admin', '/api/sites', {
      id: 'osaka',
      name: '大阪',
      timezone: 'Asia/Tokyo',
      holidayCalendars: ['jp'],
    });
    expect(site.statusCode, site.body).toBe(201);
    expect(site.json()).toMatchObject({ topic: 'osaka', holidayCalendars: ['jp'] });
    expect((await api.delete('admin', '/api/holidays/jp')).json().error.code).toBe('HOLIDAY_CALENDAR_IN_USE');
    expect((await api.get('admin', '/api/sites/nope')).json().error.code).toBe('SITE_NOT_FOUND');
  });

  it('accepts every door mode of the core, overnight and holiday intervals, and threat limits', async () => {
    await api.post('admin', '/api/areas', { id: 'room', name: 'Room', site: 'osaka', maxOccupancy: 0 });
    for (const [i, mode] of DOOR_MODES.entries()) {
      const r = await api.post('admin', '/api/doors', {
        id: `D${i}`,
        name: mode,
        fromArea: 'outside',
        toArea: 'room',
        mode,
      });
      expect(r.statusCode, `${mode}: ${r.body}`).toBe(201);
    }
    const schedule = await api.post('admin', '/api/schedules', {
      id: 'night',
      name: 'Night',
      weekly: { fri: ['22:00-06:00'] },
      holidayIntervals: ['10:00-12:00'],
      siteHolidays: false,
    });
    expect(schedule.json()).toMatchObject({
      weekly: { fri: ['22:00-06:00'] },
      holidayIntervals: ['10:00-12:00'],
    });
    const level = await api.post('admin', '/api/access-levels', {
      id: 'L',
      name: 'L',
      doors: ['D0'],
      scheduleId: 'night',
      maxThreatLevel: 2,
    });
    expect(level.json()).toMatchObject({ maxThreatLevel: 2 });
  });

  it.each([
    '/api/people?colour=red',
    '/api/credentials?owner=x',
    '/api/doors?site=osaka',
    '/api/sites?tz=Asia/Tokyo',
    '/api/events?person=x&persn=y',
    '/api/events?type=forced_open',
    '/api/health?verbose=1',
    '/api/csv/people?bom=true&sheet=1',
  ])('answers 400 to an unknown query parameter or filter: %s', async (url) => {
    const r = await api.get('admin', url);
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().error.code).toBe('INVALID_INPUT');
  });
});
