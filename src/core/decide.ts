// The access decision (R-ACC-1 … R-ACC-16): a pure function of (policy, state, request, now).
// Rules are checked in the precedence order of the deny reasons (DESIGN.md §6.2), so the first rule
// that fails names the reason. The result carries a trace of the rules checked, the events to record
// and the state changes to apply; nothing is mutated here.

import { doorTransition } from './door-machine.ts';
import { type EffectiveMode, effectiveMode, localMoment } from './door-mode.ts';
import type { CoreEvent, TraceEntry } from './events.ts';
import { interlockAllows, interlockGroupState } from './interlock.ts';
import { type DoorMode, OUTSIDE } from './model.ts';
import {
  C_ACTIVE_BIT,
  C_BITS,
  C_EXTRA,
  C_PERSON,
  C_PERSON_ID,
  C_PIN,
  C_RUN,
  CRED_STRIDE,
  CREDENTIAL_STATE_CODE,
  TYPE_PIN,
} from './people.ts';
import type { CompiledArea, CompiledDoor, Policy, Side } from './policy.ts';
import {
  type AreaPresence,
  LOCAL_APB_ALLOWED,
  PRESENCE_TRANSITIONS,
  type PresenceInput,
} from './presence-machine.ts';
import type { DenyReason, GrantWarning, Reason } from './reasons.ts';
import { isScheduleActive, type LocalMoment } from './schedule.ts';
import {
  type DoorRuntime,
  entryKey,
  occupancyOf,
  type Pending,
  type SiteState,
  type StateChange,
  UNKNOWN_AREA,
} from './state.ts';

export interface AccessRequest {
  door: string;
  side: Side;
  /** `TYPE:ID`, or `pin:DIGITS` for a PIN-only credential */
  credential: string;
  /** digits typed on the keypad */
  pin?: string;
  /** the reader reported a biometric match for the credential's holder */
  biometric?: boolean;
}

export interface Decision {
  result: 'grant' | 'deny';
  reason: Reason;
  warnings: GrantWarning[];
  trace: TraceEntry[];
  person?: string;
  /** safe reference of the credential (never PIN digits) */
  credential?: string;
  events: CoreEvent[];
  changes: StateChange[];
}

/**
 * What a `card` door accepts (DESIGN.md §6.2), by credential type code (people.ts): card, mobile and
 * key. A biometric match is a second factor, not a card.
 */
const CARD_LIKE: readonly boolean[] = [true, false, true, true, false];

// Trace entries without details are shared, frozen objects: a decision on the common path allocates
// as little as possible, which keeps garbage collection out of the latency tail.
const PASS_ENTRIES = new Map<string, TraceEntry>();
function passEntry(rule: string): TraceEntry {
  let entry = PASS_ENTRIES.get(rule);
  if (entry === undefined) {
    entry = Object.freeze({ rule, result: 'pass' as const });
    PASS_ENTRIES.set(rule, entry);
  }
  return entry;
}

/** A person as a decision names them: their number (state arrays, group lists) and their id (events). */
export interface Who {
  index: number;
  id: string;
}

/** The credential presented, read from the people store once per decision. */
interface Presented {
  /** credential number in the people store */
  index: number;
  /** where its row starts in the store's credRows */
  row: number;
  /** the lookup key: the request's credential string (may hold PIN digits: never logged) */
  key: string;
  type: number;
  /** the store's extras row (validity, use count, duress PIN), -1 when none */
  extra: number;
  maxUses: number;
  person: Who;
}

function inGroup(policy: Policy, person: number, group: number): boolean {
  return group >= 0 && policy.people.inGroup(person, group);
}

/** `presence` is an area index (0 = outside) or UNKNOWN_AREA. */
function isInside(policy: Policy, presence: number, area: string): boolean {
  if (presence === UNKNOWN_AREA) return false;
  if (area === OUTSIDE) return true;
  return policy.areaList[presence]!.selfAndAncestors.includes(area);
}

function areaPresence(policy: Policy, presence: number, area: string): AreaPresence {
  if (presence === UNKNOWN_AREA) return 'unknown';
  return isInside(policy, presence, area) ? 'inside' : 'outside';
}

/** A pending presentation still within its window: durations are half-open (DESIGN.md §6.2). */
function fresh(pending: Pending | undefined, now: number, withinMs: number): pending is Pending {
  return pending !== undefined && now - pending.at < withinMs;
}

