// The policy snapshot for one controller (issue 4, R-SEC-8 "minimal data to controllers"): its doors,
// the areas they join (with their parents and the areas their routes require), the levels that name
// those doors with their schedules and holidays, the groups those levels and the area rules name,
// and only the people who hold such a level, directly or through a group. Credentials leave as keyed
// hashes (contracts/credential-key.ts): no card number, no PIN. The result has the shape of the
// core's SiteDef, so the controller compiles it with the same policy compiler the scenarios use.

import type { Json } from '../../contracts/canonical.ts';
import { credentialIdHash } from '../../contracts/credential-key.ts';
import {
  type AntipassbackRule,
  type AreaDef,
  type CredentialState,
  DEFAULT_TIMEZONE,
  type DoorDef,
  type SiteDef,
} from '../../core/model.ts';
import { formatWall } from '../../core/time/civil.ts';
import { TimeZone } from '../../core/time/zone.ts';
import type { AreaRules } from '../storage/areas.ts';
import type { Executor } from '../storage/db.ts';
import type { DoorRules } from '../storage/doors.ts';
import type { Database } from '../storage/schema.ts';
import { siteOfController } from '../storage/sites.ts';
import { mapInTurns } from '../turns.ts';

export interface SnapshotContent {
  site: SiteDef;
  /** people (ids) in the emergency group, let in by the `emergency_only` offline fallback */
  emergency: string[];
  /** areas whose doors lock while the controller has lost the server */
  offlineDeny: string[];
}

const localTime = (ms: number, zone: TimeZone) => formatWall(ms + zone.offsetAt(ms));
const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];

/** Rows by one of their columns, in their order: one pass instead of a filter per owner. */
function byKey<R, K extends keyof R>(rows: readonly R[], key: K): Map<R[K], R[]> {
  const map = new Map<R[K], R[]>();
  for (const row of rows) {
    const list = map.get(row[key]);
    if (list) list.push(row);
    else map.set(row[key], [row]);
  }
  return map;
}

/** Rows of `table` whose `column` is one of `ids` (none when there are no ids). */
export async function rowsWhereIn<T extends keyof Database>(
  db: Executor,
  table: T,
  column: string,
  ids: readonly string[],
): Promise<Database[T][]> {
  const rows: Database[T][] = [];
  // In slices: SQLite takes at most 32,766 parameters in one statement (100,000 people are more),
  // and slices of 2,000 take 10–40 ms each, so the event loop turns between them (sqlite-driver.ts).
  for (let i = 0; i < ids.length; i += IN_SLICE) {
    // biome-ignore lint/suspicious/noExplicitAny: one helper for every table; the column names are ours
    const query = (db as any)
      .selectFrom(table)
      .selectAll()
      .where(column, 'in', ids.slice(i, i + IN_SLICE));
    for (const row of (await query.execute()) as Database[T][]) rows.push(row);
  }
  return rows;
}

const IN_SLICE = 2_000;

