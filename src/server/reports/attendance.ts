// Attendance (勤怠): per person and local day in the site's time zone, the first entry into the areas
// that count as "at work" and the last exit from them, with the time spent inside; and per month the
// days present and the total. Read from presence history, so moving between rooms of the work areas
// is not an exit. A stay belongs to the day it begins (a night shift from 22:00 to 06:00 is one row);
// a stay still open at the end of its day (never badged out, or still inside) has no last out and
// counts up to that day's end, or up to now for today.
//
// Which areas count as "at work": the `areas` query, else the stored setting (PUT …/settings), else
// every area. An area counts with everything inside it.

import { z } from 'zod';
import { civilFromDays, MS_PER_DAY, parseDate } from '../../core/time/civil.ts';
import type { TimeZone } from '../../core/time/zone.ts';
import { endpoint } from '../api/endpoint.ts';
import { idSchema } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { type ScopeFilter, scopeCondition } from '../storage/scope.ts';
import { ATTENDANCE_COLUMNS, ATTENDANCE_MONTH_COLUMNS, header, headerQuery } from './columns.ts';
import {
  AreaTree,
  auditDetail,
  auditReport,
  csvQuery,
  idListQuery,
  type PersonRow,
  siteZone,
} from './common.ts';
import { type Cell, sendCsv } from './csv.ts';
import { type Stay, staysOfPeople } from './stays.ts';
import type { ReportDb } from './tables.ts';

const WORK_AREAS_KEY = 'attendance.work_areas';
const MAX_DAYS = 366;

const dateQuery = z
  .string()
  .refine((s) => parseDate(s) !== undefined, 'must be a date YYYY-MM-DD')
  .transform((s) => parseDate(s)!);

const attendanceQuery = {
  from: dateQuery.meta({ description: 'first local day, YYYY-MM-DD' }),
  to: dateQuery.meta({ description: 'last local day (inclusive), YYYY-MM-DD' }),
  site: idSchema
    .optional()
    .meta({ description: 'days in this site’s time zone (default: the default site’s)' }),
  areas: idListQuery
    .optional()
    .meta({ description: 'areas that count as at work (default: the stored setting, else every area)' }),
  person: idSchema.optional(),
  department: z.string().min(1).max(64).optional(),
  view: z.enum(['daily', 'monthly']).default('daily'),
};

export interface AttendanceDay {
  personId: string;
  name: string;
  department: string | null;
  date: string;
  firstIn: number;
  firstInDoor: string | null;
  lastOut: number | null;
  lastOutDoor: string | null;
  minutes: number;
  stillInside: boolean;
}

