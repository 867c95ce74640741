// Compiles a site definition into indexed structures built for fast decisions: the site's areas,
// doors, schedules and levels as objects (a few thousand of them), per-level door bitsets in one
// array, precomputed entered/left areas per door side; and its people and credentials in the compact
// store of people.ts (millions of them: typed arrays, a string pool, hash tables, no object per
// person). People can be added one at a time (`PolicyBuilder`, for a snapshot that arrives in
// chunks) and changed by a delta without recompiling (`withPeopleDelta`).

import type { DoorMode, PersonDef, SiteDef } from './model.ts';
import { DEFAULT_HELD_OPEN_SECONDS, DEFAULT_STRIKE_SECONDS, OUTSIDE } from './model.ts';
import {
  applyPeopleDelta,
  type CredentialView,
  onlyActive,
  type People,
  PeopleBuilder,
  type PeopleContext,
  type PeopleDelta,
  type PeopleNames,
} from './people.ts';
import { PolicyError, type PolicyPath } from './policy-error.ts';
import { type CompiledSchedule, compileSchedule } from './schedule.ts';
import { parseTimeOfDay } from './time/civil.ts';
import { TimeZone } from './time/zone.ts';

export { credentialKey } from './people.ts';

export type Side = 'in' | 'out';
export const SIDES: readonly Side[] = ['in', 'out'];

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
  twoPerson:
    | { withinMs: number; enoughWhenInside: number; requireGroup?: string; requireGroupIndex: number }
    | undefined;
  routeRequires: string | undefined;
  priorityGroup: string | undefined;
  /** group index of priorityGroup, -1 when none */
  priorityGroupIndex: number;
  escort:
    | {
        visitorGroup: string;
        escortGroup: string;
        visitorIndex: number;
        escortIndex: number;
        withinMs: number;
      }
    | undefined;
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

/** The credentials of a policy by key, read back from the people store (off the decision path). */
export class PolicyCredentials {
  constructor(private readonly people: People) {}

  get(key: string): CredentialView | undefined {
    const c = this.people.findCredential(key);
    return c < 0 ? undefined : this.people.credential(c);
  }

  has(key: string): boolean {
    return this.people.findCredential(key) >= 0;
  }

