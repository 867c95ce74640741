// Compiles a site definition into indexed structures built for fast decisions: a credential hash map,
// per-person flattened level lists, per-level door bitsets, precomputed entered/left areas per door side.

import type { CredentialDef, CredentialState, CredentialType, DoorMode, SiteDef } from './model.ts';
import { DEFAULT_HELD_OPEN_SECONDS, DEFAULT_STRIKE_SECONDS, OUTSIDE } from './model.ts';
import { PolicyError, type PolicyPath } from './policy-error.ts';
import { type CompiledSchedule, compileSchedule } from './schedule.ts';
import { parseLocalDateTime, parseTimeOfDay } from './time/civil.ts';
import { TimeZone } from './time/zone.ts';

export type Side = 'in' | 'out';

export interface CompiledArea {
  id: string;
  index: number;
  parent: string;
  /** this area and every ancestor except `outside` */
  selfAndAncestors: readonly string[];
  /** the same, as area indices */
  selfAndAncestorIndex: Int32Array;
  /** whether this area or an ancestor has a priority rule (presence changes then update its count) */
  hasPriorityAbove: boolean;
  antipassback: { hard: boolean; reentryMs: number; resetAtSecond: number } | undefined;
  twoPerson: { withinMs: number; enoughWhenInside: number; requireGroup?: string } | undefined;
  routeRequires: string | undefined;
  priorityGroup: string | undefined;
  escort: { visitorGroup: string; escortGroup: string; withinMs: number } | undefined;
  maxOccupancy: number;
  fireZone: string | undefined;
}

export interface CompiledScheduledMode {
  schedule: CompiledSchedule;
  mode: DoorMode;
}

export interface CompiledDoor {
  id: string;
  index: number;
  from: string;
  to: string;
  mode: DoorMode;
  scheduledModes: readonly CompiledScheduledMode[];
  firstPersonIn: boolean;
  localAntipassback: boolean;
  interlock: string | undefined;
  strikeMs: number;
  heldOpenMs: number;
  /** areas a person enters / leaves when crossing on each side, outermost first */
  entered: Record<Side, readonly CompiledArea[]>;
  left: Record<Side, readonly CompiledArea[]>;
  /** whether an area entered on that side has an escort rule (skips the escort bookkeeping otherwise) */
  escorted: Record<Side, boolean>;
  /** areas that contain both sides of the door: crossing it means being inside them already */
  within: readonly CompiledArea[];
  fireZones: readonly string[];
}

export interface CompiledLevel {
  id: string;
  index: number;
  /** bit i set = door with index i is in the level (a view into Policy.levelBits) */
  doorBits: Uint32Array;
  schedule: CompiledSchedule | undefined;
  maxThreatLevel: number;
}

export interface CompiledPerson {
  id: string;
  index: number;
  active: boolean;
  groups: ReadonlySet<string>;
  /** every level reachable directly or through groups, without repeats */
  levels: readonly CompiledLevel[];
  /** the same levels as indices into Policy.levelList, scanned on every decision */
  levelIndex: Int32Array;
}

export interface CompiledCredential {
  /** `TYPE:ID`, or `pin:DIGITS` for PIN-only credentials: the lookup key, which may hold a secret */
  key: string;
  /** a name safe for logs and events: never contains PIN digits */
  ref: string;
  type: CredentialType;
  person: CompiledPerson;
  // Copies of the holder's hot fields, so the common decision path reads one object, not two.
  personId: string;
  personIndex: number;
  personActive: boolean;
  /** the holder's levels: indices into Policy.personLevels */
  levelStart: number;
  levelEnd: number;
  pin: string | undefined;
  duressPin: string | undefined;
  validFrom: number;
  validUntil: number;
  maxUses: number;
  state: CredentialState;
}