/** Shared by every decision without warnings (most of them). */
const NO_WARNINGS: GrantWarning[] = Object.freeze([]) as unknown as GrantWarning[];

class DecisionBuilder {
  readonly trace: TraceEntry[] = [];
  // Created on first use: most decisions have no warnings, and denials usually change nothing.
  warnings: GrantWarning[] | undefined;
  changes: StateChange[] | undefined;
  readonly events: CoreEvent[] = [];
  credential: Presented | undefined;
  /** safe reference of the credential, for the decision and its events */
  ref: string | undefined;

  constructor(
    readonly request: AccessRequest,
    readonly now: number,
  ) {}

  change(change: StateChange): void {
    if (this.changes === undefined) this.changes = [change];
    else this.changes.push(change);
  }

  warn(warning: GrantWarning): void {
    if (this.warnings === undefined) this.warnings = [warning];
    else if (!this.warnings.includes(warning)) this.warnings.push(warning);
  }

  pass(rule: string, detail?: string): void {
    this.trace.push(detail === undefined ? passEntry(rule) : { rule, result: 'pass', detail });
  }

  deny(reason: DenyReason, rule: string, detail?: string): Decision {
    this.trace.push(detail === undefined ? { rule, result: 'fail' } : { rule, result: 'fail', detail });
    return this.finish('deny', reason);
  }

  finish(result: 'grant' | 'deny', reason: Reason): Decision {
    const warnings = result === 'grant' && this.warnings !== undefined ? this.warnings : NO_WARNINGS;
    const person = this.credential?.person.id;
    const credential = this.ref;
    // Both objects are built whole, with every field, so they share one shape each.
    const decision: Decision = {
      result,
      reason,
      warnings,
      trace: this.trace,
      person,
      credential,
      events: this.events,
      changes: this.changes ?? [],
    };
    const access: CoreEvent = {
      type: 'access',
      at: this.now,
      door: this.request.door,
      side: this.request.side,
      result,
      reason,
      warnings,
      person,
      credential,
    };
    this.events.unshift(access);
    return decision;
  }
}

