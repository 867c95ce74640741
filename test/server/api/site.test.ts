// Rule: the site model (areas, controllers, doors, schedules, holiday calendars, access levels,
// groups) is built through the API with every reference checked: an unknown id is a 400 naming the
// field, a record still in use cannot be deleted (409), the built-in `outside` area cannot be
// touched, and a refused request changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './support.ts';

describe('site model API', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  const ok = async (response: Promise<{ statusCode: number; body: string }>, status = 201) => {
    const r = await response;
    expect(r.statusCode, r.body).toBe(status);
    return JSON.parse(r.body || 'null');
  };

  it('builds a site from areas to groups and reads it back', async () => {
    await ok(api.post('admin', '/api/sites', { id: 'tokyo', name: '東京本社' }));
    await ok(api.post('admin', '/api/areas', { id: 'lobby', name: 'ロビー', site: 'tokyo' }));
    const lab = await ok(
      api.post('admin', '/api/areas', {
        id: 'lab',
        name: 'Lab',
        parentId: 'lobby',
        antipassback: { mode: 'soft', reentryMinutes: 10 },
      }),
    );
    expect(lab).toMatchObject({
      parentId: 'lobby',
      maxOccupancy: null,
      antipassback: { mode: 'soft', reentryMinutes: 10 },
    });
    await ok(api.post('admin', '/api/controllers', { id: 'ctl-1', name: 'Controller 1', site: 'tokyo' }));
    const door = await ok(
      api.post('admin', '/api/doors', {
        id: 'D1',
        name: 'Lab door',
        fromArea: 'lobby',
        toArea: 'lab',
        controllerId: 'ctl-1',
      }),
    );
    expect(door).toMatchObject({ mode: 'card', strikeSeconds: 5, heldOpenSeconds: 30 });
    await ok(
      api.post('admin', '/api/holidays', {
        id: 'jp-2026',
        name: '祝日 2026',
        dates: [{ date: '2026-01-01', name: '元日' }],
      }),
    );
    const schedule = await ok(
      api.post('admin', '/api/schedules', {
        id: 'office',
        name: 'Office',
        weekly: { mon: ['09:00-12:00', '13:00-18:00'], fri: ['09:00-24:00'] },
        holidayCalendars: ['jp-2026'],
      }),
    );
    expect(schedule).toMatchObject({
      holidayCalendars: ['jp-2026'],
      holidayIntervals: [],
      siteHolidays: true,
    });
    expect(schedule).not.toHaveProperty('timezone'); // the site's zone applies
    await ok(
      api.post('admin', '/api/access-levels', {
        id: 'lab-day',
        name: 'Lab by day',
        scheduleId: 'office',
        doors: ['D1'],
      }),
    );
    await ok(api.post('admin', '/api/groups', { id: 'researchers', name: '研究員', levels: ['lab-day'] }));
    await ok(
      api.post('admin', '/api/people', {
        id: 'r1',
        name: 'R1',
        groups: ['researchers'],
        levels: ['lab-day'],
      }),
    );
    expect((await api.get('admin', '/api/doors?controllerId=ctl-1')).json().items).toHaveLength(1);
    expect(
      (await api.get('admin', '/api/areas?parentId=lobby')).json().items.map((a: { id: string }) => a.id),
    ).toEqual(['lab']);
    const changed = await ok(api.patch('admin', '/api/doors/D1', { mode: 'card+pin' }), 200);
    expect(changed).toMatchObject({ mode: 'card+pin', fromArea: 'lobby', controllerId: 'ctl-1' });
  });

  it.each([
    [
      '/api/doors',
      { id: 'D2', name: 'x', fromArea: 'lobby', toArea: 'attic' },
      'body.toArea',
      'UNKNOWN_REFERENCE',
    ],
    [
      '/api/doors',
      { id: 'D2', name: 'x', fromArea: 'lobby', toArea: 'lobby' },
      'body.toArea',
      'INVALID_INPUT',
    ],
    [
      '/api/doors',
      { id: 'D2', name: 'x', fromArea: 'lobby', toArea: 'lab', mode: 'open' },
      'body.mode',
      'INVALID_INPUT',
    ],
    [
      '/api/doors',
      { id: 'D2', name: 'x', fromArea: 'lobby', toArea: 'lab', strikeSeconds: 0 },
      'body.strikeSeconds',
      'INVALID_INPUT',
    ],
    [
      '/api/schedules',
      { id: 's2', name: 'x', weekly: { mon: ['09:00-09:00'] } },
      'body.weekly.mon[0]',
      'INVALID_INPUT',
    ],
    [
      '/api/schedules',
      { id: 's2', name: 'x', weekly: { mon: ['9:00-18:00'] } },
      'body.weekly.mon[0]',
      'INVALID_INPUT',
    ],
    [
      '/api/schedules',
      { id: 's2', name: 'x', weekly: {}, timezone: 'Asia/Tokyo' },
      'body.timezone',
      'INVALID_INPUT',
    ],
    ['/api/sites', { id: 's2', name: 'x', timezone: 'Mars/Olympus' }, 'body.timezone', 'INVALID_INPUT'],
    ['/api/sites', { id: '東京', name: 'x' }, 'body.topic', 'INVALID_INPUT'],
    ['/api/controllers', { id: 'c2', name: 'x', site: 'tokio' }, 'body.site', 'UNKNOWN_REFERENCE'],
    [
      '/api/schedules',
      { id: 's2', name: 'x', weekly: {}, holidayCalendars: ['none'] },
      'body.holidayCalendars[0]',
      'UNKNOWN_REFERENCE',
    ],
    [
      '/api/holidays',
      { id: 'h2', name: 'x', dates: [{ date: '2026-02-30' }] },
      'body.dates[0].date',
      'INVALID_INPUT',
    ],
    [
      '/api/access-levels',
      { id: 'l2', name: 'x', doors: ['D1', 'D404'] },
      'body.doors[1]',
      'UNKNOWN_REFERENCE',
    ],
    ['/api/groups', { id: 'g2', name: 'x', levels: ['nope'] }, 'body.levels[0]', 'UNKNOWN_REFERENCE'],
    ['/api/areas', { id: 'a2', name: 'x', maxOccupancy: -1 }, 'body.maxOccupancy', 'INVALID_INPUT'],
  ])('POST %s refuses bad input naming %s', async (url, body, field, code) => {
    const before = await api.snapshot();
    const response = await api.post('admin', url, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code, field });
    expect(await api.snapshot()).toBe(before);
  });

  it('refuses to delete what is in use, and the outside area', async () => {
    const cases: [string, string][] = [
      ['/api/doors/D1', 'DOOR_IN_USE'],
      ['/api/areas/lobby', 'AREA_IN_USE'],
      ['/api/controllers/ctl-1', 'CONTROLLER_IN_USE'],
      ['/api/schedules/office', 'SCHEDULE_IN_USE'],
      ['/api/holidays/jp-2026', 'HOLIDAY_CALENDAR_IN_USE'],
      ['/api/access-levels/lab-day', 'ACCESS_LEVEL_IN_USE'],
      ['/api/groups/researchers', 'GROUP_IN_USE'],
      ['/api/sites/tokyo', 'SITE_IN_USE'],
      ['/api/areas/outside', 'AREA_PROTECTED'],
    ];
    const before = await api.snapshot();
    for (const [url, code] of cases) {
      const response = await api.delete('admin', url);
      expect(response.statusCode, url).toBe(409);
      expect(response.json().error.code).toBe(code);
    }
    expect((await api.patch('admin', '/api/areas/outside', { name: 'x' })).json().error.code).toBe(
      'AREA_PROTECTED',
    );
    expect((await api.patch('admin', '/api/areas/lobby', { parentId: 'lab' })).json().error).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'body.parentId',
    });
    expect(await api.snapshot()).toBe(before);
  });

  it('deletes in dependency order', async () => {
    await ok(api.delete('admin', '/api/people/r1'), 204);
    for (const url of [
      '/api/groups/researchers',
      '/api/access-levels/lab-day',
      '/api/schedules/office',
      '/api/holidays/jp-2026',
      '/api/doors/D1',
      '/api/controllers/ctl-1',
      '/api/areas/lab',
      '/api/areas/lobby',
      '/api/sites/tokyo',
    ])
      await ok(api.delete('admin', url), 204);
    expect((await api.get('admin', '/api/areas')).json().items.map((a: { id: string }) => a.id)).toEqual([
      'outside',
    ]);
    expect((await api.delete('admin', '/api/doors/D1')).json().error.code).toBe('DOOR_NOT_FOUND');
  });
});
