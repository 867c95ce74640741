// What every report shares: its query pieces (time window, site time zone, CSV encoding), the area
// tree (a zone is an area with everything inside it), the doors of a zone, the people a caller may
// see, and the one audit record a report that shows personal data leaves.

import { z } from 'zod';
import { OUTSIDE } from '../../core/model.ts';
import { TimeZone } from '../../core/time/zone.ts';
import { idSchema, isoTime } from '../api/schemas.ts';
import { audit } from '../auth/http.ts';
import { ApiError } from '../http/errors.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { scopeAllows } from '../storage/scope.ts';
import { DEFAULT_SITE } from '../storage/sites.ts';
import type { ReportDb } from './tables.ts';

export const REPORT_ENCODINGS = ['utf-8', 'shift_jis'] as const;
export type ReportEncoding = (typeof REPORT_ENCODINGS)[number];

export const csvQuery = {
  encoding: z
    .enum(REPORT_ENCODINGS)
    .default('utf-8')
    .meta({ description: 'utf-8 (with a byte order mark, for Excel) or shift_jis (CP932)' }),
};

/** A time window [from, until), both ISO 8601 with an offset. */
export const windowQuery = {
  from: isoTime.meta({ description: 'inclusive, ISO 8601 with offset' }),
  until: isoTime.meta({ description: 'exclusive, ISO 8601 with offset' }),
};

/** Comma-separated ids in a query (`areas=office,lab`). */
export const idListQuery = z
  .string()
  .max(4000)
  .transform((s, ctx) => {
    const ids = s
      .split(',')
      .map((p) => p.trim().normalize('NFKC'))
      .filter((p) => p !== '');
    for (const id of ids)
      if (!idSchema.safeParse(id).success) {
        ctx.addIssue({ code: 'custom', message: 'must be ids separated by commas' });
        return z.NEVER;
      }
    return [...new Set(ids)];
  });

export function checkWindow(from: number, until: number, maxDays: number): void {
  if (until <= from)
    throw new ApiError('INVALID_INPUT', 'until must be after from', { field: 'query.until' });
  if (until - from > maxDays * 86_400_000)
    throw new ApiError('INVALID_INPUT', `the window may span at most ${maxDays} days`, {
      field: 'query.until',
    });
}

/** The time zone of a site (the default site's, or Asia/Tokyo, when none is named). */
export async function siteZone(db: ReportDb, site: string | undefined): Promise<TimeZone> {
  const row = await db
    .selectFrom('sites')
    .select('timezone')
    .where('id', '=', site ?? DEFAULT_SITE)
    .executeTakeFirst();
  if (!row) {
    if (site !== undefined) throw new ApiError('SITE_NOT_FOUND', `no site '${site}'`);
    return new TimeZone('Asia/Tokyo');
  }
  return new TimeZone(row.timezone);
}

export interface AreaRow {
  id: string;
  name: string;
  parentId: string | null;
  site: string | null;
  myNumberZone: string | null;
}

/** Every area, with a way to expand an area to itself and everything inside it. */
export class AreaTree {
  private readonly children = new Map<string, string[]>();
  readonly byId: Map<string, AreaRow>;

  constructor(readonly areas: readonly AreaRow[]) {
    this.byId = new Map(areas.map((a) => [a.id, a]));
    for (const a of areas) {
      if (a.parentId === null || a.id === OUTSIDE) continue;
      const list = this.children.get(a.parentId) ?? [];
      list.push(a.id);
      this.children.set(a.parentId, list);
    }
  }

  static async load(db: ReportDb): Promise<AreaTree> {
    const rows = await db
      .selectFrom('areas')
      .select(['id', 'name', 'parent_id', 'site', 'my_number_zone'])
      .orderBy('id')
      .execute();
    return new AreaTree(
      rows.map((r) => ({
        id: r.id,
        name: r.name,
        parentId: r.parent_id,
        site: r.site,
        myNumberZone: r.my_number_zone ?? null,
      })),
    );
  }

  /** The area and its descendants; throws AREA_NOT_FOUND for an unknown id. */
  zone(id: string): Set<string> {
    if (!this.byId.has(id)) throw new ApiError('AREA_NOT_FOUND', `no area '${id}'`);
    const out = new Set<string>();
    const stack = [id];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (out.has(next)) continue;
      out.add(next);
      stack.push(...(this.children.get(next) ?? []));
    }
    return out;
  }

  zones(ids: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const id of ids) for (const a of this.zone(id)) out.add(a);
    return out;
  }

  /** Every area but `outside`. */
  inside(): Set<string> {
    return new Set(this.areas.filter((a) => a.id !== OUTSIDE).map((a) => a.id));
  }

  myNumberZones(): AreaRow[] {
    return this.areas.filter((a) => a.myNumberZone !== null);
  }
}

export interface DoorRow {
  id: string;
  name: string;
  fromArea: string;
  toArea: string;
  controllerId: string | null;
}

export async function loadDoors(db: ReportDb): Promise<DoorRow[]> {
  const rows = await db
    .selectFrom('doors')
    .select(['id', 'name', 'from_area', 'to_area', 'controller_id'])
    .orderBy('id')
    .execute();
  return rows.map((d) => ({
    id: d.id,
    name: d.name,
    fromArea: d.from_area,
    toArea: d.to_area,
    controllerId: d.controller_id,
  }));
}

/** Doors with a side in the zone: every way in or out of it (and the doors within it). */
export function doorsOfZone(doors: readonly DoorRow[], zone: ReadonlySet<string>): DoorRow[] {
  return doors.filter((d) => zone.has(d.fromArea) || zone.has(d.toArea));
}

export interface PersonRow {
  id: string;
  name: string;
  department: string | null;
  site: string | null;
  active: boolean;
}

const PEOPLE_CHUNK = 500;

/** Names and departments of these people, only those the scope allows. */
export async function peopleById(
  db: ReportDb,
  ids: Iterable<string>,
  scope: ScopeFilter,
): Promise<Map<string, PersonRow>> {
  const unique = [...new Set(ids)];
  const out = new Map<string, PersonRow>();
  for (let i = 0; i < unique.length; i += PEOPLE_CHUNK) {
    const rows = await db
      .selectFrom('people')
      .select(['id', 'name', 'department', 'site', 'active'])
      .where('id', 'in', unique.slice(i, i + PEOPLE_CHUNK))
      .execute();
    for (const r of rows)
      if (scopeAllows(scope, r))
        out.set(r.id, {
          id: r.id,
          name: r.name,
          department: r.department,
          site: r.site,
          active: Number(r.active) === 1,
        });
  }
  return out;
}

/**
 * The audit record of a report that shows personal data: which report, for what (zone, window,
 * filters), in which format — never the rows themselves. `request.audited` is set, so the generic
 * request audit does not add another.
 */
export async function auditReport(
  request: import('fastify').FastifyRequest,
  report: string,
  target: string,
  detail: Record<string, unknown>,
): Promise<void> {
  const security = (request.server as unknown as { security?: { ctx: Parameters<typeof audit>[0] } })
    .security;
  if (!security) return; // an app without the security plugin has no audit trail to write to
  await audit(security.ctx, request, `report.${report}`, target, detail);
}

/** Query values as an audit detail: times as ISO, lists as they are, undefined left out. */
export function auditDetail(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || k === 'cursor' || k === 'limit') continue;
    out[k] =
      typeof v === 'number' && (k === 'from' || k === 'until' || k === 'at' || k === 'since')
        ? new Date(v).toISOString()
        : v;
  }
  return out;
}