export function decide(policy: Policy, state: SiteState, request: AccessRequest, now: number): Decision {
  const b = new DecisionBuilder(request, now);
  const door = policy.doors.get(request.door);
  if (door === undefined) return b.deny('no_access', 'door', 'unknown door');

  // R-ACC-1: the credential itself.
  const people = policy.people;
  const store = people.store;
  const c = people.findCredential(request.credential);
  if (c < 0) return b.deny('unknown_credential', 'credential');
  // One row holds what the decision needs about the credential and its holder (people.ts).
  const rows = store.credRows;
  const row = c * CRED_STRIDE;
  const bits = rows[row + C_BITS]!;
  const p = rows[row + C_PERSON]!;
  const person: Who = { index: p, id: store.pool.read(rows[row + C_PERSON_ID]!) };
  const extra = rows[row + C_EXTRA]! - 1;
  const credential: Presented = {
    index: c,
    row,
    key: request.credential,
    type: bits & 7,
    extra,
    maxUses: extra < 0 ? Number.POSITIVE_INFINITY : store.extraMaxUses[extra]!,
    person,
  };
  b.credential = credential;
  b.ref = people.credentialRef(c, credential.key, person.id);
  const revoked = state.revoked.size > 0 && state.revoked.has(credential.key);
  const credentialState = (bits >>> 3) & 3;
  if (credentialState !== 0 || revoked) {
    return b.deny(
      'credential_inactive',
      'credential_state',
      revoked ? 'revoked' : CREDENTIAL_STATE_CODE[credentialState],
    );
  }
  b.pass('credential_state');
  if ((bits & C_ACTIVE_BIT) === 0) return b.deny('person_inactive', 'person');
  b.pass('person');
  if (extra >= 0 && (now < store.extraValidFrom[extra]! || now >= store.extraValidUntil[extra]!))
    return b.deny('outside_validity', 'validity');
  // A key valid for a time from its first grant: that time runs from the first grant on record.
  const validFor = extra < 0 ? Number.POSITIVE_INFINITY : store.extraValidFor[extra]!;
  if (validFor !== Number.POSITIVE_INFINITY) {
    const first = state.firstUse.get(credential.key);
    if (first !== undefined && now >= first + validFor)
      return b.deny('outside_validity', 'validity', 'time from first use is over');
  }
  b.pass('validity');
  const maxUses = credential.maxUses;
  const used = maxUses === Number.POSITIVE_INFINITY ? 0 : (state.uses.get(credential.key) ?? 0);
  if (used >= maxUses) return b.deny('uses_exhausted', 'uses', `${used}/${maxUses}`);
  if (maxUses !== Number.POSITIVE_INFINITY) b.pass('uses', `${used}/${maxUses}`);

  // R-ACC-3/10/11/15: the door's mode now. A door left unlocked (by mode, schedule, override or fire)
  // still decides and logs presentations, as a `card` door would (DESIGN.md §6.2, settled meanings).
  const at = localMoment(policy, now);
  const runtime = state.doorsByIndex[door.index]!;
  const exempt = exemptFromLockdown(policy, state, p);
  const mode = effectiveMode(state, door, runtime, at, now, exempt);
  if (mode.mode === 'locked') return b.deny('door_locked', 'door_mode', mode.source);
  b.pass('door_mode', mode.label);

  // R-ACC-2/3: levels and schedules.
  const denial = checkLevels(b, policy, state, credential.row, door, at);
  if (denial) return denial;

  // R-ACC-4: factors required by the door mode.
  const factorDenial = checkFactors(
    b,
    policy,
    credential,
    mode.mode === 'unlocked' ? 'card' : mode.mode,
    request,
  );
  if (factorDenial) return factorDenial;

  // R-ACC-5 … R-ACC-9, R-ACC-12, R-ACC-7, R-ACC-6 in reason precedence order.
  const presence = state.presence[p]!;
  const side = request.side;
  const entered = door.entered[side];
  const apbDenial = checkAntipassback(b, policy, state, person, door, entered, presence);
  if (apbDenial) return apbDenial;

  for (const area of entered) {
    if (area.routeRequires === undefined) continue;
    if (presence !== UNKNOWN_AREA && !isInside(policy, presence, area.routeRequires)) {
      return b.deny('route', 'route', `${area.id} requires ${area.routeRequires}`);
    }
    b.pass('route', area.id);
  }

  for (const area of entered) {
    if (area.priorityGroup === undefined || inGroup(policy, p, area.priorityGroupIndex)) continue;
    if ((state.priorityInside.get(area.id) ?? 0) === 0) {
      return b.deny(
        'priority_absent',
        'priority',
        `${area.id} needs a member of ${area.priorityGroup} inside`,
      );
    }
    b.pass('priority', area.id);
  }

  let visitorsToAdmit: Pending[] = [];
  for (const area of entered) {
    const escort = area.escort;
    if (escort === undefined) continue;
    if (inGroup(policy, p, escort.escortIndex)) {
      const waiting = state.pendingVisitors.get(door.id);
      if (fresh(waiting, now, escort.withinMs) && waiting.side === side && waiting.person !== person.id)
        visitorsToAdmit = [waiting];
      b.pass('escort', `${area.id}: escort`);
    } else if (inGroup(policy, p, escort.visitorIndex)) {
      const last = state.lastEscort.get(door.id);
      if (!(fresh(last, now, escort.withinMs) && last.side === side)) {
        b.change({
          op: 'pendingVisitor',
          door: door.id,
          pending: { person: person.id, credential: credential.key, door: door.id, side, at: now },
        });
        return b.deny('escort_required', 'escort', `${area.id}: waiting for an escort`);
      }
      b.pass('escort', `${area.id}: escorted by ${last.person}`);
    }
  }

  // R-ACC-6 is decided last, but whether a pair is needed (and with whom) is worked out first: the
  // occupancy check must count the partner a pair brings in.
  const pairing = findPairs(policy, state, person, entered, now);

  for (const area of entered) {
    if (area.maxOccupancy === Number.POSITIVE_INFINITY) continue;
    const count = occupancyOf(state, area);
    // A person already inside is not counted again; a pair needs two free places.
    let incoming = isInside(policy, presence, area.id) ? 0 : 1;
    for (const other of visitorsToAdmit) if (!insideArea(policy, state, other.person, area.id)) incoming++;
    if (pairing.waiting.length > 0) incoming++;
    for (const other of pairing.partners) if (!insideArea(policy, state, other.person, area.id)) incoming++;
    if (count + incoming > area.maxOccupancy)
      return b.deny('occupancy_full', 'occupancy', `${area.id} ${count}/${area.maxOccupancy}`);
    b.pass('occupancy', `${area.id} ${count}/${area.maxOccupancy}`);
  }

  if (door.interlock !== undefined) {
    if (mode.source === 'fire') {
      b.pass('interlock', `${door.interlock}: fire egress`);
    } else {
      const groupState = interlockGroupState(policy, state, door, now);
      if (!interlockAllows(groupState, door.id)) {
        return b.deny(
          'interlock',
          'interlock',
          groupState.kind === 'held' ? `held by ${groupState.by.join(', ')}` : undefined,
        );
      }
      b.pass('interlock', door.interlock);
    }
  }

  for (const line of pairing.trace) b.pass('two_person', line);
  if (pairing.waiting.length > 0) {
    // Only now, with every other rule passed, does the presentation become pending (per area).
    for (const area of pairing.waiting)
      b.change({
        op: 'pendingPair',
        area: area.id,
        pending: { person: person.id, credential: credential.key, door: door.id, side, at: now },
      });
    return b.deny(
      'two_person_pending',
      'two_person',
      `${pairing.waiting[0]!.id}: waiting for a second person`,
    );
  }

  return grant(b, policy, state, door, runtime, mode, at, now, [...pairing.partners, ...visitorsToAdmit]);
}

