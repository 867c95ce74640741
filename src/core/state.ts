// The runtime state of a site: presence, counters, door phases, pending pairs, operator modes.
// Decisions never mutate it: they return a list of changes, applied apart by `applyChanges`, so that a
// decision is a pure function of (request, state, policy, now) and storage can persist the same changes.

import type { DoorPhase } from './door-machine.ts';
import { OUTSIDE } from './model.ts';
import type { CompiledArea, Policy, Side } from './policy.ts';
import type { LocalSide } from './presence-machine.ts';

export interface DoorRuntime {
  phase: DoorPhase;
  /** instant the strike of the last grant runs out */
  releasedUntil: number;
  openedAt: number;
  heldAlarmRaised: boolean;
  /** grants (and REX) since the last counted passage, for tailgating detection */
  grantsSincePassage: number;
  override: { mode: 'unlocked' | 'locked'; until: number } | undefined;
  /** first-person-in: the scheduled interval (local day × seconds) in which someone was granted */
  firstInInterval: number;
}

/** A presentation waiting for its partner (two-person), its escort, or an escort's last grant. */
export interface Pending {
  person: string;
  /** credential key */
  credential: string;
  door: string;
  side: Side;
  at: number;
}

export interface SiteState {
  /**
   * person index → index of the person's current area (0 is `outside`); UNKNOWN_AREA after a forgive
   * or reset. Kept in an array: it is read on every decision for 100,000s of people.
   */
  presence: Int32Array;
  /** area index → how many people are inside it or any area within it (`outside` is not counted) */
  occupancy: Int32Array;
  /** area with a priority rule → how many members of its priority group are inside */
  priorityInside: Map<string, number>;
  /** `person area` → instant of the last entry, for timed anti-passback */
  lastEntry: Map<string, number>;
  /** person → door → last side used, for door-local anti-passback */
  localSides: Map<string, Map<string, LocalSide>>;
  /** credential key → grants so far */
  uses: Map<string, number>;
  /** credential key → instant of its first grant, for credentials valid for a time from first use */
  firstUse: Map<string, number>;
  /** credentials revoked by an operator since the policy was compiled */
  revoked: Set<string>;
  doors: Map<string, DoorRuntime>;
  /** the same runtimes by door index, for the decision path */
  doorsByIndex: DoorRuntime[];
  /** area with a two-person rule → the most recent presentation waiting for a partner there */
  pendingPairs: Map<string, Pending>;
  /** door → the visitor waiting for an escort there */
  pendingVisitors: Map<string, Pending>;
  /** door → the last escort granted there */
  lastEscort: Map<string, Pending>;
  lockdown: { exempt: ReadonlySet<string> } | null;
  threatLevel: number;
  activeFireZones: Set<string>;
  /** area → instant of the last scheduled reset that ran */
  lastReset: Map<string, number>;
  /** instant up to which timers have been processed */
  clock: number;
}

/** Fields of a door's runtime to set; `override: null` removes the override. */
export type DoorPatch = Partial<Omit<DoorRuntime, 'override'>> & {
  override?: DoorRuntime['override'] | null;
};

export type StateChange =
  | { op: 'move'; person: string; index: number; to: string | null }
  | { op: 'entered'; person: string; area: string; at: number }
  | { op: 'localSide'; person: string; door: string; side: LocalSide }
  | { op: 'forgetPerson'; person: string; index: number }
  | { op: 'resetArea'; area: string }
  | { op: 'use'; credential: string; count: number }
  | { op: 'firstUse'; credential: string; at: number }
  | { op: 'revoke'; credential: string }
  | { op: 'door'; door: string; patch: DoorPatch }
  | { op: 'pendingPair'; area: string; pending: Pending | null }
  | { op: 'pendingVisitor'; door: string; pending: Pending | null }
  | { op: 'lastEscort'; door: string; escort: Pending }
  | { op: 'lockdown'; exempt: readonly string[] | null }
  | { op: 'threatLevel'; level: number }
  | { op: 'fire'; zone: string; active: boolean }
  | { op: 'lastReset'; area: string; at: number }
  | { op: 'clock'; at: number };

