// Schedules (タイムスケジュール): weekly [start, end) intervals in the local time of the site where they
// apply; `22:00-06:00` runs overnight and belongs to the day it starts; overlapping intervals merge.
// On a holiday (a date of the schedule's calendars or, unless siteHolidays is false, of the site's) the
// holiday intervals apply instead: none means closed all day (R-ACC-3).
import { z } from 'zod';
import { WEEKDAYS } from '../../core/model.ts';
import { crud } from './crud.ts';
import { nameSchema, uniqueIds } from './schemas.ts';

const TIME = '([01]\\d|2[0-3]):[0-5]\\d';
export const intervalSchema = z
  .string()
  .regex(
    new RegExp(`^${TIME}-(${TIME}|24:00)$`),
    'must be HH:MM-HH:MM, e.g. 09:00-18:00 (22:00-06:00 runs overnight; 24:00 ends at midnight)',
  )
  .refine((s) => s.slice(0, 5) !== s.slice(6), 'must not start and end at the same time')
  .meta({ description: '[start, end) local time; an end at or before the start runs past midnight' });

const daySchema = z.array(intervalSchema).max(24);

export const weeklySchema = z
  .strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, daySchema.optional()])))
  .meta({ description: 'weekday (mon … sun) → intervals; a missing day has none' });

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
    weekly: weeklySchema,
    holidayIntervals: daySchema.meta({
      description: 'intervals that apply on holidays instead of the weekly ones (default none: closed)',
    }),
    holidayCalendars: uniqueIds('holiday calendar'),
    siteHolidays: z.boolean().meta({
      description: 'whether the holiday calendars of the site where it applies count (default true)',
    }),
  },
  defaults: { holidayIntervals: [], holidayCalendars: [], siteHolidays: true },
  output: {
    name: z.string(),
    weekly: z.partialRecord(z.enum(WEEKDAYS), z.array(z.string())),
    holidayIntervals: z.array(z.string()),
    holidayCalendars: z.array(z.string()),
    siteHolidays: z.boolean(),
  },
});
