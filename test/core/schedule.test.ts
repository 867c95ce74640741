// Schedules: [start, end) weekly intervals, overnight intervals, holidays and holiday intervals,
// evaluated in local wall time (so DST days keep their local hours).
import { describe, expect, it } from 'vitest';
import { localMoment } from '../../src/core/door-mode.ts';
import { compilePolicy } from '../../src/core/policy.ts';
import { PolicyError } from '../../src/core/policy-error.ts';
import { isScheduleActive } from '../../src/core/schedule.ts';
import { at, site } from '../support/sites.ts';

function activeAt(
  zone: string,
  schedule: Parameters<typeof site>[0]['schedules'],
  local: string,
  calendars: Parameters<typeof site>[0]['holidayCalendars'] = [],
) {
  const policy = compilePolicy(site({ timezone: zone, schedules: schedule!, holidayCalendars: calendars! }));
  return isScheduleActive(policy.schedules.get('s')!, localMoment(policy, at(local, zone)));
}

describe('weekly intervals', () => {
  const office = [{ id: 's', weekly: { mon: ['09:00-18:00'] } }];
  it('include the start and exclude the end', () => {
    expect(activeAt('Asia/Tokyo', office, '2026-01-05T08:59:59')).toBe(false);
    expect(activeAt('Asia/Tokyo', office, '2026-01-05T09:00')).toBe(true);
    expect(activeAt('Asia/Tokyo', office, '2026-01-05T17:59:59')).toBe(true);
    expect(activeAt('Asia/Tokyo', office, '2026-01-05T18:00')).toBe(false);
    expect(activeAt('Asia/Tokyo', office, '2026-01-06T10:00')).toBe(false); // Tuesday
  });

  it('run past midnight when the end is before the start', () => {
    const night = [{ id: 's', weekly: { fri: ['22:00-06:00'] } }];
    expect(activeAt('Asia/Tokyo', night, '2026-01-09T23:00')).toBe(true); // Friday night
    expect(activeAt('Asia/Tokyo', night, '2026-01-10T05:59')).toBe(true); // Saturday morning
    expect(activeAt('Asia/Tokyo', night, '2026-01-10T06:00')).toBe(false);
    expect(activeAt('Asia/Tokyo', night, '2026-01-08T23:00')).toBe(false); // Thursday
  });

  it('keep local hours on DST change days (New York, 2026-03-08 and 2026-11-01 are Sundays)', () => {
    const sunday = [{ id: 's', weekly: { sun: ['01:00-04:00'] } }];
    expect(activeAt('America/New_York', sunday, '2026-03-08T01:30')).toBe(true);
    expect(activeAt('America/New_York', sunday, '2026-03-08T03:59')).toBe(true);
    expect(activeAt('America/New_York', sunday, '2026-03-08T04:00')).toBe(false);
    expect(activeAt('America/New_York', sunday, '2026-11-01T00:59')).toBe(false);
    expect(activeAt('America/New_York', sunday, '2026-11-01T01:30')).toBe(true);
    expect(activeAt('America/New_York', sunday, '2026-11-01T04:00')).toBe(false);
  });
});

describe('holidays', () => {
  const withHoliday = [
    { id: 's', weekly: { mon: ['09:00-18:00'] }, holidays: ['2026-01-12'], holiday: ['10:00-12:00'] },
  ];
  it('replace the weekly intervals with the holiday intervals', () => {
    expect(activeAt('Asia/Tokyo', withHoliday, '2026-01-12T09:30')).toBe(false);
    expect(activeAt('Asia/Tokyo', withHoliday, '2026-01-12T10:30')).toBe(true);
    expect(activeAt('Asia/Tokyo', withHoliday, '2026-01-19T09:30')).toBe(true);
  });
  it('come from calendars too, and close the whole day by default', () => {
    const cal = [{ id: 's', weekly: { mon: ['09:00-18:00'] }, calendars: ['jp'] }];
    expect(activeAt('Asia/Tokyo', cal, '2026-01-12T10:00', [{ id: 'jp', dates: ['2026-01-12'] }])).toBe(
      false,
    );
    expect(activeAt('Asia/Tokyo', cal, '2026-01-19T10:00', [{ id: 'jp', dates: ['2026-01-12'] }])).toBe(true);
  });
  it('name the bad field when malformed', () => {
    expect(() => compilePolicy(site({ schedules: [{ id: 's', weekly: { mon: ['9-18'] } }] }))).toThrow(
      PolicyError,
    );
    expect(() =>
      compilePolicy(site({ schedules: [{ id: 's', weekly: {}, holidays: ['2026-02-30'] }] })),
    ).toThrow(/schedules\[0\]\.holidays\[0\]/);
    expect(() => compilePolicy(site({ schedules: [{ id: 's', weekly: {}, calendars: ['nope'] }] }))).toThrow(
      /unknown holiday calendar/,
    );
  });
});