export function exemptFromLockdown(policy: Policy, state: SiteState, person: number): boolean {
  if (state.lockdown === null) return false;
  for (const group of state.lockdown.exempt)
    if (inGroup(policy, person, policy.groupIndex.get(group) ?? -1)) return true;
  return false;
}

/** Whether a person (by id) is inside an area now. */
function insideArea(policy: Policy, state: SiteState, personId: string, area: string): boolean {
  const person = policy.people.indexOf(personId);
  return person >= 0 && isInside(policy, state.presence[person]!, area);
}

interface Pairing {
  /** what the trace shows for the areas whose rule is met, in order */
  trace: string[];
  /** the pending presentations this one pairs with, one per person */
  partners: Pending[];
  /** areas where no valid partner is pending: the presentation waits there */
  waiting: CompiledArea[];
}

const NO_PAIRING: Pairing = Object.freeze({ trace: [], partners: [], waiting: [] }) as unknown as Pairing;

/**
 * The two-person rule for the areas a presentation enters (DESIGN.md §6.2): only entering needs a
 * pair; pending is per area, across all its doors; the most recent pending presentation of another
 * person pairs, if one of the two is in `requireGroup` (when set); while `enoughWhenInside` people
 * are inside, one person is enough. Pure: nothing is recorded here.
 */
function findPairs(
  policy: Policy,
  state: SiteState,
  person: Who,
  entered: readonly CompiledArea[],
  now: number,
): Pairing {
  let pairing: Pairing | undefined;
  for (const area of entered) {
    const rule = area.twoPerson;
    if (rule === undefined) continue;
    pairing ??= { trace: [], partners: [], waiting: [] };
    if (occupancyOf(state, area) >= rule.enoughWhenInside) {
      pairing.trace.push(`${area.id}: enough people inside`);
      continue;
    }
    const pending = state.pendingPairs.get(area.id);
    const partner = pending === undefined ? -1 : policy.people.indexOf(pending.person);
    const pairs =
      fresh(pending, now, rule.withinMs) &&
      partner >= 0 &&
      pending.person !== person.id &&
      !state.revoked.has(pending.credential) &&
      !isInside(policy, state.presence[partner]!, area.id) &&
      (rule.requireGroupIndex < 0 ||
        inGroup(policy, person.index, rule.requireGroupIndex) ||
        inGroup(policy, partner, rule.requireGroupIndex));
    if (!pairs) {
      pairing.waiting.push(area);
      continue;
    }
    if (!pairing.partners.some((p) => p.person === pending.person)) pairing.partners.push(pending);
    pairing.trace.push(`${area.id}: paired with ${pending.person}`);
  }
  return pairing ?? NO_PAIRING;
}

const NOT_COVERING = 0;
const COVERING = 1;
const GRANTING = 2;