export interface Policy {
  zone: TimeZone;
  areas: ReadonlyMap<string, CompiledArea>;
  doors: ReadonlyMap<string, CompiledDoor>;
  /** index → door, for bit tests */
  doorList: readonly CompiledDoor[];
  schedules: ReadonlyMap<string, CompiledSchedule>;
  levels: ReadonlyMap<string, CompiledLevel>;
  /** index → level */
  levelList: readonly CompiledLevel[];
  /** every person's level indices, one after another (see CompiledCredential.levelStart) */
  personLevels: Int32Array;
  /**
   * All levels' door bitsets in one array (level i's words start at i × doorWords): one compact block
   * that stays in cache, instead of a separate array per level.
   */
  levelBits: Uint32Array;
  doorWords: number;
  groups: ReadonlySet<string>;
  people: ReadonlyMap<string, CompiledPerson>;
  /** index → person, for state kept in arrays */
  peopleList: readonly CompiledPerson[];
  /** index → area (`outside` is 0) */
  areaList: readonly CompiledArea[];
  credentials: ReadonlyMap<string, CompiledCredential>;
  /** person id → that person's credentials */
  credentialsOf: ReadonlyMap<string, readonly CompiledCredential[]>;
  interlockGroups: ReadonlyMap<string, readonly CompiledDoor[]>;
  /** area ids per fire zone */
  fireZoneAreas: ReadonlyMap<string, readonly string[]>;
}

function indexById<T extends { id: string }>(
  items: readonly T[],
  kind: string,
): Map<string, { def: T; index: number }> {
  const map = new Map<string, { def: T; index: number }>();
  items.forEach((def, index) => {
    if (map.has(def.id)) throw new PolicyError([kind, index, 'id'], `duplicate ${kind} id "${def.id}"`);
    map.set(def.id, { def, index });
  });
  return map;
}

function need<T>(map: ReadonlyMap<string, T>, id: string, path: PolicyPath, what: string): T {
  const found = map.get(id);
  if (found === undefined) throw new PolicyError(path, `unknown ${what} "${id}"`);
  return found;
}

function nonNegative(value: number | undefined, fallback: number, path: PolicyPath): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new PolicyError(path, 'must be a number ≥ 0');
  return value;
}

/** Validity bounds as instants; `±Infinity` when absent. */
function validityBound(text: string | undefined, zone: TimeZone, fallback: number, path: PolicyPath): number {
  if (text === undefined) return fallback;
  const wall = parseLocalDateTime(text);
  if (wall === undefined)
    throw new PolicyError(path, `"${text}" is not a local date-time YYYY-MM-DDTHH:MM[:SS]`);
  return zone.toInstant(wall);
}

export function credentialKey(
  type: CredentialType,
  def: Pick<CredentialDef, 'id' | 'pin'>,
): string | undefined {
  const id = type === 'pin' ? (def.pin ?? def.id) : def.id;
  return id === undefined ? undefined : `${type}:${id}`;
}

