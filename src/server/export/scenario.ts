// `monban scenario export`: the live configuration of a site as a scenario file (DESIGN.md §6.2,
// docs/scenarios.md), so a change can be tested with `monban scenario run` before it goes live. The
// file is written as it is read — people a page at a time — so a 100,000-person site exports in
// seconds and in little memory.
//
// What cannot be exported as it is stored:
// - PINs: the server keeps only keyed hashes. Each PIN exports as a stand-in of its own — card and
//   PIN-only PINs 1xxxxxxx, duress PINs 2xxxxxxx, numbered in export order — so doors that need a PIN,
//   duress and PIN-only credentials can still be tested; the real digits never leave the server.
// - Server settings the core does not decide with (offline modes, controllers): left out.
// - Use counts: `maxUses` is what is left (max − uses so far), as if the scenario started now.

import { stringify } from 'yaml';
import type {
  AreaDef,
  CredentialDef,
  DoorDef,
  GroupDef,
  HolidayCalendarDef,
  LevelDef,
  PersonDef,
  ScheduleDef,
} from '../../core/model.ts';
import { DEFAULT_TIMEZONE, OUTSIDE } from '../../core/model.ts';
import { formatWall } from '../../core/time/civil.ts';
import { TimeZone } from '../../core/time/zone.ts';
import type { AntipassbackRule, AreaRules } from '../storage/areas.ts';
import type { Executor } from '../storage/db.ts';
import type { DoorRules } from '../storage/doors.ts';
import { DEFAULT_SITE, siteById } from '../storage/sites.ts';

export interface ScenarioExportOptions {
  /** the site to export; default: the only site there is (all doors when no site is stored) */
  site?: string | undefined;
  /** controllers and areas without a site belong to this one */
  defaultSite?: string;
  /** people fetched per query */
  pageSize?: number;
  /** steps to append as the timeline (YAML text of a list), e.g. the site's own acceptance checks */
  timeline?: string | undefined;
  now?: number;
  progress?: (peopleWritten: number) => void;
}

export class ScenarioExportError extends Error {}

const PIN_BASE = 10_000_000;
const DURESS_BASE = 20_000_000;

const json = (value: unknown) => JSON.stringify(value);
const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];

/** A YAML block for one top-level key, or nothing when the list is empty. */
function block(key: string, items: readonly unknown[]): string {
  if (items.length === 0) return `${key}: []\n`;
  return stringify({ [key]: items }, { lineWidth: 0 });
}

interface DoorRow {
  id: string;
  from_area: string;
  to_area: string;
  controller_id: string | null;
  mode: string;
  strike_seconds: number;
  held_open_seconds: number;
  rules: string | null;
}

/** Every door with its site: its controller's, else the site of the area it leads into (or from). */
async function doorsWithSite(db: Executor, defaultSite: string): Promise<(DoorRow & { site: string })[]> {
  const rows = await db
    .selectFrom('doors')
    .leftJoin('controllers', 'controllers.id', 'doors.controller_id')
    .leftJoin('areas as to_area', 'to_area.id', 'doors.to_area')
    .leftJoin('areas as from_area', 'from_area.id', 'doors.from_area')
    .selectAll('doors')
    .select(['controllers.site as controller_site', 'to_area.site as to_site', 'from_area.site as from_site'])
    .orderBy('doors.id')
    .execute();
  return rows.map((d) => ({ ...d, site: d.controller_site ?? d.to_site ?? d.from_site ?? defaultSite }));
}

