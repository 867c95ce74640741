// Schedules (タイムスケジュール): weekly [start, end) intervals in the local time of the site where the
// schedule applies (an interval ending at or before its start runs overnight and belongs to the day it
// starts), intervals that apply on holidays instead, and holiday calendars: its own, plus the site's
// unless `siteHolidays` is false (R-ACC-3). The time zone is the site's, not the schedule's.

import { DEFAULT_TIMEZONE, WEEKDAYS, type Weekday } from '../../core/model.ts';
import type { Executor } from './db.ts';
import { ResourceStore } from './resource.ts';

export { WEEKDAYS, type Weekday };
/** Day → intervals like "09:00-18:00"; a missing day has none. */
export type Weekly = Partial<Record<Weekday, string[]>>;

export interface ScheduleInput {
  id: string;
  name: string;
  weekly: Weekly;
  /** intervals that apply on holidays instead of the weekly ones (none: closed all day) */
  holidayIntervals: string[];
  holidayCalendars: string[];
  /** whether the holiday calendars of the site where it applies count too */
  siteHolidays: boolean;
}

export class ScheduleStore extends ResourceStore<ScheduleInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'schedule',
      table: 'schedules',
      toRow: (s) => ({
        name: s.name,
        // No longer read (the site's zone applies); the column is NOT NULL from before sites.
        timezone: DEFAULT_TIMEZONE,
        weekly: JSON.stringify(s.weekly),
        holiday_intervals: s.holidayIntervals.length > 0 ? JSON.stringify(s.holidayIntervals) : null,
        site_holidays: s.siteHolidays ? 1 : 0,
      }),
      fromRow: (r) => ({
        name: r.name as string,
        weekly: JSON.parse(r.weekly as string) as Weekly,
        holidayIntervals: r.holiday_intervals ? (JSON.parse(r.holiday_intervals as string) as string[]) : [],
        holidayCalendars: [],
        siteHolidays: Number(r.site_holidays ?? 1) === 1,
      }),
      links: [
        {
          field: 'holidayCalendars',
          table: 'schedule_holidays',
          owner: 'schedule_id',
          target: 'calendar_id',
          refTable: 'holiday_calendars',
          refResource: 'holiday_calendar',
        },
      ],
      refs: [],
    });
  }
}
