// Holiday calendars (祝日・休業日): named lists of local dates that schedules refer to. A calendar
// used by a schedule cannot be removed.

import { holidayPreset } from '../holidays/presets.ts';
import type { Executor } from './db.ts';
import { StorageError } from './errors.ts';
import { ResourceStore, type Stamps } from './resource.ts';

export interface HolidayDate {
  /** YYYY-MM-DD */
  date: string;
  name: string;
}

/** Where a calendar's dates were filled from: a preset for a range of years. */
export interface HolidayPresetUse {
  name: string;
  from: number;
  until: number;
}

export interface HolidayCalendarInput {
  id: string;
  name: string;
  dates: HolidayDate[];
  preset: HolidayPresetUse | null;
}

export class HolidayCalendarStore extends ResourceStore<HolidayCalendarInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'holiday_calendar',
      table: 'holiday_calendars',
      toRow: (c) => ({ name: c.name, preset: c.preset ? JSON.stringify(c.preset) : null }),
      fromRow: (r) => ({
        name: r.name as string,
        dates: [],
        preset: r.preset ? (JSON.parse(r.preset as string) as HolidayPresetUse) : null,
      }),
      links: [],
      refs: [],
      collections: [
        {
          field: 'dates',
          async load(db, ownerIds) {
            const byOwner = new Map<string, HolidayDate[]>(ownerIds.map((id) => [id, []]));
            if (ownerIds.length === 0) return byOwner;
            const rows = await db
              .selectFrom('holiday_dates')
              .select(['calendar_id', 'date', 'name'])
              .where('calendar_id', 'in', [...ownerIds])
              .orderBy('date')
              .execute();
            for (const r of rows) byOwner.get(r.calendar_id)?.push({ date: r.date, name: r.name });
            return byOwner;
          },
          async save(db, ownerId, items) {
            await db.deleteFrom('holiday_dates').where('calendar_id', '=', ownerId).execute();
            // One entry per date: the last one given wins.
            const byDate = new Map((items as HolidayDate[]).map((d) => [d.date, d.name]));
            if (byDate.size > 0)
              await db
                .insertInto('holiday_dates')
                .values([...byDate].map(([date, name]) => ({ calendar_id: ownerId, date, name })))
                .execute();
          },
        },
      ],
    });
  }

  override create(input: HolidayCalendarInput, now: number): Promise<HolidayCalendarInput & Stamps> {
    return super.create({ ...input, dates: withPreset(input.dates, input.preset) }, now);
  }

  /** A preset given adds its holidays to the dates given (or, without dates, to those stored). */
  override async update(
    id: string,
    patch: Partial<Omit<HolidayCalendarInput, 'id'>>,
    now: number,
  ): Promise<HolidayCalendarInput & Stamps> {
    if (!patch.preset) return super.update(id, patch, now);
    const dates = patch.dates ?? (await this.get(id))?.dates ?? [];
    return super.update(id, { ...patch, dates: withPreset(dates, patch.preset) }, now);
  }
}

/** The preset's holidays for its years, then the dates given (a date given keeps its own name). */
function withPreset(
  dates: readonly HolidayDate[],
  preset: HolidayPresetUse | null | undefined,
): HolidayDate[] {
  if (!preset) return [...dates];
  const source = holidayPreset(preset.name);
  if (!source)
    throw new StorageError('invalid', 'holiday_calendar', `no preset ${preset.name}`, 'preset.name');
  for (const field of ['from', 'until'] as const)
    if (preset[field] < source.from || preset[field] > source.until)
      throw new StorageError(
        'invalid',
        'holiday_calendar',
        `the ${preset.name} preset covers ${source.from} to ${source.until}`,
        `preset.${field}`,
      );
  const byDate = new Map(source.holidays(preset.from, preset.until).map((h) => [h.date, h.name]));
  for (const d of dates) byDate.set(d.date, d.name || byDate.get(d.date) || '');
  return [...byDate].sort(([a], [b]) => a.localeCompare(b)).map(([date, name]) => ({ date, name }));
}
