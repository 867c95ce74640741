// Schedules (タイムスケジュール): weekly [start, end) intervals in local time, a time zone, and the
// holiday calendars whose dates deny the whole day (R-ACC-3).

import { WEEKDAYS, type Weekday } from '../../core/model.ts';
import type { Executor } from './db.ts';
import { ResourceStore } from './resource.ts';

export { WEEKDAYS, type Weekday };
/** Day → intervals like "09:00-18:00"; a missing day has none. */
export type Weekly = Partial<Record<Weekday, string[]>>;

export interface ScheduleInput {
  id: string;
  name: string;
  timezone: string;
  weekly: Weekly;
  holidayCalendars: string[];
}

export class ScheduleStore extends ResourceStore<ScheduleInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'schedule',
      table: 'schedules',
      toRow: (s) => ({ name: s.name, timezone: s.timezone, weekly: JSON.stringify(s.weekly) }),
      fromRow: (r) => ({
        name: r.name as string,
        timezone: r.timezone as string,
        weekly: JSON.parse(r.weekly as string) as Weekly,
        holidayCalendars: [],
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
