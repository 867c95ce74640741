// Incident investigation: for a time window and a zone, everyone who was inside and when — from
// presence history, so people who entered before the window and were still inside count, not only
// the entries within it — with the credential each stay began with, and the evidence that the record
// is complete, over the whole span the stays cover (an entry a week earlier is evidence too).

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { idSchema } from '../api/schemas.ts';
import { formatCsvTime } from '../csv/times.ts';
import { ApiError } from '../http/errors.ts';
import { decodeCursor, encodeCursor } from '../storage/cursor.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { header, headerQuery, INCIDENT_COLUMNS } from './columns.ts';
import {
  AreaTree,
  auditDetail,
  auditReport,
  checkWindow,
  csvQuery,
  doorsOfZone,
  loadDoors,
  peopleById,
  siteZone,
  windowQuery,
} from './common.ts';
import { completeness, completenessOut, completenessSchema, evidenceKeys } from './completeness.ts';
import { sendCsv } from './csv.ts';
import { type Stay, staysOverlapping } from './stays.ts';
import type { ReportDb } from './tables.ts';

const MAX_DAYS = 400;

const incidentQuery = {
  zone: idSchema.meta({ description: 'the area (with everything inside it)' }),
  ...windowQuery,
  site: idSchema.optional(),
};

export interface IncidentStay extends Stay {
  name: string;
  department: string | null;
  credential: string | null;
  insideAtStart: boolean;
  insideAtEnd: boolean;
}

/** The credential references the stays began with, looked up by (controller, sequence). */
async function credentialsOf(db: ReportDb, stays: readonly Stay[]): Promise<Map<string, string>> {
  const byController = new Map<string, number[]>();
  for (const s of stays)
    if (s.controllerId !== null && s.seq !== null) {
      const list = byController.get(s.controllerId) ?? [];
      list.push(s.seq);
      byController.set(s.controllerId, list);
    }
  const out = new Map<string, string>();
  for (const [controllerId, seqs] of byController)
    for (let i = 0; i < seqs.length; i += 500)
      for (const row of await db
        .selectFrom('events')
        .select(['seq', 'detail'])
        .where('controller_id', '=', controllerId)
        .where('seq', 'in', seqs.slice(i, i + 500))
        .execute()) {
        const credential = (JSON.parse(row.detail) as { credential?: unknown }).credential;
        if (typeof credential === 'string') out.set(`${controllerId}:${Number(row.seq)}`, credential);
      }
  return out;
}

export async function incident(
  db: ReportDb,
  query: { zone: string; from: number; until: number },
  scope: ScopeFilter,
): Promise<{ stays: IncidentStay[]; evidenceFrom: number; controllers: string[] }> {
  checkWindow(query.from, query.until, MAX_DAYS);
  const tree = await AreaTree.load(db);
  const zone = tree.zone(query.zone);
  const stays = await staysOverlapping(db, zone, query.from, query.until);
  const people = await peopleById(
    db,
    stays.map((s) => s.person),
    scope,
  );
  const credentials = await credentialsOf(db, stays);
  const visible: IncidentStay[] = [];
  for (const s of stays) {
    const p = people.get(s.person);
    if (!p) continue;
    visible.push({
      ...s,
      name: p.name,
      department: p.department,
      credential: credentials.get(`${s.controllerId}:${s.seq}`) ?? null,
      insideAtStart: s.enteredAt < query.from,
      insideAtEnd: s.leftAt === null || s.leftAt >= query.until,
    });
  }
  visible.sort((a, b) => a.enteredAt - b.enteredAt || a.person.localeCompare(b.person));
  const doors = doorsOfZone(await loadDoors(db), zone);
  return {
    stays: visible,
    evidenceFrom: Math.min(query.from, ...visible.map((s) => s.enteredAt)),
    controllers: [...new Set(doors.flatMap((d) => (d.controllerId ? [d.controllerId] : [])))],
  };
}

const staySchema = z
  .object({
    personId: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    areas: z.array(z.string()).meta({ description: 'the areas of the zone the person was in, in order' }),
    enteredAt: z.iso.datetime(),
    enteredDoor: z.string().nullable(),
    credential: z
      .string()
      .nullable()
      .meta({ description: 'the credential the stay began with (safe reference)' }),
    leftAt: z.iso.datetime().nullable().meta({ description: 'null: still inside' }),
    leftDoor: z.string().nullable(),
    insideAtStart: z.boolean(),
    insideAtEnd: z.boolean(),
  })
  .meta({ id: 'IncidentStay' });