export async function buildSnapshot(
  db: Executor,
  controllerId: string,
  credentialKey: Uint8Array,
  options: {
    emergencyGroup?: string | undefined;
    defaultSite?: string | undefined;
    /**
     * Only these people, of those the controller would get (the rule-change preview: the holders a
     * change can touch). The rest of the snapshot — doors, areas, levels, schedules — is whole.
     */
    onlyPeople?: ReadonlySet<string> | undefined;
  } = {},
): Promise<SnapshotContent> {
  const doors = await db.selectFrom('doors').selectAll().where('controller_id', '=', controllerId).execute();
  const doorRules = new Map(doors.map((d) => [d.id, d.rules ? (JSON.parse(d.rules) as DoorRules) : {}]));
  const levelDoors = await rowsWhereIn(
    db,
    'access_level_doors',
    'door_id',
    doors.map((d) => d.id),
  );
  const levelIds = unique(levelDoors.map((l) => l.level_id));
  const levels = await rowsWhereIn(db, 'access_levels', 'id', levelIds);

  // Areas: those the doors join, the areas their routes require, and all their ancestors.
  const allAreas = (await db.selectFrom('areas').selectAll().execute()).filter((a) => a.id !== 'outside');
  const byId = new Map(allAreas.map((a) => [a.id, a]));
  const areaRules = new Map(allAreas.map((a) => [a.id, a.rules ? (JSON.parse(a.rules) as AreaRules) : {}]));
  const areaIds = new Set(doors.flatMap((d) => [d.from_area, d.to_area]));
  const withAncestors = (ids: Iterable<string>) => {
    for (const id of [...ids])
      for (
        let p = byId.get(id)?.parent_id;
        p && p !== 'outside' && !areaIds.has(p);
        p = byId.get(p)?.parent_id
      )
        areaIds.add(p);
  };
  withAncestors(areaIds);
  for (const id of [...areaIds]) {
    const requires = areaRules.get(id)?.route?.requires;
    if (requires && requires !== 'outside') areaIds.add(requires);
  }
  withAncestors(areaIds);
  const areas = allAreas.filter((a) => areaIds.has(a.id));

  const scheduleIds = unique([
    ...levels.flatMap((l) => (l.schedule_id ? [l.schedule_id] : [])),
    ...[...doorRules.values()].flatMap((r) => (r.scheduledModes ?? []).map((m) => m.schedule)),
  ]);
  const schedules = await rowsWhereIn(db, 'schedules', 'id', scheduleIds);
  const scheduleCalendars = await rowsWhereIn(db, 'schedule_holidays', 'schedule_id', scheduleIds);
  // The controller's site: its time zone, and its holiday calendars for schedules that take them.
  const siteRow = await siteOfController(db, controllerId, options.defaultSite);
  const siteCalendars = siteRow?.holidayCalendars ?? [];
  const calendarsOf = (s: (typeof schedules)[number]) =>
    unique([
      ...scheduleCalendars.filter((c) => c.schedule_id === s.id).map((c) => c.calendar_id),
      ...(Number(s.site_holidays ?? 1) === 1 ? siteCalendars : []),
    ]);
  const calendarIds = unique(schedules.flatMap(calendarsOf));
  const dates = await rowsWhereIn(db, 'holiday_dates', 'calendar_id', calendarIds);

  const groupLevels = await rowsWhereIn(db, 'group_levels', 'level_id', levelIds);
  const ruleGroups = areas.flatMap((a) => {
    const r = areaRules.get(a.id)!;
    return [
      r.priority?.group,
      r.twoPerson?.requireGroup,
      r.escort?.visitorGroup,
      r.escort?.escortGroup,
    ].filter((g): g is string => g !== undefined);
  });
  const only = options.onlyPeople;
  const levelGroups = unique(groupLevels.map((g) => g.group_id));
  let personLevels: Database['person_levels'][];
  let levelGroupMembers: Database['person_groups'][];
  if (only) {
    // Read from the people's side: O(those people), not O(the controller's holders).
    const onlyIds = [...only];
    const ofLevels = new Set(levelIds);
    const ofGroups = new Set(levelGroups);
    personLevels = (await rowsWhereIn(db, 'person_levels', 'person_id', onlyIds)).filter((r) =>
      ofLevels.has(r.level_id),
    );
    levelGroupMembers = (await rowsWhereIn(db, 'person_groups', 'person_id', onlyIds)).filter((r) =>
      ofGroups.has(r.group_id),
    );
  } else {
    personLevels = await rowsWhereIn(db, 'person_levels', 'level_id', levelIds);
    levelGroupMembers = await rowsWhereIn(db, 'person_groups', 'group_id', levelGroups);
  }
  const personIds = unique([
    ...personLevels.map((p) => p.person_id),
    ...levelGroupMembers.map((p) => p.person_id),
  ]);
  const people = await rowsWhereIn(db, 'people', 'id', personIds);
  const inSnapshot = new Set(personIds);
  // Every group of these people, also one that grants nothing here: an operator's lockdown names
  // its exempt groups, and the controller must know who is in them.
  const personGroups = await rowsWhereIn(db, 'person_groups', 'person_id', personIds);
  const groupIds = unique([
    ...groupLevels.map((g) => g.group_id),
    ...ruleGroups,
    ...personGroups.map((m) => m.group_id),
  ]);
  const memberships = byKey(personGroups, 'person_id');
  const credentials = byKey(await rowsWhereIn(db, 'credentials', 'person_id', personIds), 'person_id');
  const levelsOfPerson = byKey(personLevels, 'person_id');
  const doorsOfLevel = byKey(levelDoors, 'level_id');
  const levelsOfGroup = byKey(groupLevels, 'group_id');
  const emergency = options.emergencyGroup
    ? (await rowsWhereIn(db, 'person_groups', 'group_id', [options.emergencyGroup])).map((r) => r.person_id)
    : [];

  const timezone = siteRow?.timezone ?? DEFAULT_TIMEZONE;
  const zone = new TimeZone(timezone);

  const site: SiteDef = {
    timezone,
    areas: areas.map((a): AreaDef => {
      const r = areaRules.get(a.id)!;
      return {
        id: a.id,
        ...(a.parent_id && a.parent_id !== 'outside' && { parent: a.parent_id }),
        ...(a.antipassback && { antipassback: JSON.parse(a.antipassback) as AntipassbackRule }),
        ...(a.max_occupancy !== null && { maxOccupancy: Number(a.max_occupancy) }),
        ...(r.twoPerson && { twoPerson: r.twoPerson as AreaDef['twoPerson'] & object }),
        ...(r.route && { route: r.route }),
        ...(r.priority && { priority: r.priority }),
        ...(r.escort && { escort: r.escort }),
        ...(r.fireZone && { fireZone: r.fireZone }),
      };
    }),
    doors: doors.map((d): DoorDef => {
      const r = doorRules.get(d.id)!;
      return {
        id: d.id,
        from: d.from_area,
        to: d.to_area,
        mode: d.mode as DoorDef['mode'] & string,
        strikeSeconds: Number(d.strike_seconds),
        heldOpenSeconds: Number(d.held_open_seconds),
        ...(r.interlock && { interlock: r.interlock }),
        ...(r.localAntipassback && { antipassback: 'local' as const }),
        ...(r.firstPersonIn && { firstPersonIn: true }),
        ...(r.scheduledModes && { scheduledModes: r.scheduledModes }),
      };
    }),
    schedules: schedules.map((s) => ({
      id: s.id,
      weekly: JSON.parse(s.weekly) as SiteDef['schedules'][number]['weekly'],
      calendars: calendarsOf(s),
      ...(s.holiday_intervals && { holiday: JSON.parse(s.holiday_intervals) as string[] }),
    })),
    holidayCalendars: calendarIds.map((id) => ({
      id,
      dates: dates.filter((d) => d.calendar_id === id).map((d) => d.date),
    })),
    levels: levels.map((l) => ({
      id: l.id,
      doors: (doorsOfLevel.get(l.id) ?? []).map((d) => d.door_id),
      ...(l.schedule_id && { schedule: l.schedule_id }),
      ...(l.max_threat_level !== null && { maxThreatLevel: Number(l.max_threat_level) }),
    })),
    groups: groupIds.map((id) => ({
      id,
      levels: (levelsOfGroup.get(id) ?? []).map((g) => g.level_id),
    })),
    people: await mapInTurns(people, (p) =>
      snapshotPerson(
        p,
        (memberships.get(p.id) ?? []).map((g) => g.group_id),
        (levelsOfPerson.get(p.id) ?? []).map((l) => l.level_id),
        credentials.get(p.id) ?? [],
        credentialKey,
        zone,
      ),
    ),
  };
  return {
    site,
    emergency: emergency.filter((id) => inSnapshot.has(id)),
    offlineDeny: areas.filter((a) => a.offline_mode === 'deny').map((a) => a.id),
  };
}