export function compilePolicy(site: SiteDef): Policy {
  if (!TimeZone.isValid(site.timezone))
    throw new PolicyError(['timezone'], `unknown time zone "${site.timezone}"`);
  const zone = new TimeZone(site.timezone);

  // Schedules and calendars.
  const calendars = indexById(site.holidayCalendars, 'holidayCalendars');
  const schedules = new Map<string, CompiledSchedule>();
  indexById(site.schedules, 'schedules').forEach(({ def, index }, id) => {
    schedules.set(id, compileSchedule(def, calendars, ['schedules', index]));
  });

  // Groups (validated before areas reference them).
  const groupIndex = indexById(site.groups, 'groups');
  const groups = new Set(groupIndex.keys());
  const needGroup = (id: string, path: PolicyPath) => need(groupIndex, id, path, 'group');

  // Areas: `outside` always exists and is the parent of top-level areas.
  const areaIndex = indexById(site.areas, 'areas');
  if (areaIndex.has(OUTSIDE))
    throw new PolicyError(
      ['areas', areaIndex.get(OUTSIDE)!.index, 'id'],
      '"outside" always exists and cannot be defined',
    );
  const areas = new Map<string, CompiledArea>();
  const areaChain = (id: string, path: PolicyPath): string[] => {
    const chain: string[] = [];
    let current: string | undefined = id;
    while (current !== undefined && current !== OUTSIDE) {
      if (chain.includes(current))
        throw new PolicyError(path, `area parents form a cycle through "${current}"`);
      chain.push(current);
      current = need(areaIndex, current, path, 'area').def.parent;
    }
    return chain;
  };
  areas.set(OUTSIDE, newArea(OUTSIDE, 0, OUTSIDE, []));
  areaIndex.forEach(({ def, index }, id) => {
    const path = ['areas', index];
    if (def.parent !== undefined && def.parent !== OUTSIDE)
      need(areaIndex, def.parent, [...path, 'parent'], 'area');
    const area = newArea(id, index + 1, def.parent ?? OUTSIDE, areaChain(id, [...path, 'parent']));
    if (def.maxOccupancy !== undefined)
      area.maxOccupancy = nonNegative(def.maxOccupancy, 0, [...path, 'maxOccupancy']);
    area.fireZone = def.fireZone;
    if (def.antipassback) {
      const resetAt = def.antipassback.resetAt;
      const resetAtSecond = resetAt === undefined ? -1 : parseTimeOfDay(resetAt);
      if (resetAtSecond === undefined)
        throw new PolicyError([...path, 'antipassback', 'resetAt'], `"${resetAt}" is not a time HH:MM`);
      area.antipassback = {
        hard: def.antipassback.mode === 'hard',
        reentryMs:
          nonNegative(def.antipassback.reentryMinutes, 0, [...path, 'antipassback', 'reentryMinutes']) *
          60_000,
        resetAtSecond,
      };
    }
    if (def.twoPerson) {
      const tp = def.twoPerson;
      if (tp.requireGroup !== undefined) needGroup(tp.requireGroup, [...path, 'twoPerson', 'requireGroup']);
      area.twoPerson = {
        withinMs: nonNegative(tp.withinSeconds, 0, [...path, 'twoPerson', 'withinSeconds']) * 1000,
        enoughWhenInside:
          tp.enoughWhenInside === undefined
            ? Number.POSITIVE_INFINITY
            : nonNegative(tp.enoughWhenInside, 0, [...path, 'twoPerson', 'enoughWhenInside']),
        ...(tp.requireGroup !== undefined && { requireGroup: tp.requireGroup }),
      };
    }
    if (def.route) {
      if (def.route.requires !== OUTSIDE)
        need(areaIndex, def.route.requires, [...path, 'route', 'requires'], 'area');
      area.routeRequires = def.route.requires;
    }
    if (def.priority) {
      needGroup(def.priority.group, [...path, 'priority', 'group']);
      area.priorityGroup = def.priority.group;
    }
    if (def.escort) {
      needGroup(def.escort.visitorGroup, [...path, 'escort', 'visitorGroup']);
      needGroup(def.escort.escortGroup, [...path, 'escort', 'escortGroup']);
      area.escort = {
        visitorGroup: def.escort.visitorGroup,
        escortGroup: def.escort.escortGroup,
        withinMs: nonNegative(def.escort.withinSeconds, 0, [...path, 'escort', 'withinSeconds']) * 1000,
      };
    }
    areas.set(id, area);
  });
  for (const area of areas.values()) {
    area.selfAndAncestorIndex = Int32Array.from(area.selfAndAncestors.map((a) => areas.get(a)!.index));
    area.hasPriorityAbove = area.selfAndAncestors.some((a) => areas.get(a)!.priorityGroup !== undefined);
  }
  const fireZoneAreas = new Map<string, string[]>();
  for (const area of areas.values()) {
    if (area.fireZone === undefined) continue;
    const list = fireZoneAreas.get(area.fireZone) ?? [];
    list.push(area.id);
    fireZoneAreas.set(area.fireZone, list);
  }

  // Doors.
  const doorIndex = indexById(site.doors, 'doors');
  const doors = new Map<string, CompiledDoor>();
  const doorList: CompiledDoor[] = [];
  const interlockGroups = new Map<string, CompiledDoor[]>();
  doorIndex.forEach(({ def, index }, id) => {
    const path = ['doors', index];
    const from = need(areas, def.from, [...path, 'from'], 'area');
    const to = need(areas, def.to, [...path, 'to'], 'area');
    if (from === to) throw new PolicyError([...path, 'to'], 'a door joins two different areas');
    const diff = (a: CompiledArea, b: CompiledArea) =>
      a.selfAndAncestors
        .filter((x) => !b.selfAndAncestors.includes(x))
        .reverse()
        .map((x) => areas.get(x)!);
    const scheduledModes = (def.scheduledModes ?? []).map((sm, i) => ({
      schedule: need(schedules, sm.schedule, [...path, 'scheduledModes', i, 'schedule'], 'schedule'),
      mode: sm.mode,
    }));
    // An area within a fire zone's area is in that zone too: a door between two rooms of a burning
    // floor is an egress door of that floor (life safety first; fire fails open).
    const zonesOf = (area: CompiledArea) =>
      area.selfAndAncestors.map((a) => areas.get(a)!.fireZone).filter((z): z is string => z !== undefined);
    const fireZones = [...new Set([...zonesOf(from), ...zonesOf(to)])];
    const door: CompiledDoor = {
      id,
      index,
      from: from.id,
      to: to.id,
      mode: def.mode ?? 'card',
      scheduledModes,
      firstPersonIn: def.firstPersonIn ?? false,
      localAntipassback: def.antipassback === 'local',
      strikeMs: nonNegative(def.strikeSeconds, DEFAULT_STRIKE_SECONDS, [...path, 'strikeSeconds']) * 1000,
      heldOpenMs:
        nonNegative(def.heldOpenSeconds, DEFAULT_HELD_OPEN_SECONDS, [...path, 'heldOpenSeconds']) * 1000,
      entered: { in: diff(to, from), out: diff(from, to) },
      left: { in: diff(from, to), out: diff(to, from) },
      escorted: { in: diff(to, from).some((a) => a.escort), out: diff(from, to).some((a) => a.escort) },
      within: from.selfAndAncestors.filter((x) => to.selfAndAncestors.includes(x)).map((x) => areas.get(x)!),
      fireZones,
      interlock: def.interlock,
    };
    if (door.interlock !== undefined) {
      const group = interlockGroups.get(door.interlock) ?? [];
      group.push(door);
      interlockGroups.set(door.interlock, group);
    }
    doors.set(id, door);
    doorList.push(door);
  });

  // Levels: door bitsets.
  const words = Math.max(1, Math.ceil(doorList.length / 32));
  const levels = new Map<string, CompiledLevel>();
  const levelBits = new Uint32Array(words * site.levels.length);
  indexById(site.levels, 'levels').forEach(({ def, index }, id) => {
    const path = ['levels', index];
    const doorBits = levelBits.subarray(index * words, (index + 1) * words);
    def.doors.forEach((doorId, i) => {
      const door = need(doors, doorId, [...path, 'doors', i], 'door');
      doorBits[door.index >>> 5]! |= 1 << (door.index & 31);
    });
    const level: CompiledLevel = {
      id,
      index,
      doorBits,
      schedule:
        def.schedule === undefined
          ? undefined
          : need(schedules, def.schedule, [...path, 'schedule'], 'schedule'),
      maxThreatLevel: def.maxThreatLevel ?? Number.POSITIVE_INFINITY,
    };
    levels.set(id, level);
  });
  const groupLevels = new Map<string, CompiledLevel[]>();
  groupIndex.forEach(({ def, index }, id) => {
    groupLevels.set(
      id,
      (def.levels ?? []).map((levelId, i) => need(levels, levelId, ['groups', index, 'levels', i], 'level')),
    );
  });

  // People and credentials.
  const people = new Map<string, CompiledPerson>();
  const credentials = new Map<string, CompiledCredential>();
  const credentialsOf = new Map<string, CompiledCredential[]>();
  indexById(site.people, 'people').forEach(({ def, index }, id) => {
    const path = ['people', index];
    const personGroups = new Set<string>();
    const personLevels = new Set<CompiledLevel>();
    (def.groups ?? []).forEach((g, i) => {
      needGroup(g, [...path, 'groups', i]);
      personGroups.add(g);
      for (const level of groupLevels.get(g)!) personLevels.add(level);
    });
    (def.levels ?? []).forEach((l, i) => {
      personLevels.add(need(levels, l, [...path, 'levels', i], 'level'));
    });
    const person: CompiledPerson = {
      id,
      index,
      active: def.active ?? true,
      groups: personGroups,
      levels: [...personLevels],
      levelIndex: Int32Array.from([...personLevels].map((l) => l.index)),
    };
    people.set(id, person);
    const own: CompiledCredential[] = [];
    def.credentials.forEach((c, i) => {
      const cpath = [...path, 'credentials', i];
      const key = credentialKey(c.type, c);
      if (key === undefined) {
        throw new PolicyError(
          cpath,
          c.type === 'pin'
            ? 'a PIN credential needs its `pin` digits'
            : `a ${c.type} credential needs an \`id\``,
        );
      }
      if (credentials.has(key))
        throw new PolicyError(
          cpath,
          `credential ${c.type === 'pin' ? 'PIN' : key} is already held by someone`,
        );
      const maxUses =
        c.maxUses === undefined ? Number.POSITIVE_INFINITY : nonNegative(c.maxUses, 0, [...cpath, 'maxUses']);
      const credential: CompiledCredential = {
        key,
        ref: c.type === 'pin' && c.id === undefined ? `pin#${id}/${i}` : `${c.type}:${c.id ?? i}`,
        type: c.type,
        person,
        personId: person.id,
        personIndex: person.index,
        personActive: person.active,
        levelStart: 0, // set once every person's levels are laid out
        levelEnd: 0,
        validFrom: validityBound(c.validFrom, zone, Number.NEGATIVE_INFINITY, [...cpath, 'validFrom']),
        validUntil: validityBound(c.validUntil, zone, Number.POSITIVE_INFINITY, [...cpath, 'validUntil']),
        maxUses,
        state: c.state ?? 'active',
        pin: c.pin,
        duressPin: c.duressPin,
      };
      credentials.set(key, credential);
      own.push(credential);
    });
    credentialsOf.set(id, own);
  });

  // Lay every person's level indices out in one array: a decision reads one contiguous run.
  const personLevels = new Int32Array([...people.values()].reduce((n, p) => n + p.levelIndex.length, 0));
  const levelRange = new Map<string, [number, number]>();
  let offset = 0;
  for (const person of people.values()) {
    personLevels.set(person.levelIndex, offset);
    levelRange.set(person.id, [offset, offset + person.levelIndex.length]);
    offset += person.levelIndex.length;
  }
  for (const credential of credentials.values()) {
    const [start, end] = levelRange.get(credential.personId)!;
    credential.levelStart = start;
    credential.levelEnd = end;
  }

  return {
    zone,
    areas,
    doors,
    doorList,
    schedules,
    levels,
    groups,
    levelList: [...levels.values()],
    personLevels,
    levelBits,
    doorWords: words,
    people,
    peopleList: [...people.values()],
    areaList: [...areas.values()],
    credentials,
    credentialsOf,
    interlockGroups,
    fireZoneAreas,
  };
}

/**
 * An area with every field set up front (undefined when absent), so all areas share one object shape
 * and property access in the decision stays monomorphic.
 */
function newArea(id: string, index: number, parent: string, selfAndAncestors: string[]): CompiledArea {
  return {
    id,
    index,
    parent,
    selfAndAncestors,
    selfAndAncestorIndex: new Int32Array(0), // filled in once every area has its index
    hasPriorityAbove: false,
    antipassback: undefined,
    twoPerson: undefined,
    routeRequires: undefined,
    priorityGroup: undefined,
    escort: undefined,
    maxOccupancy: Number.POSITIVE_INFINITY,
    fireZone: undefined,
  };
}

export function levelHasDoor(level: CompiledLevel, door: CompiledDoor): boolean {
  return (level.doorBits[door.index >>> 5]! & (1 << (door.index & 31))) !== 0;
}