const reportSchema = z
  .object({
    zone: z.string(),
    areas: z.array(z.string()),
    from: z.iso.datetime(),
    until: z.iso.datetime(),
    people: z.number().int().meta({ description: 'distinct people inside during the window' }),
    stays: z.array(staySchema),
    completeness: completenessSchema
      .nullable()
      .meta({ description: 'first page only; covers the window and the stays that began before it' }),
    evidenceFrom: z.iso.datetime(),
    next: z.string().nullable(),
  })
  .meta({ id: 'IncidentReport' });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const stayOut = (s: IncidentStay) => ({
  personId: s.person,
  name: s.name,
  department: s.department,
  areas: s.areas,
  enteredAt: iso(s.enteredAt)!,
  enteredDoor: s.enteredDoor,
  credential: s.credential,
  leftAt: iso(s.leftAt),
  leftDoor: s.leftDoor,
  insideAtStart: s.insideAtStart,
  insideAtEnd: s.insideAtEnd,
});

export function incidentReports(db: ReportDb) {
  return {
    json: endpoint({
      operationId: 'reportIncident',
      summary:
        'Incident investigation: everyone inside a zone during a window, and when, with completeness evidence',
      query: z.strictObject({
        ...incidentQuery,
        cursor: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(500),
      }),
      response: reportSchema,
      async handle({ query, scope, request }) {
        const result = await incident(db, query, scope);
        const tree = await AreaTree.load(db);
        let start = 0;
        if (query.cursor !== undefined) {
          const key = decodeCursor(query.cursor);
          if (key?.length !== 1 || typeof key[0] !== 'number')
            throw new ApiError('INVALID_CURSOR', 'not a cursor issued by this report', {
              field: 'query.cursor',
            });
          start = key[0];
        }
        const page = result.stays.slice(start, start + query.limit);
        const first = query.cursor === undefined;
        if (first) await auditReport(request, 'incident', `area:${query.zone}`, auditDetail(query));
        return {
          zone: query.zone,
          areas: [...tree.zone(query.zone)].sort(),
          from: iso(query.from)!,
          until: iso(query.until)!,
          people: new Set(result.stays.map((s) => s.person)).size,
          stays: page.map(stayOut),
          completeness: first
            ? completenessOut(
                await completeness(
                  db,
                  evidenceKeys(request),
                  result.controllers,
                  result.evidenceFrom,
                  query.until,
                ),
              )
            : null,
          evidenceFrom: iso(result.evidenceFrom)!,
          next: start + query.limit < result.stays.length ? encodeCursor([start + query.limit]) : null,
        };
      },
    }),
    csv: endpoint({
      operationId: 'reportIncidentCsv',
      summary: 'Incident investigation as CSV (UTF-8 with BOM or Shift_JIS)',
      query: z.strictObject({ ...incidentQuery, ...csvQuery, ...headerQuery }),
      async handle({ query, scope, request, reply }) {
        const { encoding, header: language, ...rest } = query;
        const result = await incident(db, rest, scope);
        const zone = await siteZone(db, rest.site);
        await auditReport(request, 'incident', `area:${rest.zone}`, {
          ...auditDetail(rest),
          format: `csv/${encoding}`,
        });
        const time = (ms: number | null) => (ms === null ? '' : formatCsvTime(ms, zone));
        return sendCsv(
          reply,
          'incident.csv',
          encoding,
          header(INCIDENT_COLUMNS, language),
          (async function* () {
            for (let i = 0; i < result.stays.length; i += 1000)
              yield result.stays
                .slice(i, i + 1000)
                .map((s) => [
                  s.person,
                  s.name,
                  s.department,
                  s.areas.join(';'),
                  time(s.enteredAt),
                  s.enteredDoor,
                  s.credential,
                  time(s.leftAt),
                  s.leftDoor,
                  s.insideAtStart,
                  s.insideAtEnd,
                ]);
          })(),
        );
      },
    }),
  };
}