/** Whether level `index` covers the door now, and whether its schedule lets the person through. */
function levelOutcome(
  policy: Policy,
  state: SiteState,
  index: number,
  word: number,
  mask: number,
  at: LocalMoment,
): number {
  if ((policy.levelBits[index * policy.doorWords + word]! & mask) === 0) return NOT_COVERING;
  const level = policy.levelList[index]!;
  if (state.threatLevel > level.maxThreatLevel) return NOT_COVERING;
  return level.schedule === undefined || isScheduleActive(level.schedule, at) ? GRANTING : COVERING;
}

function checkLevels(
  b: DecisionBuilder,
  policy: Policy,
  state: SiteState,
  credentialRow: number,
  door: CompiledDoor,
  at: LocalMoment,
): Decision | undefined {
  // The holder's levels: those of each of their groups, then their own, in that order (the first
  // level that covers the door with its schedule active names the grant in the trace).
  const { groupLevelStart, groupLevels } = policy;
  const store = policy.people.store;
  const entries = store.entries;
  const word = door.index >>> 5;
  const mask = 1 << (door.index & 31);
  let covering = false;
  let granting = -1;
  const bits = store.credRows[credentialRow + C_BITS]!;
  const start = store.credRows[credentialRow + C_RUN]!;
  const groupsEnd = start + ((bits >>> 8) & 0xfff);
  const end = groupsEnd + (bits >>> 20);
  groups: for (let i = start; i < groupsEnd; i++) {
    const g = entries[i]!;
    for (let j = groupLevelStart[g]!; j < groupLevelStart[g + 1]!; j++) {
      const outcome = levelOutcome(policy, state, groupLevels[j]!, word, mask, at);
      if (outcome === GRANTING) {
        granting = groupLevels[j]!;
        break groups;
      }
      if (outcome === COVERING) covering = true;
    }
  }
  for (let i = groupsEnd; granting < 0 && i < end; i++) {
    const outcome = levelOutcome(policy, state, entries[i]!, word, mask, at);
    if (outcome === GRANTING) granting = entries[i]!;
    else if (outcome === COVERING) covering = true;
  }
  if (granting >= 0) {
    const level = policy.levelList[granting]!;
    b.pass('access_level', level.id);
    b.pass('schedule', level.schedule?.id ?? 'always');
    return undefined;
  }
  if (!covering)
    return b.deny(
      'no_access',
      'access_level',
      state.threatLevel > 0 ? `threat level ${state.threatLevel}` : undefined,
    );
  b.pass('access_level');
  return b.deny('outside_schedule', 'schedule');
}

/**
 * The factors the door's mode asks for (DESIGN.md §6.2): `card` accepts card, mobile and key
 * credentials (a PIN-only credential there is `factor_required`; digits typed there are ignored);
 * `pin` accepts PIN-only credentials (anything else is `pin_required`); `card+pin` and
 * `card+biometric` need one of the card-like credentials plus the second factor.
 */
function checkFactors(
  b: DecisionBuilder,
  policy: Policy,
  credential: Presented,
  mode: Exclude<DoorMode, 'unlocked' | 'locked'>,
  request: AccessRequest,
): Decision | undefined {
  const store = policy.people.store;
  switch (mode) {
    case 'card':
      if (!CARD_LIKE[credential.type])
        return b.deny('factor_required', 'factors', 'a card, mobile or key credential is needed');
      break;
    case 'pin':
      if (credential.type !== TYPE_PIN)
        return b.deny('pin_required', 'factors', 'a PIN credential is needed');
      break;
    case 'card+pin': {
      if (!CARD_LIKE[credential.type])
        return b.deny('factor_required', 'factors', 'a card, mobile or key credential is needed');
      if (request.pin === undefined) return b.deny('pin_required', 'factors');
      const duress = credential.extra < 0 ? 0 : store.extraDuress[credential.extra]!;
      if (duress !== 0 && store.pool.equals(duress - 1, request.pin, 0)) {
        // Duress: the door opens and a silent alarm goes out, whatever else happens.
        b.warn('duress');
        b.events.push({
          type: 'alarm',
          at: b.now,
          alarm: 'duress',
          door: request.door,
          person: credential.person.id,
        });
        b.trace.push({ rule: 'factors', result: 'warn', detail: 'card+pin' });
        return undefined;
      }
      const pin = store.credRows[credential.row + C_PIN]!;
      if (pin === 0 || !store.pool.equals(pin - 1, request.pin, 0)) return b.deny('wrong_pin', 'factors');
      break;
    }
    case 'card+biometric':
      if (!CARD_LIKE[credential.type])
        return b.deny('factor_required', 'factors', 'a card, mobile or key credential is needed');
      if (request.biometric !== true)
        return b.deny('factor_required', 'factors', 'a biometric match is needed');
      break;
    default: {
      const never: never = mode;
      return never;
    }
  }
  b.pass('factors', mode);
  return undefined;
}