/** One person as a snapshot holds them: their groups, their levels here, their credentials hashed. */
export function snapshotPerson(
  p: Pick<Database['people'], 'id' | 'active' | 'left_at'>,
  groups: string[],
  levels: string[],
  credentials: readonly Database['credentials'][],
  credentialKey: Uint8Array,
  zone: TimeZone,
): SiteDef['people'][number] {
  return {
    id: p.id,
    active: Number(p.active) === 1 && p.left_at === null,
    groups,
    levels,
    credentials: credentials
      .filter((c) => c.identifier !== null)
      .map((c) => ({
        type: c.type as SiteDef['people'][number]['credentials'][number]['type'],
        // A PIN-only credential's identifier is already its PIN hash; others are hashed here.
        id: c.type === 'pin' ? c.identifier! : credentialIdHash(credentialKey, c.type, c.identifier!),
        ...(c.pin_hash && c.type !== 'pin' && { pin: c.pin_hash }),
        ...(c.duress_pin_hash && { duressPin: c.duress_pin_hash }),
        ...(c.valid_from !== null && { validFrom: localTime(Number(c.valid_from), zone) }),
        ...(c.valid_until !== null && { validUntil: localTime(Number(c.valid_until), zone) }),
        ...(c.max_uses !== null && { maxUses: Math.max(0, Number(c.max_uses) - Number(c.uses)) }),
        state: c.state as CredentialState,
      })),
  };
}

/**
 * The site as plain JSON (what JSON.stringify keeps: no undefined fields), copied person by person:
 * 2,000,000 people are more than one JSON string may hold; breathing (../turns.ts).
 */
export async function siteAsJson(site: SiteDef): Promise<Record<string, Json>> {
  const copy = (value: unknown) => JSON.parse(JSON.stringify(value)) as Json;
  const { people, ...rest } = site;
  return { ...(copy(rest) as Record<string, Json>), people: await mapInTurns(people, copy) };
}
