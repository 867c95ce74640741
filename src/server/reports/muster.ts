// Muster (点呼): who is inside each area now, and who left since the alarm — for an evacuation, as
// JSON, CSV, or a page to print. "Inside now" is the server's presence (every controller's passages);
// "left since" reads presence history: stays in the areas that ended at or after the alarm, of
// people no longer inside. The alarm is an alarm id (its raise time) or a time given.

import { z } from 'zod';
import { OUTSIDE } from '../../core/model.ts';
import { endpoint } from '../api/endpoint.ts';
import { idSchema, isoTime } from '../api/schemas.ts';
import { formatCsvTime } from '../csv/times.ts';
import { ApiError } from '../http/errors.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { header, headerQuery, MUSTER_COLUMNS } from './columns.ts';
import {
  AreaTree,
  auditDetail,
  auditReport,
  csvQuery,
  idListQuery,
  type PersonRow,
  peopleById,
  siteZone,
} from './common.ts';
import { sendCsv } from './csv.ts';
import { escapeHtml, printPage } from './print.ts';
import { staysOverlapping } from './stays.ts';
import type { ReportDb } from './tables.ts';

const musterQuery = {
  areas: idListQuery
    .optional()
    .meta({ description: 'areas to muster (each with its sub-areas); default: all' }),
  alarm: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .meta({ description: 'an alarm id: "left since" its raise time' }),
  since: isoTime.optional().meta({ description: 'or a time: "left since" then' }),
  site: idSchema.optional(),
};

export interface MusterEntry {
  personId: string;
  name: string;
  department: string | null;
  area: string;
  areaName: string;
  /** inside: since when; left: when they left */
  at: number | null;
  door: string | null;
}

export interface Muster {
  at: number;
  since: number | null;
  areas: { id: string; name: string; inside: number }[];
  inside: MusterEntry[];
  left: MusterEntry[];
}

async function sinceOf(db: ReportDb, query: { alarm?: string | undefined; since?: number | undefined }) {
  if (query.since !== undefined) return query.since;
  if (query.alarm === undefined) return null;
  const alarm = await db
    .selectFrom('alarms')
    .select('raised_at')
    .where('id', '=', query.alarm)
    .executeTakeFirst();
  if (!alarm) throw new ApiError('NOT_FOUND', `no alarm '${query.alarm}'`, { field: 'query.alarm' });
  return Number(alarm.raised_at);
}

export async function muster(
  db: ReportDb,
  query: { areas?: string[] | undefined; alarm?: string | undefined; since?: number | undefined },
  scope: ScopeFilter,
  now: number,
): Promise<Muster> {
  const tree = await AreaTree.load(db);
  const zone = query.areas && query.areas.length > 0 ? tree.zones(query.areas) : tree.inside();
  zone.delete(OUTSIDE);
  const since = await sinceOf(db, query);
  const present: { person_id: string; area: string | null; at?: number | null; door?: string | null }[] = [];
  const ids = [...zone];
  for (let i = 0; i < ids.length; i += 500)
    present.push(
      ...(await db
        .selectFrom('presence')
        .select(['person_id', 'area', 'at', 'door'])
        .where('area', 'in', ids.slice(i, i + 500))
        .execute()),
    );
  const insideIds = new Set(present.map((p) => p.person_id));
  const stays = since === null ? [] : await staysOverlapping(db, zone, since, now + 1);
  const leftStays = stays.filter((s) => s.leftAt !== null && s.leftAt >= since! && !insideIds.has(s.person));
  const people = await peopleById(db, [...insideIds, ...leftStays.map((s) => s.person)], scope);
  const areaName = (id: string) => tree.byId.get(id)?.name ?? id;
  const entry = (p: PersonRow, area: string, at: number | null, door: string | null): MusterEntry => ({
    personId: p.id,
    name: p.name,
    department: p.department,
    area,
    areaName: areaName(area),
    at,
    door,
  });
  const inside: MusterEntry[] = [];
  for (const p of present) {
    const person = people.get(p.person_id);
    if (person)
      inside.push(
        entry(person, p.area!, p.at == null || Number(p.at) === 0 ? null : Number(p.at), p.door ?? null),
      );
  }
  // The last stay that ended, per person (they may have moved between areas before leaving).
  const lastLeft = new Map<string, (typeof leftStays)[number]>();
  for (const s of leftStays)
    if ((lastLeft.get(s.person)?.leftAt ?? 0) <= s.leftAt!) lastLeft.set(s.person, s);
  const left: MusterEntry[] = [];
  for (const s of lastLeft.values()) {
    const person = people.get(s.person);
    if (person) left.push(entry(person, s.areas.at(-1)!, s.leftAt, s.leftDoor));
  }
  const byArea = (a: MusterEntry, b: MusterEntry) =>
    a.area.localeCompare(b.area) || a.personId.localeCompare(b.personId);
  inside.sort(byArea);
  left.sort(byArea);
  const counts = new Map<string, number>();
  for (const e of inside) counts.set(e.area, (counts.get(e.area) ?? 0) + 1);
  return {
    at: now,
    since,
    areas: [...zone].sort().map((id) => ({ id, name: areaName(id), inside: counts.get(id) ?? 0 })),
    inside,
    left,
  };
}