  values(): IterableIterator<CredentialView> {
    return this.people.credentials();
  }
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
  /**
   * All levels' door bitsets in one array (level i's words start at i × doorWords): one compact block
   * that stays in cache, instead of a separate array per level.
   */
  levelBits: Uint32Array;
  doorWords: number;
  groups: ReadonlySet<string>;
  /** group id → index, and back */
  groupIndex: ReadonlyMap<string, number>;
  groupList: readonly string[];
  /** each group's level indices: groupLevels[groupLevelStart[g] … groupLevelStart[g + 1]] */
  groupLevelStart: Int32Array;
  groupLevels: Int32Array;
  /** people and credentials, compact (people.ts); person numbers index the state's arrays */
  people: People;
  credentials: PolicyCredentials;
  /** index → area (`outside` is 0) */
  areaList: readonly CompiledArea[];
  interlockGroups: ReadonlyMap<string, readonly CompiledDoor[]>;
  /** area ids per fire zone */
  fireZoneAreas: ReadonlyMap<string, readonly string[]>;
  /** what compiling a person needs (for deltas) */
  peopleContext: PeopleContext;
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

/** A site without its people: what `PolicyBuilder` compiles first. */
export type SiteStructure = Omit<SiteDef, 'people'>;

/** Everything of a policy except its people. */
type SitePart = Omit<Policy, 'people' | 'credentials'> & { names: PeopleNames };

function compileStructure(site: SiteStructure): SitePart {
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
  const needGroup = (id: string, path: PolicyPath) => need(groupIndex, id, path, 'group').index;

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
      const requireGroupIndex =
        tp.requireGroup === undefined
          ? -1
          : needGroup(tp.requireGroup, [...path, 'twoPerson', 'requireGroup']);
      area.twoPerson = {
        requireGroupIndex,
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
      area.priorityGroupIndex = needGroup(def.priority.group, [...path, 'priority', 'group']);
      area.priorityGroup = def.priority.group;
    }
    if (def.escort) {
      area.escort = {
        visitorGroup: def.escort.visitorGroup,
        escortGroup: def.escort.escortGroup,
        visitorIndex: needGroup(def.escort.visitorGroup, [...path, 'escort', 'visitorGroup']),
        escortIndex: needGroup(def.escort.escortGroup, [...path, 'escort', 'escortGroup']),
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
  // Each group's levels, as one CSR array: a decision walks a person's groups and their levels.
  const groupList = [...groupIndex.keys()];
  const groupLevelStart = new Int32Array(groupList.length + 1);
  const groupLevelList: number[] = [];
  groupIndex.forEach(({ def, index }) => {
    groupLevelStart[index] = groupLevelList.length;
    (def.levels ?? []).forEach((levelId, i) => {
      groupLevelList.push(need(levels, levelId, ['groups', index, 'levels', i], 'level').index);
    });
  });
  groupLevelStart[groupList.length] = groupLevelList.length;
  const groupLevels = Int32Array.from(groupLevelList);
  const levelList = [...levels.values()];

  return {
    zone,
    areas,
    doors,
    doorList,
    schedules,
    levels,
    groups,
    groupIndex: new Map([...groupIndex].map(([id, { index }]) => [id, index])),
    groupList,
    groupLevelStart,
    groupLevels,
    levelList,
    levelBits,
    doorWords: words,
    areaList: [...areas.values()],
    interlockGroups,
    fireZoneAreas,
    peopleContext: {
      zone,
      groupIndex: new Map([...groupIndex].map(([id, { index }]) => [id, index])),
      levelIndex: new Map(levelList.map((l) => [l.id, l.index])),
    },
    names: { groupIds: groupList, levelIds: levelList.map((l) => l.id), groupLevelStart, groupLevels },
  };
}

function withPeople(part: SitePart, people: People): Policy {
  const { names: _names, ...rest } = part;
  return { ...rest, people, credentials: new PolicyCredentials(people) };
}

/**
 * Compiles a policy with its people added one at a time, so that a controller never needs the whole
 * people list of a snapshot in memory at once:
 *
 *     const builder = new PolicyBuilder(siteWithoutPeople, { expectedPeople: 2_000_000 });
 *     for (const person of chunk) builder.addPerson(person);
 *     const policy = builder.build();
 *
 * Errors are PolicyErrors naming the field (`people[17].credentials[0]`, numbered in adding order).
 */
export class PolicyBuilder {
  private readonly part: SitePart;
  private readonly people: PeopleBuilder;

  constructor(
    site: SiteStructure,
    options: {
      expectedPeople?: number;
      expectedCredentials?: number;
      expectedEntries?: number;
      /** credentials with a rare field (people.ts: `hasRareFields`) */
      expectedExtras?: number;
    } = {},
  ) {
    this.part = compileStructure(site);
    this.people = new PeopleBuilder(this.part.peopleContext, this.part.names, options.expectedPeople ?? 0, {
      ...(options.expectedCredentials !== undefined && { credentials: options.expectedCredentials }),
      ...(options.expectedEntries !== undefined && { entries: options.expectedEntries }),
      ...(options.expectedExtras !== undefined && { extras: options.expectedExtras }),
    });
  }

  /** How many people have been added. */
  get count(): number {
    return this.people.count;
  }

  addPerson(person: PersonDef): void {
    this.people.add(person, ['people', this.people.count]);
  }

  build(): Policy {
    return withPeople(this.part, this.people.build());
  }
}

export function compilePolicy(site: SiteDef): Policy {
  const builder = new PolicyBuilder(site, { expectedPeople: site.people.length });
  for (const person of site.people) builder.addPerson(person);
  return builder.build();
}

/**
 * The policy with people replaced, added or removed (a controller's snapshot delta), without
 * recompiling the rest: the new policy shares the old one's areas, doors, levels and schedules, and
 * usually its people store too (people.ts). Everything is checked first; a PolicyError (naming
 * `upsert[i]…`) leaves both policies as they were.
 */
export function withPeopleDelta(policy: Policy, delta: PeopleDelta): Policy {
  const people = applyPeopleDelta(policy.people, delta, policy.peopleContext);
  return { ...policy, people, credentials: new PolicyCredentials(people) };
}

/**
 * The policy of another site structure with the same people, without compiling them again: when the
 * new structure has the same time zone and the same groups and levels in the same order (a door's
 * mode changed, a schedule, an area rule), the people store is shared. Undefined when it has not:
 * people then name other indices, and must be compiled again against it.
 */
export function withStructure(policy: Policy, site: SiteStructure): Policy | undefined {
  const part = compileStructure(site);
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  if (
    part.zone.name !== policy.zone.name ||
    !same(part.names.groupIds, policy.people.names.groupIds) ||
    !same(part.names.levelIds, policy.people.names.levelIds)
  )
    return undefined;
  return withPeople(part, policy.people.renamed(part.names));
}

/**
 * The policy with everyone but `keep` (person ids) inactive: a controller's offline fallback. The
 * people's rows are copied (person numbers stay), the rest is shared.
 */
export function withOnlyActive(policy: Policy, keep: ReadonlySet<string>): Policy {
  const people = onlyActive(policy.people, keep);
  return { ...policy, people, credentials: new PolicyCredentials(people) };
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
    priorityGroupIndex: -1,
    escort: undefined,
    maxOccupancy: Number.POSITIVE_INFINITY,
    fireZone: undefined,
  };
}

export function levelHasDoor(level: CompiledLevel, door: CompiledDoor): boolean {
  return (level.doorBits[door.index >>> 5]! & (1 << (door.index & 31))) !== 0;
}