export interface AttendanceMonth {
  personId: string;
  name: string;
  department: string | null;
  month: string;
  daysPresent: number;
  minutes: number;
  firstDay: string;
  lastDay: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
export const dateText = (days: number) => {
  const c = civilFromDays(days);
  return `${c.year}-${pad(c.month)}-${pad(c.day)}`;
};
const localDay = (zone: TimeZone, ms: number) => Math.floor(zone.toWall(ms) / MS_PER_DAY);
const dayStart = (zone: TimeZone, days: number) => zone.toInstant(days * MS_PER_DAY);

/** The days of one person from their stays (stays in time order). */
export function daysOf(
  person: PersonRow,
  stays: readonly Stay[],
  zone: TimeZone,
  now: number,
): AttendanceDay[] {
  const days = new Map<number, AttendanceDay>();
  for (const s of stays) {
    const day = localDay(zone, s.enteredAt);
    const end = s.leftAt ?? Math.min(now, dayStart(zone, day + 1));
    const minutes = Math.max(0, end - s.enteredAt) / 60_000;
    const row = days.get(day);
    if (!row) {
      days.set(day, {
        personId: person.id,
        name: person.name,
        department: person.department,
        date: dateText(day),
        firstIn: s.enteredAt,
        firstInDoor: s.enteredDoor,
        lastOut: s.leftAt,
        lastOutDoor: s.leftDoor,
        minutes,
        stillInside: s.leftAt === null,
      });
      continue;
    }
    row.minutes += minutes;
    if (s.leftAt === null) {
      row.stillInside = true;
      row.lastOut = null;
      row.lastOutDoor = null;
    } else if (!row.stillInside && (row.lastOut === null || s.leftAt > row.lastOut)) {
      row.lastOut = s.leftAt;
      row.lastOutDoor = s.leftDoor;
    }
  }
  return [...days.values()].map((d) => ({ ...d, minutes: Math.round(d.minutes) }));
}

export function monthsOf(days: readonly AttendanceDay[]): AttendanceMonth[] {
  const months = new Map<string, AttendanceMonth>();
  for (const d of days) {
    const month = d.date.slice(0, 7);
    const key = `${d.personId}|${month}`;
    const row = months.get(key);
    if (!row)
      months.set(key, {
        personId: d.personId,
        name: d.name,
        department: d.department,
        month,
        daysPresent: 1,
        minutes: d.minutes,
        firstDay: d.date,
        lastDay: d.date,
      });
    else {
      row.daysPresent++;
      row.minutes += d.minutes;
      row.lastDay = d.date;
    }
  }
  return [...months.values()];
}

export async function workAreas(
  db: ReportDb,
  tree: AreaTree,
  given: string[] | undefined,
): Promise<Set<string>> {
  if (given !== undefined && given.length > 0) return tree.zones(given);
  const stored = await db
    .selectFrom('report_settings')
    .select('value')
    .where('key', '=', WORK_AREAS_KEY)
    .executeTakeFirst();
  const ids = stored ? (JSON.parse(stored.value) as string[]) : [];
  const known = ids.filter((id) => tree.byId.has(id));
  return known.length > 0 ? tree.zones(known) : tree.inside();
}

interface AttendanceFilter {
  from: number;
  to: number;
  site?: string | undefined;
  areas?: string[] | undefined;
  person?: string | undefined;
  department?: string | undefined;
}

/** People (in scope, filtered) a page at a time, by id. */
async function peoplePage(
  db: ReportDb,
  filter: AttendanceFilter,
  scope: ScopeFilter,
  after: string | undefined,
  limit: number,
): Promise<PersonRow[]> {
  let query = db
    .selectFrom('people')
    .select(['id', 'name', 'department', 'site', 'active'])
    .where((eb) => scopeCondition(eb, scope))
    .orderBy('id')
    .limit(limit);
  if (after !== undefined) query = query.where('id', '>', after);
  if (filter.person !== undefined) query = query.where('id', '=', filter.person);
  if (filter.department !== undefined) query = query.where('department', '=', filter.department);
  return (await query.execute()).map((r) => ({ ...r, active: Number(r.active) === 1 }));
}

/** Days (or months) of a page of people; `next` is the last person looked at. */
export async function attendancePage(
  db: ReportDb,
  filter: AttendanceFilter,
  scope: ScopeFilter,
  cursor: string | undefined,
  limit: number,
  now: number,
): Promise<{ days: AttendanceDay[]; next: string | undefined; zone: TimeZone }> {
  if (filter.to < filter.from)
    throw new ApiError('INVALID_INPUT', 'to must not be before from', { field: 'query.to' });
  if (filter.to - filter.from >= MAX_DAYS)
    throw new ApiError('INVALID_INPUT', `at most ${MAX_DAYS} days at once`, { field: 'query.to' });
  const zone = await siteZone(db, filter.site);
  const tree = await AreaTree.load(db);
  const areas = await workAreas(db, tree, filter.areas);
  const people = await peoplePage(db, filter, scope, cursor, limit);
  const stays = await staysOfPeople(
    db,
    people.map((p) => p.id),
    areas,
    dayStart(zone, filter.from),
    dayStart(zone, filter.to + 1),
  );
  const days = people.flatMap((p) => daysOf(p, stays.get(p.id) ?? [], zone, now));
  return { days, next: people.length === limit ? people.at(-1)!.id : undefined, zone };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const daySchema = z
  .object({
    personId: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    date: z.string().meta({ description: 'local date YYYY-MM-DD in the site time zone' }),
    firstIn: z.iso.datetime(),
    firstInDoor: z.string().nullable(),
    lastOut: z.iso.datetime().nullable().meta({ description: 'null: still inside, or never badged out' }),
    lastOutDoor: z.string().nullable(),
    minutes: z.number().int(),
    stillInside: z.boolean(),
  })
  .meta({ id: 'AttendanceDay' });

const monthSchema = z
  .object({
    personId: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    month: z.string().meta({ description: 'YYYY-MM' }),
    daysPresent: z.number().int(),
    minutes: z.number().int(),
    firstDay: z.string(),
    lastDay: z.string(),
  })
  .meta({ id: 'AttendanceMonth' });

const attendanceResponse = z
  .object({
    view: z.enum(['daily', 'monthly']),
    timezone: z.string(),
    days: z.array(daySchema).meta({ description: 'view=daily' }),
    months: z.array(monthSchema).meta({ description: 'view=monthly' }),
    next: z.string().nullable().meta({ description: 'cursor of the next page of people; null on the last' }),
  })
  .meta({ id: 'AttendanceReport' });

const limitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(1000)
  .default(100)
  .meta({ description: 'people per page' });

const wallClock = (zone: TimeZone, ms: number) => {
  const wall = zone.toWall(ms);
  const minutes = Math.floor((wall % MS_PER_DAY) / 60_000);
  return {
    date: dateText(Math.floor(wall / MS_PER_DAY)).replace(/-/g, '/'),
    time: `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`,
  };
};

const settingsSchema = z
  .object({ workAreas: z.array(idSchema).max(1000).meta({ description: 'empty: every area counts' }) })
  .meta({ id: 'AttendanceSettings' });

export function attendanceReports(db: ReportDb) {
  return {
    json: endpoint({
      operationId: 'reportAttendance',
      summary: 'Attendance: first in / last out per person and day, or totals per month',
      query: z.strictObject({
        ...attendanceQuery,
        cursor: z.string().max(200).optional(),
        limit: limitQuery,
      }),
      response: attendanceResponse,
      async handle({ query, scope, request, now }) {
        const { cursor, limit, view, ...filter } = query;
        const page = await attendancePage(db, filter, scope, cursor, limit, now);
        if (cursor === undefined)
          await auditReport(request, 'attendance', 'attendance', {
            ...auditDetail(filter),
            from: dateText(filter.from),
            to: dateText(filter.to),
            view,
          });
        const days = page.days.map((d) => ({ ...d, firstIn: iso(d.firstIn)!, lastOut: iso(d.lastOut) }));
        return {
          view,
          timezone: page.zone.name,
          days: view === 'daily' ? days : [],
          months: view === 'monthly' ? monthsOf(page.days) : [],
          next: page.next ?? null,
        };
      },
    }),
    csv: endpoint({
      operationId: 'reportAttendanceCsv',
      summary: 'Attendance as CSV for attendance-system import (streamed; UTF-8 with BOM or Shift_JIS)',
      description: 'Columns: docs/reports.md. view=daily: one row per person and day; monthly: per month.',
      query: z.strictObject({ ...attendanceQuery, ...csvQuery, ...headerQuery }),
      async handle({ query, scope, request, reply, now }) {
        const { encoding, header: language, view, ...filter } = query;
        // Validates the window and site before the download starts.
        const first = await attendancePage(db, filter, scope, undefined, 500, now);
        await auditReport(request, 'attendance', 'attendance', {
          ...auditDetail(filter),
          from: dateText(filter.from),
          to: dateText(filter.to),
          view,
          format: `csv/${encoding}`,
        });
        const zone = first.zone;
        async function* batches(): AsyncGenerator<Cell[][]> {
          let page = first;
          for (;;) {
            if (view === 'daily')
              yield page.days.map((d) => {
                const inAt = wallClock(zone, d.firstIn);
                const out = d.lastOut === null ? null : wallClock(zone, d.lastOut);
                return [
                  d.personId,
                  d.name,
                  d.department,
                  inAt.date,
                  inAt.time,
                  out?.date ?? '',
                  out?.time ?? '',
                  d.minutes,
                  d.firstInDoor,
                  d.lastOutDoor,
                ];
              });
            else
              yield monthsOf(page.days).map((m) => [
                m.personId,
                m.name,
                m.department,
                m.month.replace('-', '/'),
                m.daysPresent,
                m.minutes,
                m.firstDay.replace(/-/g, '/'),
                m.lastDay.replace(/-/g, '/'),
              ]);
            if (page.next === undefined) return;
            page = await attendancePage(db, filter, scope, page.next, 500, now);
          }
        }
        return sendCsv(
          reply,
          view === 'daily' ? 'attendance.csv' : 'attendance-monthly.csv',
          encoding,
          header(view === 'daily' ? ATTENDANCE_COLUMNS : ATTENDANCE_MONTH_COLUMNS, language),
          batches(),
        );
      },
    }),
    getSettings: endpoint({
      operationId: 'getAttendanceSettings',
      summary: 'The areas that count as at work for attendance',
      response: settingsSchema,
      async handle() {
        const row = await db
          .selectFrom('report_settings')
          .select('value')
          .where('key', '=', WORK_AREAS_KEY)
          .executeTakeFirst();
        return { workAreas: row ? (JSON.parse(row.value) as string[]) : [] };
      },
    }),
    putSettings: endpoint({
      operationId: 'setAttendanceSettings',
      summary: 'Set the areas that count as at work for attendance',
      body: z.strictObject({ workAreas: z.array(idSchema).max(1000) }),
      response: settingsSchema,
      async handle({ body, request, now }) {
        const tree = await AreaTree.load(db);
        const unknown = body.workAreas.find((id) => !tree.byId.has(id));
        if (unknown !== undefined)
          throw new ApiError('UNKNOWN_REFERENCE', `no area '${unknown}'`, { field: 'body.workAreas' });
        const workAreas = [...new Set(body.workAreas)];
        await db
          .insertInto('report_settings')
          .values({ key: WORK_AREAS_KEY, value: JSON.stringify(workAreas), updated_at: now })
          .onConflict((oc) =>
            oc.column('key').doUpdateSet({ value: JSON.stringify(workAreas), updated_at: now }),
          )
          .execute();
        await auditReport(request, 'settings_change', 'report_settings:attendance', { workAreas });
        return { workAreas };
      },
    }),
  };
}
