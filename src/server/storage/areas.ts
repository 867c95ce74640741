// Areas (エリア / 区域): spaces people are in, nested under a parent; `outside` always exists, is the
// parent of top-level areas, and cannot be changed or removed. A parent that would make a cycle is
// refused; an area that still has children or doors cannot be removed.

import { type AntipassbackMode, OUTSIDE } from '../../core/model.ts';
import type { Executor } from './db.ts';
import { StorageError } from './errors.ts';
import { type Db, ResourceStore } from './resource.ts';

export { OUTSIDE };

/** What a controller that has lost the server does at an area's doors (a server setting, not a core rule). */
export const OFFLINE_MODES = ['local', 'deny'] as const;
export type OfflineMode = (typeof OFFLINE_MODES)[number];

/**
 * My Number zones (特定個人情報の取扱区域 / 管理区域, the My Number guideline): 'management' is a
 * 管理区域 (where the systems and files holding My Numbers are kept), 'handling' a 取扱区域 (where
 * My Number work is done). Reports only; access decisions do not read it.
 */
export const MY_NUMBER_ZONES = ['management', 'handling'] as const;
export type MyNumberZone = (typeof MY_NUMBER_ZONES)[number];

export interface AntipassbackRule {
  mode: AntipassbackMode;
  reentryMinutes?: number | undefined;
  /** "HH:MM": every day at this local time everyone's presence in the area becomes unknown */
  resetAt?: string | undefined;
}

/** The area rules of the core (core/model.ts AreaDef), as stored. */
export interface AreaRules {
  twoPerson?:
    | { withinSeconds: number; enoughWhenInside?: number | undefined; requireGroup?: string | undefined }
    | undefined;
  route?: { requires: string } | undefined;
  priority?: { group: string } | undefined;
  escort?: { visitorGroup: string; escortGroup: string; withinSeconds: number } | undefined;
  fireZone?: string | undefined;
}

async function mustExist(db: Db, table: 'groups' | 'areas', id: string, field: string): Promise<void> {
  const row = await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  if (!row)
    throw new StorageError('invalid', 'area', `no ${table === 'groups' ? 'group' : 'area'} ${id}`, field);
}

export interface AreaInput {
  id: string;
  name: string;
  parentId: string;
  site: string | null;
  maxOccupancy: number | null;
  antipassback: AntipassbackRule | null;
  /** while a controller has lost the server: decide locally, or deny at this area's doors */
  offlineMode: OfflineMode;
  rules: AreaRules | null;
  /** the area is a My Number 管理区域 or 取扱区域 (reports) */
  myNumberZone?: MyNumberZone | null;
}

export class AreaStore extends ResourceStore<AreaInput> {
  constructor(db: Executor) {
    super(db, {
      resource: 'area',
      table: 'areas',
      toRow: (a) => ({
        name: a.name,
        parent_id: a.parentId,
        site: a.site,
        max_occupancy: a.maxOccupancy,
        antipassback: a.antipassback ? JSON.stringify(a.antipassback) : null,
        offline_mode: a.offlineMode,
        rules: a.rules ? JSON.stringify(a.rules) : null,
        ...(a.myNumberZone !== undefined && { my_number_zone: a.myNumberZone }),
      }),
      fromRow: (r) => ({
        name: r.name as string,
        parentId: (r.parent_id as string | null) ?? OUTSIDE,
        site: r.site as string | null,
        maxOccupancy: r.max_occupancy === null ? null : Number(r.max_occupancy),
        antipassback: r.antipassback ? (JSON.parse(r.antipassback as string) as AntipassbackRule) : null,
        offlineMode: (r.offline_mode as OfflineMode | undefined) ?? 'local',
        rules: r.rules ? (JSON.parse(r.rules as string) as AreaRules) : null,
        myNumberZone: (r.my_number_zone as MyNumberZone | null | undefined) ?? null,
      }),
      links: [],
      refs: [
        { field: 'parentId', refTable: 'areas', refResource: 'area' },
        { field: 'site', refTable: 'sites', refResource: 'site' },
      ],
      filters: { site: 'site', parentId: 'parent_id' },
      protectedIds: [OUTSIDE],
      async check(db, area) {
        const rules = area.rules;
        if (rules?.route) await mustExist(db, 'areas', rules.route.requires, 'rules.route.requires');
        if (rules?.priority) await mustExist(db, 'groups', rules.priority.group, 'rules.priority.group');
        if (rules?.twoPerson?.requireGroup)
          await mustExist(db, 'groups', rules.twoPerson.requireGroup, 'rules.twoPerson.requireGroup');
        if (rules?.escort) {
          await mustExist(db, 'groups', rules.escort.visitorGroup, 'rules.escort.visitorGroup');
          await mustExist(db, 'groups', rules.escort.escortGroup, 'rules.escort.escortGroup');
        }
        // Walk up from the new parent: meeting the area itself means a cycle.
        let current: string | null = area.parentId;
        for (let depth = 0; current !== null && depth < 1000; depth++) {
          if (current === area.id)
            throw new StorageError('invalid', 'area', 'an area cannot be inside itself', 'parentId');
          const row = await db
            .selectFrom('areas')
            .select('parent_id')
            .where('id', '=', current)
            .executeTakeFirst();
          current = (row?.parent_id as string | null | undefined) ?? null;
        }
      },
    });
  }

  /** These areas and every area within them (an area reset covers the areas inside it). */
  async within(ids: readonly string[]): Promise<Set<string>> {
    const children = new Map<string, string[]>();
    for (const row of await this.db.selectFrom('areas').select(['id', 'parent_id']).execute()) {
      const parent = row.parent_id as string | null;
      if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), row.id as string]);
    }
    const found = new Set<string>();
    const walk = [...ids];
    while (walk.length > 0) {
      const id = walk.pop()!;
      if (found.has(id)) continue;
      found.add(id);
      walk.push(...(children.get(id) ?? []));
    }
    return found;
  }

  /** Which of these areas have anti-passback (a double entry into one is a violation to report). */
  async withAntipassback(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('areas')
      .select('id')
      .where('id', 'in', [...new Set(ids)])
      .where('antipassback', 'is not', null)
      .execute();
    return new Set(rows.map((a) => a.id as string));
  }
}
