// Event search export: every filter of the event search (person, door, area, type, time) and more —
// controller, result, reason, alarm type, credential reference, several doors at once — as JSON pages
// or one streamed CSV file, in (time, id) order with the same cursors as /api/events.

import { sql } from 'kysely';
import { z } from 'zod';
import { ALARM_TYPES, DENY_REASONS } from '../../core/reasons.ts';
import { endpoint } from '../api/endpoint.ts';
import { EVENT_TYPES, eventSchema, toEventOut } from '../api/events.ts';
import { idSchema, isoTime, pageOf, pageQuery } from '../api/schemas.ts';
import { formatCsvTime } from '../csv/times.ts';
import { ApiError } from '../http/errors.ts';
import { decodeCursor, type Page } from '../storage/cursor.ts';
import { eventPage, type NamedEvent, type StoredEvent } from '../storage/events.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { scopeCondition } from '../storage/scope.ts';
import { EVENT_COLUMNS, header, headerQuery } from './columns.ts';
import { auditDetail, auditReport, csvQuery, idListQuery, siteZone } from './common.ts';
import { type Cell, pagesOf, sendCsv } from './csv.ts';
import type { ReportDb } from './tables.ts';

const REASONS = ['granted', ...DENY_REASONS] as const;

export const eventFilterQuery = {
  person: idSchema.optional(),
  door: idListQuery.optional().meta({ description: 'one door, or several separated by commas' }),
  area: idSchema.optional(),
  type: z.enum(EVENT_TYPES).optional(),
  controller: idSchema.optional(),
  result: z.enum(['grant', 'deny']).optional(),
  reason: z.enum(REASONS).optional(),
  alarm: z.enum(ALARM_TYPES).optional(),
  credential: z
    .string()
    .min(3)
    .max(200)
    .regex(/^[a-z]+[:#][^\s%]+$/, 'a credential reference like card:C-1001')
    .optional()
    .meta({ description: 'safe reference, e.g. card:C-1001' }),
  from: isoTime.optional().meta({ description: 'inclusive' }),
  until: isoTime.optional().meta({ description: 'exclusive' }),
  site: idSchema
    .optional()
    .meta({ description: 'CSV times in this site’s time zone (default: the default site’s)' }),
};

export interface EventExportFilter {
  person?: string | undefined;
  door?: string[] | undefined;
  area?: string | undefined;
  type?: string | undefined;
  /** any of these types (reports that want access and alarm events together) */
  types?: readonly string[] | undefined;
  controller?: string | undefined;
  result?: string | undefined;
  reason?: string | undefined;
  alarm?: string | undefined;
  credential?: string | undefined;
  from?: number | undefined;
  until?: number | undefined;
  scope: ScopeFilter;
}

/** `"key":"value"` inside the stored detail JSON, as a LIKE pattern (wildcards escaped). */
const detailHas = (key: string, value: string) =>
  `%${JSON.stringify(key)}:${JSON.stringify(value).replace(/[\\_%]/g, (c) => `\\${c}`)}%`;

export async function readEvents(
  db: ReportDb,
  filter: EventExportFilter,
  cursor: string | undefined,
  limit: number,
): Promise<Page<StoredEvent & NamedEvent>> {
  let query = db
    .selectFrom('events')
    .leftJoin('people', 'people.id', 'events.person_id')
    .leftJoin('doors', 'doors.id', 'events.door')
    .selectAll('events')
    .select(['people.name as person_name', 'doors.name as door_name'])
    .orderBy('events.at')
    .orderBy('events.id')
    .limit(limit + 1);
  if (filter.person !== undefined) query = query.where('events.person_id', '=', filter.person);
  if (filter.door !== undefined && filter.door.length > 0)
    query = query.where('events.door', 'in', filter.door);
  if (filter.area !== undefined) query = query.where('events.area', '=', filter.area);
  if (filter.type !== undefined) query = query.where('events.type', '=', filter.type);
  if (filter.types !== undefined) query = query.where('events.type', 'in', [...filter.types]);
  if (filter.controller !== undefined) query = query.where('events.controller_id', '=', filter.controller);
  if (filter.from !== undefined) query = query.where('events.at', '>=', filter.from);
  if (filter.until !== undefined) query = query.where('events.at', '<', filter.until);
  for (const [key, value] of [
    ['result', filter.result],
    ['reason', filter.reason],
    ['alarm', filter.alarm],
    ['credential', filter.credential],
  ] as const)
    if (value !== undefined)
      query = query.where(sql<boolean>`events.detail like ${detailHas(key, value)} escape '\\'`);
  const scope = filter.scope;
  if (scope !== 'all')
    query = query.where((eb) =>
      eb.or([
        eb('events.person_id', 'is', null),
        eb(
          'events.person_id',
          'in',
          eb
            .selectFrom('people as scoped')
            .select('scoped.id as person_id')
            .where((p) => scopeCondition(p, scope, { department: 'scoped.department', site: 'scoped.site' })),
        ),
      ]),
    );
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    if (after?.length !== 2 || !after.every((v) => typeof v === 'number'))
      throw new ApiError('INVALID_CURSOR', 'not a cursor issued by this report', { field: 'query.cursor' });
    const [at, id] = after as [number, number];
    query = query.where((eb) =>
      eb.or([eb('events.at', '>', at), eb.and([eb('events.at', '=', at), eb('events.id', '>', id)])]),
    );
  }
  return eventPage(await query.execute(), limit);
}

type EventQuery = {
  person?: string | undefined;
  door?: string[] | undefined;
  area?: string | undefined;
  type?: (typeof EVENT_TYPES)[number] | undefined;
  controller?: string | undefined;
  result?: 'grant' | 'deny' | undefined;
  reason?: string | undefined;
  alarm?: string | undefined;
  credential?: string | undefined;
  from?: number | undefined;
  until?: number | undefined;
};

const filterOf = (q: EventQuery, scope: ScopeFilter): EventExportFilter => ({ ...q, scope });

export function eventReports(db: ReportDb) {
  return { json: reportEvents(db), csv: reportEventsCsv(db) };
}

const reportEvents = (db: ReportDb) =>
  endpoint({
    operationId: 'reportEvents',
    summary: 'Event search with every filter (JSON pages)',
    description:
      'The filters of GET /api/events and controller, result, reason, alarm, credential, several doors.',
    query: z.strictObject({ ...eventFilterQuery, ...pageQuery }),
    response: pageOf(eventSchema),
    async handle({ query, scope, request }) {
      const { cursor, limit, site: _site, ...filter } = query;
      const page = await readEvents(db, filterOf(filter, scope), cursor, limit);
      if (cursor === undefined) await auditReport(request, 'events', 'events', auditDetail(filter));
      return { items: page.items.map(toEventOut), next: page.next ?? null };
    },
  });

const reportEventsCsv = (db: ReportDb) =>
  endpoint({
    operationId: 'reportEventsCsv',
    summary: 'Event search export as CSV (streamed; UTF-8 with BOM or Shift_JIS)',
    query: z.strictObject({ ...eventFilterQuery, ...csvQuery, ...headerQuery }),
    async handle({ query, scope, request, reply }) {
      const { encoding, header: language, site, ...filter } = query;
      const zone = await siteZone(db, site);
      await auditReport(request, 'events', 'events', { ...auditDetail(filter), format: `csv/${encoding}` });
      const row = (e: StoredEvent & NamedEvent): Cell[] => {
        const out = toEventOut(e);
        return [
          formatCsvTime(e.at, zone),
          out.type,
          out.result,
          out.reason,
          out.warnings.join(';'),
          out.alarm,
          out.personId,
          out.personName,
          out.credential,
          out.door,
          out.doorName,
          out.side,
          out.area,
          out.controllerId,
          out.seq,
        ];
      };
      return sendCsv(
        reply,
        'events.csv',
        encoding,
        header(EVENT_COLUMNS, language),
        pagesOf((cursor) => readEvents(db, filterOf(filter, scope), cursor, 1000), row),
      );
    },
  });