export async function* exportScenario(
  db: Executor,
  options: ScenarioExportOptions = {},
): AsyncGenerator<string> {
  const defaultSite = options.defaultSite ?? DEFAULT_SITE;
  const pageSize = options.pageSize ?? 1000;
  const sites = await db.selectFrom('sites').select('id').orderBy('id').execute();
  const allDoors = await doorsWithSite(db, defaultSite);
  let siteId = options.site;
  if (siteId === undefined && sites.length === 1) siteId = sites[0]!.id;
  else if (siteId === undefined && sites.length > 1) {
    const doorSites = unique(allDoors.map((d) => d.site));
    if (doorSites.length > 1)
      throw new ScenarioExportError(
        `doors are at ${doorSites.length} sites (${doorSites.join(', ')}): choose one with --site`,
      );
    siteId = doorSites[0] ?? defaultSite;
  }
  const site = siteId === undefined ? undefined : await siteById(db, siteId);
  if (options.site !== undefined && !site) throw new ScenarioExportError(`no site '${options.site}'`);
  const timezone = site?.timezone ?? DEFAULT_TIMEZONE;
  const zone = new TimeZone(timezone);
  const local = (ms: number) => formatWall(ms + zone.offsetAt(ms)).slice(0, 19);

  // --- the site model: small, read whole
  // With one site (or none stored) every door is at it.
  const doorRows = sites.length > 1 ? allDoors.filter((d) => d.site === siteId) : allDoors;
  const doorIds = new Set(doorRows.map((d) => d.id));
  const areaRows = await db.selectFrom('areas').selectAll().orderBy('id').execute();
  const areaById = new Map(areaRows.map((a) => [a.id, a]));
  const areaIds = new Set<string>();
  const addArea = (id: string | null | undefined) => {
    for (let a = id; a && a !== OUTSIDE && !areaIds.has(a); a = areaById.get(a)?.parent_id) areaIds.add(a);
  };
  for (const d of doorRows) {
    addArea(d.from_area);
    addArea(d.to_area);
  }
  for (const id of [...areaIds]) {
    const rules = areaById.get(id)?.rules ? (JSON.parse(areaById.get(id)!.rules!) as AreaRules) : {};
    addArea(rules.route?.requires);
  }
  // Areas of the site without doors yet belong to it too.
  for (const a of areaRows) if (siteId !== undefined && a.site === siteId) addArea(a.id);

  const areas: AreaDef[] = areaRows
    .filter((a) => areaIds.has(a.id))
    .map((a) => {
      const r = a.rules ? (JSON.parse(a.rules) as AreaRules) : {};
      const antipassback = a.antipassback ? (JSON.parse(a.antipassback) as AntipassbackRule) : undefined;
      return {
        id: a.id,
        ...(a.parent_id && a.parent_id !== OUTSIDE && { parent: a.parent_id }),
        ...(antipassback && { antipassback: antipassback as AreaDef['antipassback'] & object }),
        ...(r.twoPerson && { twoPerson: r.twoPerson as AreaDef['twoPerson'] & object }),
        ...(r.route && { route: r.route }),
        ...(r.priority && { priority: r.priority }),
        ...(r.escort && { escort: r.escort }),
        ...(a.max_occupancy !== null && { maxOccupancy: Number(a.max_occupancy) }),
        ...(r.fireZone && { fireZone: r.fireZone }),
      };
    });

  const doors: DoorDef[] = doorRows.map((d) => {
    const r = d.rules ? (JSON.parse(d.rules) as DoorRules) : {};
    return {
      id: d.id,
      from: d.from_area,
      to: d.to_area,
      ...(d.mode !== 'card' && { mode: d.mode as DoorDef['mode'] & string }),
      ...(r.scheduledModes && r.scheduledModes.length > 0 && { scheduledModes: r.scheduledModes }),
      ...(r.firstPersonIn && { firstPersonIn: true }),
      ...(r.localAntipassback && { antipassback: 'local' as const }),
      ...(r.interlock && { interlock: r.interlock }),
      strikeSeconds: Number(d.strike_seconds),
      heldOpenSeconds: Number(d.held_open_seconds),
    };
  });

  const levelRows = await db.selectFrom('access_levels').selectAll().orderBy('id').execute();
  const levelDoors = await db.selectFrom('access_level_doors').selectAll().orderBy('door_id').execute();
  const doorsOfLevel = new Map<string, string[]>();
  for (const ld of levelDoors)
    if (doorIds.has(ld.door_id))
      doorsOfLevel.set(ld.level_id, [...(doorsOfLevel.get(ld.level_id) ?? []), ld.door_id]);
  // A level none of whose doors is at this site grants nothing here: left out.
  const levels: LevelDef[] = levelRows
    .filter((l) => doorsOfLevel.has(l.id))
    .map((l) => ({
      id: l.id,
      doors: doorsOfLevel.get(l.id)!,
      ...(l.schedule_id && { schedule: l.schedule_id }),
      ...(l.max_threat_level !== null && { maxThreatLevel: Number(l.max_threat_level) }),
    }));
  const levelIds = new Set(levels.map((l) => l.id));

  const scheduleIds = new Set([
    ...levels.flatMap((l) => (l.schedule ? [l.schedule] : [])),
    ...doors.flatMap((d) => (d.scheduledModes ?? []).map((m) => m.schedule)),
  ]);
  const scheduleRows = (await db.selectFrom('schedules').selectAll().orderBy('id').execute()).filter((s) =>
    scheduleIds.has(s.id),
  );
  const scheduleCalendars = await db.selectFrom('schedule_holidays').selectAll().execute();
  const siteCalendars = site?.holidayCalendars ?? [];
  const schedules: ScheduleDef[] = scheduleRows.map((s) => {
    const calendars = unique([
      ...scheduleCalendars.filter((c) => c.schedule_id === s.id).map((c) => c.calendar_id),
      ...(Number(s.site_holidays) === 1 ? siteCalendars : []),
    ]).sort();
    return {
      id: s.id,
      weekly: JSON.parse(s.weekly) as ScheduleDef['weekly'],
      ...(calendars.length > 0 && { calendars }),
      ...(s.holiday_intervals && { holiday: JSON.parse(s.holiday_intervals) as string[] }),
    };
  });
  const calendarIds = unique(schedules.flatMap((s) => s.calendars ?? [])).sort();
  const dates = calendarIds.length
    ? await db
        .selectFrom('holiday_dates')
        .select(['calendar_id', 'date'])
        .where('calendar_id', 'in', calendarIds)
        .orderBy('date')
        .execute()
    : [];
  const holidayCalendars: HolidayCalendarDef[] = calendarIds.map((id) => ({
    id,
    dates: dates.filter((d) => d.calendar_id === id).map((d) => d.date),
  }));

  const groupRows = await db.selectFrom('groups').select('id').orderBy('id').execute();
  const groupLevels = await db.selectFrom('group_levels').selectAll().orderBy('level_id').execute();
  const groups: GroupDef[] = groupRows.map((g) => ({
    id: g.id,
    levels: groupLevels
      .filter((gl) => gl.group_id === g.id && levelIds.has(gl.level_id))
      .map((gl) => gl.level_id),
  }));

  const generated = new Date(options.now ?? Date.now()).toISOString();
  yield [
    `# Monban scenario: the live configuration${site ? ` of site ${site.id} (${site.name})` : ''}, exported ${generated}.`,
    '# Test it with `monban scenario run FILE`; add steps under `timeline` (docs/scenarios.md).',
    '# PINs are stand-ins, never the real digits (the server keeps only keyed hashes): each card or',
    '# PIN-only PIN is numbered 1xxxxxxx and each duress PIN 2xxxxxxx, in the order written here.',
    '# Holds personal data (people and card numbers): store it as carefully as the database.',
    '',
  ].join('\n');
  yield stringify(
    { version: 1, name: `${site?.name ?? 'site'} (exported ${generated})`, timezone },
    { lineWidth: 0 },
  );
  yield block('holidayCalendars', holidayCalendars);
  yield block('areas', areas);
  yield block('doors', doors);
  yield block('schedules', schedules);
  yield block('levels', levels);
  yield block('groups', groups);

  // --- people: a page at a time, with their groups, levels and credentials in three queries each
  yield 'people:\n';
  let after = '';
  let written = 0;
  let standIn = 0;
  for (;;) {
    const people = await db
      .selectFrom('people')
      .select(['id', 'active', 'left_at'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    if (people.length === 0) break;
    after = people.at(-1)!.id;
    const ids = people.map((p) => p.id);
    const [memberships, direct, credentials] = await Promise.all([
      db.selectFrom('person_groups').selectAll().where('person_id', 'in', ids).orderBy('group_id').execute(),
      db.selectFrom('person_levels').selectAll().where('person_id', 'in', ids).orderBy('level_id').execute(),
      db
        .selectFrom('credentials')
        .select([
          'id',
          'person_id',
          'type',
          'identifier',
          'pin_hash',
          'duress_pin_hash',
          'state',
          'valid_from',
          'valid_until',
          'max_uses',
          'uses',
        ])
        .where('person_id', 'in', ids)
        .orderBy('id')
        .execute(),
    ]);
    const by = <T extends { person_id: string }>(rows: T[]) => {
      const map = new Map<string, T[]>();
      for (const r of rows) map.set(r.person_id, [...(map.get(r.person_id) ?? []), r]);
      return map;
    };
    const groupsOf = by(memberships);
    const levelsOf = by(direct);
    const credentialsOf = by(credentials);
    let lines = '';
    for (const p of people) {
      const personGroups = (groupsOf.get(p.id) ?? []).map((m) => m.group_id);
      const personLevels = (levelsOf.get(p.id) ?? []).map((l) => l.level_id).filter((l) => levelIds.has(l));
      const creds: CredentialDef[] = (credentialsOf.get(p.id) ?? []).map((c) => {
        const pin = c.type === 'pin' || c.pin_hash !== null ? String(PIN_BASE + ++standIn) : undefined;
        const duress = c.duress_pin_hash !== null ? String(DURESS_BASE + standIn) : undefined;
        return {
          type: c.type as CredentialDef['type'],
          id: c.type === 'pin' ? c.id : c.identifier!,
          ...(pin !== undefined && { pin }),
          ...(duress !== undefined && { duressPin: duress }),
          ...(c.valid_from !== null && { validFrom: local(Number(c.valid_from)) }),
          ...(c.valid_until !== null && { validUntil: local(Number(c.valid_until)) }),
          ...(c.max_uses !== null && { maxUses: Math.max(0, Number(c.max_uses) - Number(c.uses)) }),
          ...(c.state !== 'active' && { state: c.state as CredentialDef['state'] }),
        };
      });
      const person: PersonDef = {
        id: p.id,
        ...(personGroups.length > 0 && { groups: personGroups }),
        ...(personLevels.length > 0 && { levels: personLevels }),
        ...((Number(p.active) !== 1 || p.left_at !== null) && { active: false }),
        credentials: creds,
      };
      lines += `  - ${json(person)}\n`;
    }
    written += people.length;
    options.progress?.(written);
    yield lines;
  }
  if (written === 0) yield '  []\n';
  yield options.timeline ? `timeline:\n${indent(options.timeline)}` : 'timeline: []\n';
}

function indent(text: string): string {
  return `${text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}
