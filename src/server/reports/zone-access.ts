// My Number zones (特定個人情報の管理区域 / 取扱区域): the areas designated so (the area attribute
// `myNumberZone`), and the zone access report an auditor asks for — every entry and exit with the
// person, the credential's safe reference, door and time; every denial; every door alarm (forced or
// held open) at the zone's doors; and the evidence that the record is complete (completeness.ts).
// A zone is the area with everything inside it; its doors are those with a side in it.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { toEventOut } from '../api/events.ts';
import { idSchema } from '../api/schemas.ts';
import { formatCsvTime } from '../csv/times.ts';
import { ApiError } from '../http/errors.ts';
import { MY_NUMBER_ZONES } from '../storage/areas.ts';
import type { NamedEvent, StoredEvent } from '../storage/events.ts';
import { header, headerQuery, ZONE_ACCESS_COLUMNS } from './columns.ts';
import {
  AreaTree,
  auditDetail,
  auditReport,
  checkWindow,
  csvQuery,
  type DoorRow,
  doorsOfZone,
  idListQuery,
  loadDoors,
  siteZone,
  windowQuery,
} from './common.ts';
import { completeness, completenessOut, completenessSchema, evidenceKeys } from './completeness.ts';
import { pagesOf, sendCsv } from './csv.ts';
import { readEvents } from './event-export.ts';
import type { ReportDb } from './tables.ts';

export const ZONE_ACCESS_KINDS = ['entry', 'exit', 'move', 'denial', 'door_alarm'] as const;
export type ZoneAccessKind = (typeof ZONE_ACCESS_KINDS)[number];

const MAX_DAYS = 400;

const zoneQuery = {
  zones: idListQuery
    .optional()
    .meta({ description: 'zone areas (default: every designated My Number zone)' }),
  ...windowQuery,
  site: idSchema.optional(),
};

interface ZoneScope {
  zones: { id: string; name: string; myNumberZone: string | null; areas: Set<string> }[];
  areas: Set<string>;
  doors: Map<string, DoorRow>;
}

async function zoneScope(db: ReportDb, ids: string[] | undefined): Promise<ZoneScope> {
  const tree = await AreaTree.load(db);
  const chosen =
    ids && ids.length > 0
      ? ids.map((id) => {
          tree.zone(id); // AREA_NOT_FOUND for an unknown one
          return tree.byId.get(id)!;
        })
      : tree.myNumberZones();
  if (chosen.length === 0)
    throw new ApiError('INVALID_INPUT', 'no area is designated a My Number zone; name the zones', {
      field: 'query.zones',
    });
  const zones = chosen.map((a) => ({
    id: a.id,
    name: a.name,
    myNumberZone: a.myNumberZone,
    areas: tree.zone(a.id),
  }));
  const areas = new Set(zones.flatMap((z) => [...z.areas]));
  const doors = new Map(doorsOfZone(await loadDoors(db), areas).map((d) => [d.id, d]));
  return { zones, areas, doors };
}

export interface ZoneAccessItem {
  kind: ZoneAccessKind;
  /** the zone the door belongs to (the first that has it) */
  zone: string;
  event: StoredEvent & NamedEvent;
}

function classify(scope: ZoneScope, e: StoredEvent & NamedEvent): ZoneAccessItem | undefined {
  const door = e.door === undefined ? undefined : scope.doors.get(e.door);
  if (!door) return undefined;
  const zone =
    scope.zones.find((z) => z.areas.has(door.toArea) || z.areas.has(door.fromArea))?.id ?? scope.zones[0]!.id;
  if (e.type === 'alarm') return { kind: 'door_alarm', zone, event: e };
  if (e.type !== 'access') return undefined;
  if (e.detail.result !== 'grant') return { kind: 'denial', zone, event: e };
  const [origin, destination] =
    e.detail.side === 'out' ? [door.toArea, door.fromArea] : [door.fromArea, door.toArea];
  const kind = scope.areas.has(destination) ? (scope.areas.has(origin) ? 'move' : 'entry') : 'exit';
  return { kind, zone, event: e };
}

async function zonePage(
  db: ReportDb,
  scope: ZoneScope,
  window: { from: number; until: number },
  cursor: string | undefined,
  limit: number,
) {
  const page = await readEvents(
    db,
    {
      door: [...scope.doors.keys()],
      types: ['access', 'alarm'],
      from: window.from,
      until: window.until,
      scope: 'all',
    },
    cursor,
    limit,
  );
  return { items: page.items.flatMap((e) => classify(scope, e) ?? []), next: page.next };
}

async function summary(db: ReportDb, scope: ZoneScope, window: { from: number; until: number }) {
  const counts: Record<ZoneAccessKind, number> = { entry: 0, exit: 0, move: 0, denial: 0, door_alarm: 0 };
  let cursor: string | undefined;
  do {
    const page = await zonePage(db, scope, window, cursor, 1000);
    for (const item of page.items) counts[item.kind]++;
    cursor = page.next;
  } while (cursor !== undefined);
  return counts;
}