const entrySchema = z
  .object({
    personId: z.string(),
    name: z.string(),
    department: z.string().nullable(),
    area: z.string(),
    areaName: z.string(),
    at: z.iso.datetime().nullable().meta({ description: 'inside: since when (null: unknown); left: when' }),
    door: z.string().nullable(),
  })
  .meta({ id: 'MusterEntry' });

const musterSchema = z
  .object({
    at: z.iso.datetime(),
    since: z.iso.datetime().nullable(),
    areas: z.array(z.object({ id: z.string(), name: z.string(), inside: z.number().int() })),
    inside: z.array(entrySchema),
    left: z.array(entrySchema).meta({ description: 'left the areas since the alarm (empty without one)' }),
  })
  .meta({ id: 'MusterReport' });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const out = (e: MusterEntry) => ({ ...e, at: iso(e.at) });

export function musterReports(db: ReportDb) {
  const audited = (
    request: Parameters<typeof auditReport>[0],
    query: Record<string, unknown>,
    format: string,
  ) => auditReport(request, 'muster', 'muster', { ...auditDetail(query), format });
  return {
    json: endpoint({
      operationId: 'reportMuster',
      summary: 'Muster: who is inside each area now, and who left since the alarm',
      query: z.strictObject(musterQuery),
      response: musterSchema,
      async handle({ query, scope, request, now }) {
        const m = await muster(db, query, scope, now);
        await audited(request, query, 'json');
        return {
          ...m,
          at: iso(m.at)!,
          since: iso(m.since),
          inside: m.inside.map(out),
          left: m.left.map(out),
        };
      },
    }),
    csv: endpoint({
      operationId: 'reportMusterCsv',
      summary: 'Muster as CSV (UTF-8 with BOM or Shift_JIS)',
      query: z.strictObject({ ...musterQuery, ...csvQuery, ...headerQuery }),
      async handle({ query, scope, request, reply, now }) {
        const { encoding, header: language, ...rest } = query;
        const m = await muster(db, rest, scope, now);
        const zone = await siteZone(db, rest.site);
        await audited(request, rest, `csv/${encoding}`);
        const time = (ms: number | null) => (ms === null ? '' : formatCsvTime(ms, zone));
        const rows = [
          ...m.inside.map((e) => [
            'inside',
            e.area,
            e.areaName,
            e.personId,
            e.name,
            e.department,
            time(e.at),
            e.door,
          ]),
          ...m.left.map((e) => [
            'left',
            e.area,
            e.areaName,
            e.personId,
            e.name,
            e.department,
            time(e.at),
            e.door,
          ]),
        ];
        return sendCsv(
          reply,
          'muster.csv',
          encoding,
          header(MUSTER_COLUMNS, language),
          (async function* () {
            yield rows;
          })(),
        );
      },
    }),
    print: endpoint({
      operationId: 'reportMusterPrint',
      summary: 'Muster as a page to print (HTML)',
      query: z.strictObject(musterQuery),
      async handle({ query, scope, request, reply, now }) {
        const m = await muster(db, query, scope, now);
        const zone = await siteZone(db, query.site);
        await audited(request, query, 'print');
        const time = (ms: number | null) => (ms === null ? '—' : formatCsvTime(ms, zone).replace('T', ' '));
        const table = (title: string, entries: MusterEntry[], when: string) =>
          `<h2>${escapeHtml(title)} (${entries.length})</h2>` +
          (entries.length === 0
            ? '<p>—</p>'
            : `<table><thead><tr><th>✓</th><th>エリア / Area</th><th>氏名 / Name</th><th>ID</th><th>所属 / Department</th><th>${escapeHtml(when)}</th><th>扉 / Door</th></tr></thead><tbody>${entries
                .map(
                  (e) =>
                    `<tr><td class="check">☐</td><td>${escapeHtml(e.areaName)}</td><td>${escapeHtml(e.name)}</td><td>${escapeHtml(e.personId)}</td><td>${escapeHtml(e.department ?? '')}</td><td>${escapeHtml(time(e.at))}</td><td>${escapeHtml(e.door ?? '')}</td></tr>`,
                )
                .join('')}</tbody></table>`);
        const summary = m.areas
          .filter((a) => a.inside > 0)
          .map((a) => `<li>${escapeHtml(a.name)}: ${a.inside}</li>`)
          .join('');
        const body =
          `<h1>点呼リスト / Muster list</h1><p>${escapeHtml(time(m.at))}${m.since === null ? '' : ` — 発報 / alarm ${escapeHtml(time(m.since))}`}</p>` +
          `<ul>${summary}</ul>` +
          table('在室 / Inside now', m.inside, '入室 / Since') +
          (m.since === null ? '' : table('発報後に退出 / Left since the alarm', m.left, '退出 / Left'));
        reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
        return printPage('点呼リスト / Muster list', body) as never;
      },
    }),
  };
}
