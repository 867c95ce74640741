// Schedules (タイムスケジュール): weekly [start, end) intervals in local time, a time zone (default
// Asia/Tokyo), and holiday calendars whose dates deny the whole day (R-ACC-3).
import { z } from 'zod';
import { WEEKDAYS } from '../storage/schedules.ts';
import { crud } from './crud.ts';
import { nameSchema, uniqueIds } from './schemas.ts';

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export const intervalSchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be HH:MM-HH:MM, e.g. 09:00-18:00')
  .refine((s) => minutes(s.slice(0, 5)) < minutes(s.slice(6)), 'must end after it starts');

const daySchema = z
  .array(intervalSchema)
  .max(24)
  .refine((intervals) => {
    const sorted = intervals
      .map((i) => [minutes(i.slice(0, 5)), minutes(i.slice(6))] as const)
      .sort((a, b) => a[0] - b[0]);
    return sorted.every((cur, i) => i === 0 || sorted[i - 1]![1] <= cur[0]);
  }, 'intervals must not overlap');

export const weeklySchema = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((d) => [d, daySchema.optional()])),
);

export const timezoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return tz.length <= 64;
  } catch {
    return false;
  }
}, 'must be an IANA time zone, e.g. Asia/Tokyo');

export const schedules = crud({
  resource: 'schedule',
  schemaId: 'Schedule',
  notFound: 'SCHEDULE_NOT_FOUND',
  store: (r) => r.schedules,
  service: (s) => s.schedules,
  fields: {
    name: nameSchema,
    timezone: timezoneSchema,
    weekly: weeklySchema,
    holidayCalendars: uniqueIds('holiday calendar'),
  },
  defaults: { timezone: 'Asia/Tokyo', holidayCalendars: [] },
  output: {
    name: z.string(),
    timezone: z.string(),
    weekly: z.partialRecord(z.enum(WEEKDAYS), z.array(z.string())),
    holidayCalendars: z.array(z.string()),
  },
});
