// Holiday calendars (祝日・休業日): named lists of local dates that schedules refer to.
import { z } from 'zod';
import { crud } from './crud.ts';
import { nameSchema } from './schemas.ts';

const dateSchema = z.iso.date({ error: 'must be a date YYYY-MM-DD' });

export const holidays = crud({
  resource: 'holiday calendar',
  schemaId: 'HolidayCalendar',
  notFound: 'HOLIDAY_CALENDAR_NOT_FOUND',
  store: (r) => r.holidays,
  service: (s) => s.holidays,
  fields: {
    name: nameSchema,
    dates: z
      .array(z.strictObject({ date: dateSchema, name: z.string().trim().max(200).default('') }))
      .max(1000)
      .refine((ds) => new Set(ds.map((d) => d.date)).size === ds.length, 'must not list a date twice'),
  },
  defaults: { dates: [] },
  output: { name: z.string(), dates: z.array(z.object({ date: z.string(), name: z.string() })) },
});