export function newDoorRuntime(): DoorRuntime {
  return {
    phase: 'secured',
    releasedUntil: 0,
    openedAt: 0,
    heldAlarmRaised: false,
    grantsSincePassage: 0,
    override: undefined,
    firstInInterval: -1,
  };
}

export function createState(policy: Policy, now: number): SiteState {
  const doors = new Map<string, DoorRuntime>();
  for (const id of policy.doors.keys()) doors.set(id, newDoorRuntime());
  const lastReset = new Map<string, number>();
  for (const area of policy.areas.values())
    if (area.antipassback && area.antipassback.resetAtSecond >= 0) lastReset.set(area.id, now);
  return {
    presence: new Int32Array(policy.people.length),
    occupancy: new Int32Array(policy.areaList.length),
    priorityInside: new Map(),
    lastEntry: new Map(),
    localSides: new Map(),
    uses: new Map(),
    firstUse: new Map(),
    revoked: new Set(),
    doors,
    doorsByIndex: policy.doorList.map((d) => doors.get(d.id)!),
    pendingPairs: new Map(),
    pendingVisitors: new Map(),
    lastEscort: new Map(),
    lockdown: null,
    threatLevel: 0,
    activeFireZones: new Set(),
    lastReset,
    clock: now,
  };
}

export const UNKNOWN_AREA = -1;

/** Index of the area person number `person` is in (0 = outside), or UNKNOWN_AREA. */
export function presenceIndex(state: SiteState, person: number): number {
  return state.presence[person]!;
}

/** Id of the area a person is in, or null when unknown. */
export function presenceOf(state: SiteState, policy: Policy, personId: string): string | null {
  const person = policy.people.indexOf(personId);
  if (person < 0) return OUTSIDE;
  const index = presenceIndex(state, person);
  return index === UNKNOWN_AREA ? null : policy.areaList[index]!.id;
}

export function doorRuntime(state: SiteState, door: string): DoorRuntime {
  const runtime = state.doors.get(door);
  if (runtime === undefined) throw new Error(`no runtime state for door "${door}"`);
  return runtime;
}

/** How many people are inside an area (or an area within it). */
export function occupancyOf(state: SiteState, area: CompiledArea): number {
  return state.occupancy[area.index]!;
}

/**
 * Indices of the people inside an area (or an area within it). A scan of everyone: for queries and
 * operator actions, never for decisions, which use the counts.
 */
export function peopleInside(state: SiteState, policy: Policy, areaId: string): number[] {
  const area = policy.areas.get(areaId);
  if (area === undefined || area.index === 0) return [];
  const found: number[] = [];
  for (let person = 0; person < state.presence.length; person++) {
    const where = state.presence[person]!;
    if (where > 0 && policy.areaList[where]!.selfAndAncestorIndex.includes(area.index)) found.push(person);
  }
  return found;
}

export function entryKey(person: string, area: string): string {
  return `${person}\u0000${area}`;
}

function setPresence(state: SiteState, policy: Policy, person: number, to: number): void {
  const from = state.presence[person]!;
  if (from !== UNKNOWN_AREA) {
    const area = policy.areaList[from]!;
    for (const a of area.selfAndAncestorIndex) state.occupancy[a]!--;
    if (area.hasPriorityAbove) countPriority(state, policy, area, person, -1);
  }
  if (to !== UNKNOWN_AREA) {
    const area = policy.areaList[to]!;
    for (const a of area.selfAndAncestorIndex) state.occupancy[a]!++;
    if (area.hasPriorityAbove) countPriority(state, policy, area, person, +1);
  }
  state.presence[person] = to;
}

/** Keeps the count of priority-group members inside areas, so the priority rule is O(1). */
function countPriority(
  state: SiteState,
  policy: Policy,
  area: CompiledArea,
  person: number,
  delta: number,
): void {
  for (const a of area.selfAndAncestorIndex) {
    const above = policy.areaList[a]!;
    if (above.priorityGroupIndex >= 0 && policy.people.inGroup(person, above.priorityGroupIndex))
      state.priorityInside.set(above.id, (state.priorityInside.get(above.id) ?? 0) + delta);
  }
}

