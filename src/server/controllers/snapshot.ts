// The policy snapshot for one controller (issue 4, R-SEC-8 "minimal data to controllers"): its doors,
// the areas they join, the levels that name those doors with their schedules and holidays, and only
// the people who hold such a level, directly or through a group. Credentials leave as keyed hashes
// (contracts/credential-key.ts): no card number, no PIN. The result has the shape of the core's
// SiteDef, so the controller compiles it with the same policy compiler the scenarios use.

import type { Json } from '../../contracts/canonical.ts';
import { credentialIdHash } from '../../contracts/credential-key.ts';
import { type AntipassbackRule, DEFAULT_TIMEZONE, type SiteDef } from '../../core/model.ts';
import { formatWall } from '../../core/time/civil.ts';
import { TimeZone } from '../../core/time/zone.ts';
import type { Executor } from '../storage/db.ts';

export interface SnapshotContent {
  site: SiteDef;
  /** people (ids) in the emergency group, let in by the `emergency_only` offline fallback */
  emergency: string[];
  /** areas whose doors lock while the controller has lost the server */
  offlineDeny: string[];
}

const localTime = (ms: number, zone: TimeZone) => formatWall(ms + zone.offsetAt(ms));

export async function buildSnapshot(
  db: Executor,
  controllerId: string,
  credentialKey: Uint8Array,
  options: { emergencyGroup?: string | undefined } = {},
): Promise<SnapshotContent> {
  const doors = await db.selectFrom('doors').selectAll().where('controller_id', '=', controllerId).execute();
  const doorIds = doors.map((d) => d.id);
  const levelDoors =
    doorIds.length === 0
      ? []
      : await db.selectFrom('access_level_doors').selectAll().where('door_id', 'in', doorIds).execute();
  const levelIds = [...new Set(levelDoors.map((l) => l.level_id))];
  const levels =
    levelIds.length === 0
      ? []
      : await db.selectFrom('access_levels').selectAll().where('id', 'in', levelIds).execute();
  const scheduleIds = [...new Set(levels.flatMap((l) => (l.schedule_id ? [l.schedule_id] : [])))];
  const schedules =
    scheduleIds.length === 0
      ? []
      : await db.selectFrom('schedules').selectAll().where('id', 'in', scheduleIds).execute();
  const scheduleCalendars =
    scheduleIds.length === 0
      ? []
      : await db
          .selectFrom('schedule_holidays')
          .selectAll()
          .where('schedule_id', 'in', scheduleIds)
          .execute();
  const calendarIds = [...new Set(scheduleCalendars.map((c) => c.calendar_id))];
  const dates =
    calendarIds.length === 0
      ? []
      : await db.selectFrom('holiday_dates').selectAll().where('calendar_id', 'in', calendarIds).execute();

  const groupLevels =
    levelIds.length === 0
      ? []
      : await db.selectFrom('group_levels').selectAll().where('level_id', 'in', levelIds).execute();
  const groupIds = [...new Set(groupLevels.map((g) => g.group_id))];
  const personLevels =
    levelIds.length === 0
      ? []
      : await db.selectFrom('person_levels').selectAll().where('level_id', 'in', levelIds).execute();
  const personGroups =
    groupIds.length === 0
      ? []
      : await db.selectFrom('person_groups').selectAll().where('group_id', 'in', groupIds).execute();
  const personIds = [
    ...new Set([...personLevels.map((p) => p.person_id), ...personGroups.map((p) => p.person_id)]),
  ];
  const people =
    personIds.length === 0
      ? []
      : await db
          .selectFrom('people')
          .select(['id', 'active', 'left_at'])
          .where('id', 'in', personIds)
          .execute();
  const credentials =
    personIds.length === 0
      ? []
      : await db.selectFrom('credentials').selectAll().where('person_id', 'in', personIds).execute();
  const emergency = options.emergencyGroup
    ? (
        await db
          .selectFrom('person_groups')
          .select('person_id')
          .where('group_id', '=', options.emergencyGroup)
          .execute()
      ).map((r) => r.person_id)
    : [];

  // One zone per site: the schedules' (they agree on a real site); Asia/Tokyo when there is none.
  const timezone = schedules[0]?.timezone ?? DEFAULT_TIMEZONE;
  const zone = new TimeZone(timezone);
  const areaIds = new Set(doors.flatMap((d) => [d.from_area, d.to_area]));
  const areas = (await db.selectFrom('areas').selectAll().execute()).filter((a) => a.id !== 'outside');
  // Keep the areas the doors join and their ancestors (parents may carry rules, e.g. occupancy).
  const byId = new Map(areas.map((a) => [a.id, a]));
  for (const id of [...areaIds]) {
    for (
      let parent = byId.get(id)?.parent_id;
      parent && !areaIds.has(parent);
      parent = byId.get(parent)?.parent_id
    )
      areaIds.add(parent);
  }

  const site: SiteDef = {
    timezone,
    areas: areas
      .filter((a) => areaIds.has(a.id))
      .map((a) => ({
        id: a.id,
        ...(a.parent_id && a.parent_id !== 'outside' && { parent: a.parent_id }),
        ...(a.antipassback && { antipassback: JSON.parse(a.antipassback) as AntipassbackRule }),
        ...(a.max_occupancy !== null && { maxOccupancy: Number(a.max_occupancy) }),
      })),
    doors: doors.map((d) => ({
      id: d.id,
      from: d.from_area,
      to: d.to_area,
      mode: d.mode as SiteDef['doors'][number]['mode'],
      strikeSeconds: Number(d.strike_seconds),
      heldOpenSeconds: Number(d.held_open_seconds),
    })),
    schedules: schedules.map((s) => ({
      id: s.id,
      weekly: JSON.parse(s.weekly) as SiteDef['schedules'][number]['weekly'],
      calendars: scheduleCalendars.filter((c) => c.schedule_id === s.id).map((c) => c.calendar_id),
    })),
    holidayCalendars: calendarIds.map((id) => ({
      id,
      dates: dates.filter((d) => d.calendar_id === id).map((d) => d.date),
    })),
    levels: levels.map((l) => ({
      id: l.id,
      doors: levelDoors.filter((d) => d.level_id === l.id).map((d) => d.door_id),
      ...(l.schedule_id && { schedule: l.schedule_id }),
    })),
    groups: groupIds.map((id) => ({
      id,
      levels: groupLevels.filter((g) => g.group_id === id).map((g) => g.level_id),
    })),
    people: people.map((p) => ({
      id: p.id,
      active: Number(p.active) === 1 && p.left_at === null,
      groups: personGroups.filter((g) => g.person_id === p.id).map((g) => g.group_id),
      levels: personLevels.filter((l) => l.person_id === p.id).map((l) => l.level_id),
      credentials: credentials
        .filter((c) => c.person_id === p.id && c.identifier !== null)
        .map((c) => ({
          type: c.type as SiteDef['people'][number]['credentials'][number]['type'],
          // A PIN-only credential's identifier is already its PIN hash; others are hashed here.
          id: c.type === 'pin' ? c.identifier! : credentialIdHash(credentialKey, c.type, c.identifier!),
          ...(c.pin_hash && c.type !== 'pin' && { pin: c.pin_hash }),
          ...(c.duress_pin_hash && { duressPin: c.duress_pin_hash }),
          ...(c.valid_from !== null && { validFrom: localTime(Number(c.valid_from), zone) }),
          ...(c.valid_until !== null && { validUntil: localTime(Number(c.valid_until), zone) }),
          ...(c.max_uses !== null && { maxUses: Math.max(0, Number(c.max_uses) - Number(c.uses)) }),
          state: c.state as 'active' | 'suspended' | 'lost' | 'revoked',
        })),
    })),
  };
  return {
    site,
    emergency: emergency.filter((id) => personIds.includes(id)),
    offlineDeny: site.areas.filter((a) => byId.get(a.id)?.offline_mode === 'deny').map((a) => a.id),
  };
}

export function siteAsJson(site: SiteDef): Record<string, Json> {
  return JSON.parse(JSON.stringify(site)) as Record<string, Json>;
}
