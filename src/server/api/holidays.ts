// Holiday calendars (祝日・休業日): named lists of local dates that sites and schedules refer to. A
// preset fills a calendar from a maintained source (`jp`: the Japanese public holidays) for a range of
// years; dates given beside it are kept too (company holidays such as 年末年始).
import { z } from 'zod';
import { HOLIDAY_PRESET_IDS, HOLIDAY_PRESETS } from '../holidays/presets.ts';
import { crud } from './crud.ts';
import { endpoint } from './endpoint.ts';
import { nameSchema } from './schemas.ts';

const dateSchema = z.iso.date({ error: 'must be a date YYYY-MM-DD' });
const year = z.number().int().min(1900).max(2200);

const presetSchema = z
  .strictObject({ name: z.enum(HOLIDAY_PRESET_IDS), from: year, until: year })
  .refine((p) => p.from <= p.until, { path: ['until'], message: 'must not be before from' })
  .meta({
    id: 'HolidayPresetUse',
    description: 'fill the calendar with this preset’s holidays for the years from … until (inclusive)',
  });

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
    preset: presetSchema.nullable(),
  },
  defaults: { dates: [], preset: null },
  output: {
    name: z.string(),
    dates: z.array(z.object({ date: z.string(), name: z.string() })),
    preset: z
      .object({ name: z.string(), from: z.number().int(), until: z.number().int() })
      .nullable()
      .meta({ description: 'the preset the calendar was last filled from' }),
  },
});

export const listHolidayPresets = endpoint({
  operationId: 'listHolidayPresets',
  summary: 'List holiday presets',
  description: 'Presets fill a holiday calendar from a maintained source: give `preset` on a calendar.',
  response: z.object({
    items: z.array(
      z
        .object({
          id: z.string(),
          name: z.string(),
          source: z.string().meta({ description: 'where the dates come from (package and version)' }),
          from: z.number().int().meta({ description: 'first year covered' }),
          until: z.number().int().meta({ description: 'last year covered' }),
        })
        .meta({ id: 'HolidayPreset' }),
    ),
    next: z.null(),
  }),
  async handle() {
    return {
      items: HOLIDAY_PRESETS.map(({ id, name, source, from, until }) => ({ id, name, source, from, until })),
      next: null,
    };
  },
});