export function applyChanges(state: SiteState, policy: Policy, changes: readonly StateChange[]): void {
  for (const change of changes) {
    switch (change.op) {
      case 'move':
        setPresence(
          state,
          policy,
          change.index,
          change.to === null ? UNKNOWN_AREA : policy.areas.get(change.to)!.index,
        );
        break;
      case 'entered':
        state.lastEntry.set(entryKey(change.person, change.area), change.at);
        break;
      case 'localSide': {
        let sides = state.localSides.get(change.person);
        if (!sides) {
          sides = new Map();
          state.localSides.set(change.person, sides);
        }
        sides.set(change.door, change.side);
        break;
      }
      case 'forgetPerson': {
        setPresence(state, policy, change.index, UNKNOWN_AREA);
        state.localSides.delete(change.person);
        const prefix = `${change.person}\u0000`;
        for (const key of [...state.lastEntry.keys()])
          if (key.startsWith(prefix)) state.lastEntry.delete(key);
        break;
      }
      case 'resetArea': {
        for (const person of peopleInside(state, policy, change.area)) {
          setPresence(state, policy, person, UNKNOWN_AREA);
          state.localSides.delete(policy.people.id(person));
        }
        // Re-entry waits in the area and every area within it end too.
        for (const key of [...state.lastEntry.keys()]) {
          const area = policy.areas.get(key.slice(key.indexOf('\u0000') + 1));
          if (area === undefined || area.selfAndAncestors.includes(change.area)) state.lastEntry.delete(key);
        }
        break;
      }
      case 'use':
        state.uses.set(change.credential, change.count);
        break;
      case 'firstUse':
        if (!state.firstUse.has(change.credential)) state.firstUse.set(change.credential, change.at);
        break;
      case 'revoke':
        state.revoked.add(change.credential);
        break;
      case 'door': {
        // Field by field rather than a spread: this runs on every grant.
        const runtime = doorRuntime(state, change.door);
        const patch = change.patch;
        if (patch.phase !== undefined) runtime.phase = patch.phase;
        if (patch.releasedUntil !== undefined) runtime.releasedUntil = patch.releasedUntil;
        if (patch.openedAt !== undefined) runtime.openedAt = patch.openedAt;
        if (patch.heldAlarmRaised !== undefined) runtime.heldAlarmRaised = patch.heldAlarmRaised;
        if (patch.grantsSincePassage !== undefined) runtime.grantsSincePassage = patch.grantsSincePassage;
        if (patch.firstInInterval !== undefined) runtime.firstInInterval = patch.firstInInterval;
        if (patch.override === null) runtime.override = undefined;
        else if (patch.override !== undefined) runtime.override = patch.override;
        break;
      }
      case 'pendingPair':
        if (change.pending) state.pendingPairs.set(change.area, change.pending);
        else state.pendingPairs.delete(change.area);
        break;
      case 'pendingVisitor':
        if (change.pending) state.pendingVisitors.set(change.door, change.pending);
        else state.pendingVisitors.delete(change.door);
        break;
      case 'lastEscort':
        state.lastEscort.set(change.door, change.escort);
        break;
      case 'lockdown':
        state.lockdown = change.exempt === null ? null : { exempt: new Set(change.exempt) };
        break;
      case 'threatLevel':
        state.threatLevel = change.level;
        break;
      case 'fire':
        if (change.active) state.activeFireZones.add(change.zone);
        else state.activeFireZones.delete(change.zone);
        break;
      case 'lastReset':
        state.lastReset.set(change.area, change.at);
        break;
      case 'clock':
        state.clock = change.at;
        break;
      default: {
        const never: never = change;
        throw new Error(`unhandled state change ${JSON.stringify(never)}`);
      }
    }
  }
}

/** Exactly who is inside an area (or an area within it), sorted. */
export function whoIsInside(state: SiteState, policy: Policy, area: string): string[] {
  return peopleInside(state, policy, area)
    .map((i) => policy.people.id(i))
    .sort();
}