const itemSchema = z
  .object({
    kind: z.enum(ZONE_ACCESS_KINDS),
    zone: z.string(),
    at: z.iso.datetime(),
    personId: z.string().nullable(),
    personName: z.string().nullable(),
    credential: z
      .string()
      .nullable()
      .meta({ description: 'safe reference (card:C-1001, pin#<id>), never digits' }),
    door: z.string().nullable(),
    doorName: z.string().nullable(),
    reason: z.string().nullable().meta({ description: 'denials: the reason; door alarms: the alarm' }),
    controllerId: z.string(),
    seq: z.number().int(),
    eventId: z.number().int(),
  })
  .meta({ id: 'ZoneAccessItem' });

const zoneSchema = z.object({
  id: z.string(),
  name: z.string(),
  myNumberZone: z.enum(MY_NUMBER_ZONES).nullable(),
  areas: z.array(z.string()),
  doors: z.array(z.string()),
});

const reportSchema = z
  .object({
    zones: z.array(zoneSchema),
    from: z.iso.datetime(),
    until: z.iso.datetime(),
    summary: z
      .object({
        entry: z.number().int(),
        exit: z.number().int(),
        move: z.number().int(),
        denial: z.number().int(),
        door_alarm: z.number().int(),
      })
      .nullable()
      .meta({ description: 'first page only' }),
    completeness: completenessSchema.nullable().meta({ description: 'first page only' }),
    items: z.array(itemSchema),
    next: z.string().nullable(),
  })
  .meta({ id: 'ZoneAccessReport' });

function itemOut(item: ZoneAccessItem) {
  const e = toEventOut(item.event);
  return {
    kind: item.kind,
    zone: item.zone,
    at: e.at,
    personId: e.personId,
    personName: e.personName,
    credential: e.credential,
    door: e.door,
    doorName: e.doorName,
    reason: item.kind === 'door_alarm' ? e.alarm : item.kind === 'denial' ? e.reason : null,
    controllerId: e.controllerId,
    seq: e.seq,
    eventId: e.id,
  };
}

const zonesOut = (scope: ZoneScope) =>
  scope.zones.map((z) => ({
    id: z.id,
    name: z.name,
    myNumberZone: (z.myNumberZone as (typeof MY_NUMBER_ZONES)[number] | null) ?? null,
    areas: [...z.areas].sort(),
    doors: [...scope.doors.values()]
      .filter((d) => z.areas.has(d.fromArea) || z.areas.has(d.toArea))
      .map((d) => d.id),
  }));

export function zoneAccessReports(db: ReportDb) {
  return {
    zones: endpoint({
      operationId: 'listMyNumberZones',
      summary: 'Areas designated My Number 管理区域 (management) or 取扱区域 (handling), with their doors',
      response: z.object({ items: z.array(zoneSchema) }).meta({ id: 'MyNumberZones' }),
      async handle() {
        const tree = await AreaTree.load(db);
        if (tree.myNumberZones().length === 0) return { items: [] };
        return { items: zonesOut(await zoneScope(db, undefined)) };
      },
    }),
    json: endpoint({
      operationId: 'reportZoneAccess',
      summary: 'My Number zone access: entries, exits, denials, door alarms, and completeness evidence',
      query: z.strictObject({
        ...zoneQuery,
        cursor: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
      response: reportSchema,
      async handle({ query, request }) {
        checkWindow(query.from, query.until, MAX_DAYS);
        const scope = await zoneScope(db, query.zones);
        const window = { from: query.from, until: query.until };
        const page = await zonePage(db, scope, window, query.cursor, query.limit);
        const first = query.cursor === undefined;
        if (first)
          await auditReport(
            request,
            'zone_access',
            `zones:${scope.zones.map((z) => z.id).join(',')}`,
            auditDetail(query),
          );
        const controllers = [...scope.doors.values()].flatMap((d) =>
          d.controllerId ? [d.controllerId] : [],
        );
        return {
          zones: zonesOut(scope),
          from: new Date(query.from).toISOString(),
          until: new Date(query.until).toISOString(),
          summary: first ? await summary(db, scope, window) : null,
          completeness: first
            ? completenessOut(
                await completeness(db, evidenceKeys(request), controllers, query.from, query.until),
              )
            : null,
          items: page.items.map(itemOut),
          next: page.next ?? null,
        };
      },
    }),
    csv: endpoint({
      operationId: 'reportZoneAccessCsv',
      summary: 'My Number zone access as CSV (streamed; UTF-8 with BOM or Shift_JIS)',
      query: z.strictObject({ ...zoneQuery, ...csvQuery, ...headerQuery }),
      async handle({ query, request, reply }) {
        checkWindow(query.from, query.until, MAX_DAYS);
        const scope = await zoneScope(db, query.zones);
        const zone = await siteZone(db, query.site);
        const { encoding, header: language, ...rest } = query;
        await auditReport(request, 'zone_access', `zones:${scope.zones.map((z) => z.id).join(',')}`, {
          ...auditDetail(rest),
          format: `csv/${encoding}`,
        });
        const window = { from: query.from, until: query.until };
        return sendCsv(
          reply,
          'zone-access.csv',
          encoding,
          header(ZONE_ACCESS_COLUMNS, language),
          pagesOf(
            (cursor) => zonePage(db, scope, window, cursor, 1000),
            (item) => {
              const o = itemOut(item);
              return [
                formatCsvTime(item.event.at, zone),
                o.kind,
                o.zone,
                o.personId,
                o.personName,
                o.credential,
                o.door,
                o.doorName,
                o.reason,
                o.controllerId,
                o.seq,
              ];
            },
          ),
        );
      },
    }),
  };
}
