// Where things are on a site, read from the site model in one go: which controller drives which door,
// which areas lie within an area, which doors cross an area's boundary, which fire zone covers which
// door, and which site each belongs to. Door and area actions use it to send their command to exactly
// the controllers concerned; the configuration check uses it to refuse rules that would span
// controllers (an interlock group or an occupancy limit no single controller could enforce).

import { OUTSIDE } from '../../core/model.ts';
import type { AreaRules } from '../storage/areas.ts';
import type { Executor } from '../storage/db.ts';
import type { DoorRules } from '../storage/doors.ts';

interface AreaRow {
  id: string;
  parent: string | null;
  site: string | null;
  maxOccupancy: number | null;
  rules: AreaRules;
}

interface DoorRow {
  id: string;
  from: string;
  to: string;
  controllerId: string | null;
  rules: DoorRules;
}

export class SiteTopology {
  readonly areas = new Map<string, AreaRow>();
  readonly doors = new Map<string, DoorRow>();
  /** controller → its site (the default site when it names none) */
  readonly controllers = new Map<string, string>();

  private constructor(readonly defaultSite: string) {}

  static async load(db: Executor, defaultSite: string): Promise<SiteTopology> {
    const topology = new SiteTopology(defaultSite);
    const [areas, doors, controllers] = await Promise.all([
      db.selectFrom('areas').select(['id', 'parent_id', 'site', 'max_occupancy', 'rules']).execute(),
      db.selectFrom('doors').select(['id', 'from_area', 'to_area', 'controller_id', 'rules']).execute(),
      db.selectFrom('controllers').select(['id', 'site']).execute(),
    ]);
    for (const a of areas)
      topology.areas.set(a.id, {
        id: a.id,
        parent: a.parent_id,
        site: a.site,
        maxOccupancy: a.max_occupancy === null ? null : Number(a.max_occupancy),
        rules: a.rules ? (JSON.parse(a.rules) as AreaRules) : {},
      });
    for (const d of doors)
      topology.doors.set(d.id, {
        id: d.id,
        from: d.from_area,
        to: d.to_area,
        controllerId: d.controller_id,
        rules: d.rules ? (JSON.parse(d.rules) as DoorRules) : {},
      });
    for (const c of controllers) topology.controllers.set(c.id, c.site ?? defaultSite);
    return topology;
  }

  /** The area and its ancestors up to (not including) `outside`. */
  selfAndAncestors(areaId: string): string[] {
    const found: string[] = [];
    for (let id: string | null | undefined = areaId; id && id !== OUTSIDE && !found.includes(id); ) {
      found.push(id);
      id = this.areas.get(id)?.parent;
    }
    return found;
  }

  /** The area and every area within it. */
  within(areaId: string): Set<string> {
    const inside = new Set<string>();
    for (const id of this.areas.keys()) if (this.selfAndAncestors(id).includes(areaId)) inside.add(id);
    return inside;
  }

  /** The site an area belongs to: its own, or its nearest ancestor's, or the default site. */
  siteOfArea(areaId: string): string {
    for (const id of this.selfAndAncestors(areaId)) {
      const site = this.areas.get(id)?.site;
      if (site) return site;
    }
    return this.defaultSite;
  }

  /** A door's site: its controller's, else the site of the area it leads into. */
  siteOfDoor(doorId: string): string {
    const door = this.doors.get(doorId);
    if (!door) return this.defaultSite;
    if (door.controllerId) return this.controllers.get(door.controllerId) ?? this.defaultSite;
    return this.siteOfArea(door.to === OUTSIDE ? door.from : door.to);
  }

  private controllersOf(doors: Iterable<DoorRow>): string[] {
    const ids = new Set<string>();
    for (const d of doors) if (d.controllerId) ids.add(d.controllerId);
    return [...ids].sort();
  }

  /**
   * Controllers whose policy holds the area: those with a door into or out of it or an area within
   * it, and those whose doors lead to an area whose route requires it.
   */
  controllersOfArea(areaId: string): string[] {
    const inside = this.within(areaId);
    const routed = new Set<string>();
    for (const a of this.areas.values())
      if (a.rules.route?.requires !== undefined && inside.has(a.rules.route.requires))
        for (const id of this.within(a.id)) routed.add(id);
    return this.controllersOf(
      [...this.doors.values()].filter(
        (d) => inside.has(d.from) || inside.has(d.to) || routed.has(d.from) || routed.has(d.to),
      ),
    );
  }

  /** Doors whose sides or their ancestors belong to the fire zone (its egress doors). */
  doorsOfZone(zone: string): DoorRow[] {
    const inZone = (area: string) =>
      this.selfAndAncestors(area).some((id) => this.areas.get(id)?.rules.fireZone === zone);
    return [...this.doors.values()].filter((d) => inZone(d.from) || inZone(d.to));
  }

  controllersOfZone(zone: string): string[] {
    return this.controllersOf(this.doorsOfZone(zone));
  }

  /** Every controller of these sites (all sites: `all`). */
  controllersOfSites(sites: readonly string[] | 'all'): string[] {
    return [...this.controllers.entries()]
      .filter(([, site]) => sites === 'all' || sites.includes(site))
      .map(([id]) => id)
      .sort();
  }

  /** Doors that cross the area's boundary: one side within it, the other not. */
  boundaryDoors(areaId: string): DoorRow[] {
    const inside = this.within(areaId);
    return [...this.doors.values()].filter((d) => inside.has(d.from) !== inside.has(d.to));
  }

  /**
   * Rules that no single controller could enforce: an interlock group whose doors sit on different
   * controllers (each controller sees only its own doors' state), an occupancy limit whose boundary
   * doors do (two controllers could each let the last person in). Empty when there is none.
   */
  spanningRules(): { kind: 'interlock' | 'occupancy'; id: string; controllers: string[] }[] {
    const problems: { kind: 'interlock' | 'occupancy'; id: string; controllers: string[] }[] = [];
    const groups = new Map<string, DoorRow[]>();
    for (const d of this.doors.values())
      if (d.rules.interlock) groups.set(d.rules.interlock, [...(groups.get(d.rules.interlock) ?? []), d]);
    for (const [group, doors] of groups) {
      const controllers = this.controllersOf(doors);
      if (controllers.length > 1) problems.push({ kind: 'interlock', id: group, controllers });
    }
    for (const a of this.areas.values()) {
      if (a.maxOccupancy === null) continue;
      const controllers = this.controllersOf(this.boundaryDoors(a.id));
      if (controllers.length > 1) problems.push({ kind: 'occupancy', id: a.id, controllers });
    }
    return problems;
  }
}