function checkAntipassback(
  b: DecisionBuilder,
  policy: Policy,
  state: SiteState,
  person: Who,
  door: CompiledDoor,
  entered: readonly CompiledArea[],
  presence: number,
): Decision | undefined {
  const side = b.request.side;
  if (door.localAntipassback) {
    const last =
      state.localSides.get(person.id)?.get(door.id) ?? (presence === UNKNOWN_AREA ? undefined : 'none');
    if (last !== undefined && !LOCAL_APB_ALLOWED[last][side])
      return b.deny('antipassback', 'antipassback_local', `last use ${last}`);
    b.pass('antipassback_local');
  }
  for (const area of door.left[side]) {
    if (
      area.antipassback !== undefined &&
      !areaPassback(b, policy, state, person, door, area, 'leave', presence)
    ) {
      return b.deny('antipassback', 'antipassback', `leave ${area.id}`);
    }
  }
  for (const area of door.within) {
    if (
      area.antipassback !== undefined &&
      !areaPassback(b, policy, state, person, door, area, 'pass', presence)
    ) {
      return b.deny('antipassback', 'antipassback', `not inside ${area.id}`);
    }
  }
  for (const area of entered) {
    if (
      area.antipassback !== undefined &&
      !areaPassback(b, policy, state, person, door, area, 'enter', presence)
    ) {
      return b.deny('antipassback', 'antipassback', `enter ${area.id}`);
    }
  }
  return undefined;
}

/** One area's anti-passback check; false when a hard rule denies. Soft violations warn and alarm. */
function areaPassback(
  b: DecisionBuilder,
  policy: Policy,
  state: SiteState,
  person: Who,
  door: CompiledDoor,
  area: CompiledArea,
  input: PresenceInput,
  presence: number,
): boolean {
  const rule = area.antipassback!;
  let violation = PRESENCE_TRANSITIONS[areaPresence(policy, presence, area.id)][input].violation;
  if (!violation && input === 'enter' && rule.reentryMs > 0) {
    const last = state.lastEntry.get(entryKey(person.id, area.id));
    violation = last !== undefined && b.now - last < rule.reentryMs;
  }
  if (!violation) {
    b.pass('antipassback', area.id);
    return true;
  }
  if (rule.hard) return false;
  if (!b.warnings?.includes('antipassback_soft')) {
    b.warn('antipassback_soft');
    b.events.push({
      type: 'alarm',
      at: b.now,
      alarm: 'antipassback_violation',
      door: door.id,
      area: area.id,
      person: person.id,
    });
  }
  b.trace.push({ rule: 'antipassback', result: 'warn', detail: `${input} ${area.id}` });
  return true;
}

/** Moves one person through the door: presence, timed anti-passback, door-local side, use count. */
function crossing(
  b: DecisionBuilder,
  door: CompiledDoor,
  side: Side,
  who: Who,
  credentialKey: string,
  used: number,
  maxUses: number,
  now: number,
): void {
  const person = who.id;
  b.change({ op: 'move', person, index: who.index, to: side === 'in' ? door.to : door.from });
  for (const area of door.entered[side]) {
    if (area.antipassback && area.antipassback.reentryMs > 0)
      b.change({ op: 'entered', person, area: area.id, at: now });
  }
  if (door.localAntipassback) b.change({ op: 'localSide', person, door: door.id, side });
  if (maxUses !== Number.POSITIVE_INFINITY)
    b.change({ op: 'use', credential: credentialKey, count: used + 1 });
}

