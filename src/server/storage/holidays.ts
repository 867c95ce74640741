// Holiday calendars (祝日・休業日): named lists of local dates that schedules refer to. A calendar
// used by a schedule cannot be removed.

import type { Executor } from './db.ts';
import { ResourceStore } from './resource.ts';

export interface HolidayDate {
  /** YYYY-MM-DD */
  date: string;
  name: string;
}

export interface HolidayCalendarInput {
  id: string;
  name: string;
  dates: HolidayDate[];
}

export class HolidayCalendarStore extends ResourceStore<HolidayCalendarInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'holiday_calendar',
      table: 'holiday_calendars',
      toRow: (c) => ({ name: c.name }),
      fromRow: (r) => ({ name: r.name as string, dates: [] }),
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
}