function grant(
  b: DecisionBuilder,
  policy: Policy,
  state: SiteState,
  door: CompiledDoor,
  runtime: DoorRuntime,
  mode: EffectiveMode,
  at: LocalMoment,
  now: number,
  companions: readonly Pending[],
): Decision {
  const credential = b.credential!;
  const side = b.request.side;
  if (
    credential.extra >= 0 &&
    policy.people.store.extraValidFor[credential.extra]! !== Number.POSITIVE_INFINITY &&
    !state.firstUse.has(credential.key)
  )
    b.change({ op: 'firstUse', credential: credential.key, at: now });
  crossing(
    b,
    door,
    side,
    credential.person,
    credential.key,
    credential.maxUses === Number.POSITIVE_INFINITY ? 0 : (state.uses.get(credential.key) ?? 0),
    credential.maxUses,
    now,
  );
  // Companions (the partner of a pair, a visitor taken in by an escort) cross at the door where they
  // presented, which for a pair may be another door into the same area.
  let alsoHere = 0;
  const otherDoors = new Map<CompiledDoor, number>();
  for (const companion of companions) {
    const people = policy.people;
    const theirs = people.findCredential(companion.credential);
    const theirDoor = policy.doors.get(companion.door) ?? door;
    const used = state.uses.get(companion.credential) ?? 0;
    crossing(
      b,
      theirDoor,
      companion.side,
      { index: people.indexOf(companion.person), id: companion.person },
      companion.credential,
      used,
      theirs < 0 ? Number.POSITIVE_INFINITY : people.maxUses(theirs),
      now,
    );
    b.events.push({
      type: 'access',
      at: now,
      door: theirDoor.id,
      side: companion.side,
      result: 'grant',
      reason: 'granted',
      warnings: [],
      person: companion.person,
      ...(theirs >= 0 && {
        credential: people.credentialRef(theirs, companion.credential, companion.person),
      }),
    });
    if (theirDoor === door) alsoHere++;
    else otherDoors.set(theirDoor, (otherDoors.get(theirDoor) ?? 0) + 1);
  }
  clearPending(b, state, credential.person.id, companions);
  if (
    door.escorted[side] &&
    door.entered[side].some((a) => a.escort && inGroup(policy, credential.person.index, a.escort.escortIndex))
  ) {
    b.change({
      op: 'lastEscort',
      door: door.id,
      escort: { person: credential.person.id, credential: credential.key, door: door.id, side, at: now },
    });
  }

  release(b, door, runtime, mode, 1 + alsoHere, now);
  for (const [other, count] of otherDoors) {
    const theirRuntime = state.doorsByIndex[other.index]!;
    release(b, other, theirRuntime, effectiveMode(state, other, theirRuntime, at, now, true), count, now);
  }
  b.pass('grant');
  return b.finish('grant', 'granted');
}

/** A person who has been let in is no longer pending anywhere: pairs per area, visitors per door. */
function clearPending(
  b: DecisionBuilder,
  state: SiteState,
  person: string,
  companions: readonly Pending[],
): void {
  const moved = (p: Pending) => p.person === person || companions.some((c) => c.person === p.person);
  if (state.pendingPairs.size > 0)
    for (const [area, pending] of state.pendingPairs)
      if (moved(pending)) b.change({ op: 'pendingPair', area, pending: null });
  if (state.pendingVisitors.size > 0)
    for (const [door, pending] of state.pendingVisitors)
      if (moved(pending)) b.change({ op: 'pendingVisitor', door, pending: null });
}

/** Unlocks a door for its strike time after `count` grants there (a free door needs no unlocking). */
function release(
  b: DecisionBuilder,
  door: CompiledDoor,
  runtime: DoorRuntime,
  mode: EffectiveMode,
  count: number,
  now: number,
): void {
  const patch: Partial<DoorRuntime> = { grantsSincePassage: runtime.grantsSincePassage + count };
  if (mode.mode !== 'unlocked') {
    const next = doorTransition(runtime.phase, 'release', false).next;
    patch.releasedUntil = Math.max(runtime.releasedUntil, now + door.strikeMs);
    if (next !== runtime.phase) {
      patch.phase = next;
      b.events.push({ type: 'door', at: now, door: door.id, phase: next });
    }
  }
  if (mode.firstInInterval !== undefined) patch.firstInInterval = mode.firstInInterval;
  b.change({ op: 'door', door: door.id, patch });
}
