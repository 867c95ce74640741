// The access decision (R-ACC-1 … R-ACC-16): a pure function of (policy, state, request, now).
// Rules are checked in the precedence order of the deny reasons (DESIGN.md §6.2), so the first rule
// that fails names the reason. The result carries a trace of the rules checked, the events to record
// and the state changes to apply; nothing is mutated here.

import { doorTransition } from './door-machine.ts';
import { type EffectiveMode, effectiveMode, localMoment } from './door-mode.ts';
import type { CoreEvent, TraceEntry } from './events.ts';
import { interlockAllows, interlockState } from './interlock.ts';
import { OUTSIDE } from './model.ts';
import type {
  CompiledArea,
  CompiledCredential,
  CompiledDoor,
  CompiledPerson,
  Policy,
  Side,
} from './policy.ts';
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
  doorRuntime,
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

const CARD_LIKE = new Set(['card', 'mobile', 'key', 'biometric']);

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

function inGroup(person: CompiledPerson, group: string | undefined): boolean {
  return group !== undefined && person.groups.has(group);
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

function fresh(pending: Pending | undefined, now: number, withinMs: number): pending is Pending {
  return pending !== undefined && now - pending.at <= withinMs;
}

/** Shared by every decision without warnings (most of them). */
const NO_WARNINGS: GrantWarning[] = Object.freeze([]) as unknown as GrantWarning[];

class DecisionBuilder {
  readonly trace: TraceEntry[] = [];
  // Created on first use: most decisions have no warnings, and denials usually change nothing.
  warnings: GrantWarning[] | undefined;
  changes: StateChange[] | undefined;
  readonly events: CoreEvent[] = [];
  credential?: CompiledCredential;

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
    const person = this.credential?.personId;
    const credential = this.credential?.ref;
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
  const credential = policy.credentials.get(request.credential);
  if (credential === undefined) return b.deny('unknown_credential', 'credential');
  b.credential = credential;
  const person = credential.person;
  if (credential.state !== 'active' || (state.revoked.size > 0 && state.revoked.has(credential.key))) {
    return b.deny(
      'credential_inactive',
      'credential_state',
      state.revoked.has(credential.key) ? 'revoked' : credential.state,
    );
  }
  b.pass('credential_state');
  if (!credential.personActive) return b.deny('person_inactive', 'person');
  b.pass('person');
  if (now < credential.validFrom || now >= credential.validUntil)
    return b.deny('outside_validity', 'validity');
  b.pass('validity');
  const used = credential.maxUses === Number.POSITIVE_INFINITY ? 0 : (state.uses.get(credential.key) ?? 0);
  if (used >= credential.maxUses) return b.deny('uses_exhausted', 'uses', `${used}/${credential.maxUses}`);
  if (credential.maxUses !== Number.POSITIVE_INFINITY) b.pass('uses', `${used}/${credential.maxUses}`);

  // R-ACC-3/10/11/15: the door's mode now.
  const at = localMoment(policy, now);
  const runtime = state.doorsByIndex[door.index]!;
  const exempt = state.lockdown !== null && [...state.lockdown.exempt].some((g) => person.groups.has(g));
  const mode = effectiveMode(state, door, runtime, at, now, exempt);
  if (mode.mode === 'locked') return b.deny('door_locked', 'door_mode', mode.source);
  if (mode.mode === 'unlocked') {
    // A free door needs no presentation; a valid credential presented there simply passes.
    b.pass('door_mode', mode.label);
    return grant(b, policy, state, door, runtime, mode, now, []);
  }
  b.pass('door_mode', mode.label);

  // R-ACC-2/3: levels and schedules.
  const denial = checkLevels(b, policy, state, credential, door, at);
  if (denial) return denial;

  // R-ACC-4: factors required by the door mode.
  const factorDenial = checkFactors(b, credential, mode, request);
  if (factorDenial) return factorDenial;

  // R-ACC-5 … R-ACC-9, R-ACC-12, R-ACC-7, R-ACC-6 in reason precedence order.
  const presence = state.presence[credential.personIndex]!;
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
    if (area.priorityGroup === undefined || inGroup(person, area.priorityGroup)) continue;
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
    if (inGroup(person, escort.escortGroup)) {
      const waiting = state.pendingVisitors.get(door.id);
      if (fresh(waiting, now, escort.withinMs) && waiting.side === side && waiting.person !== person.id)
        visitorsToAdmit = [waiting];
      b.pass('escort', `${area.id}: escort`);
    } else if (inGroup(person, escort.visitorGroup)) {
      const last = state.lastEscort.get(door.id);
      if (!(fresh(last, now, escort.withinMs) && last.side === side)) {
        b.change({
          op: 'pendingVisitor',
          door: door.id,
          pending: { person: person.id, credential: credential.key, side, at: now },
        });
        return b.deny('escort_required', 'escort', `${area.id}: waiting for an escort`);
      }
      b.pass('escort', `${area.id}: escorted by ${last.person}`);
    }
  }

  for (const area of entered) {
    if (area.maxOccupancy === Number.POSITIVE_INFINITY) continue;
    const count = occupancyOf(state, area);
    if (count >= area.maxOccupancy)
      return b.deny('occupancy_full', 'occupancy', `${area.id} ${count}/${area.maxOccupancy}`);
    b.pass('occupancy', `${area.id} ${count}/${area.maxOccupancy}`);
  }

  if (door.interlock !== undefined) {
    const group = policy.interlockGroups.get(door.interlock) ?? [];
    const groupState = interlockState(
      group.filter((d) => d !== door).map((d) => ({ id: d.id, phase: doorRuntime(state, d.id).phase })),
    );
    if (!interlockAllows(groupState, door.id)) {
      return b.deny(
        'interlock',
        'interlock',
        groupState.kind === 'held' ? `held by ${groupState.by.join(', ')}` : undefined,
      );
    }
    b.pass('interlock', door.interlock);
  }

  let partners: Pending[] = [];
  for (const area of entered) {
    const rule = area.twoPerson;
    if (rule === undefined) continue;
    if (occupancyOf(state, area) >= rule.enoughWhenInside) {
      b.pass('two_person', `${area.id}: enough people inside`);
      continue;
    }
    const pending = state.pendingPairs.get(door.id);
    const pairs =
      fresh(pending, now, rule.withinMs) &&
      pending.person !== person.id &&
      pending.side === side &&
      (rule.requireGroup === undefined ||
        inGroup(person, rule.requireGroup) ||
        inGroup(policy.people.get(pending.person)!, rule.requireGroup));
    if (!pairs) {
      b.change({
        op: 'pendingPair',
        door: door.id,
        pending: { person: person.id, credential: credential.key, side, at: now },
      });
      return b.deny('two_person_pending', 'two_person', `${area.id}: waiting for a second person`);
    }
    partners = [pending];
    b.pass('two_person', `${area.id}: paired with ${pending.person}`);
  }

  return grant(b, policy, state, door, runtime, mode, now, [...partners, ...visitorsToAdmit]);
}

function checkLevels(
  b: DecisionBuilder,
  policy: Policy,
  state: SiteState,
  credential: CompiledCredential,
  door: CompiledDoor,
  at: LocalMoment,
): Decision | undefined {
  let covering = 0;
  const { levelBits, doorWords, levelList } = policy;
  const word = door.index >>> 5;
  const mask = 1 << (door.index & 31);
  const indices = policy.personLevels;
  for (let i = credential.levelStart; i < credential.levelEnd; i++) {
    const index = indices[i]!;
    if ((levelBits[index * doorWords + word]! & mask) === 0) continue;
    const level = levelList[index]!;
    if (state.threatLevel > level.maxThreatLevel) continue;
    covering++;
    if (level.schedule === undefined || isScheduleActive(level.schedule, at)) {
      b.pass('access_level', level.id);
      b.pass('schedule', level.schedule?.id ?? 'always');
      return undefined;
    }
  }
  if (covering === 0)
    return b.deny(
      'no_access',
      'access_level',
      state.threatLevel > 0 ? `threat level ${state.threatLevel}` : undefined,
    );
  b.pass('access_level');
  return b.deny('outside_schedule', 'schedule');
}

function checkFactors(
  b: DecisionBuilder,
  credential: CompiledCredential,
  mode: EffectiveMode,
  request: AccessRequest,
): Decision | undefined {
  switch (mode.mode) {
    case 'card':
      if (!CARD_LIKE.has(credential.type))
        return b.deny('factor_required', 'factors', 'a card, mobile or key credential is needed');
      break;
    case 'pin':
      if (credential.type !== 'pin') return b.deny('pin_required', 'factors', 'a PIN credential is needed');
      break;
    case 'card+pin': {
      if (!CARD_LIKE.has(credential.type))
        return b.deny('factor_required', 'factors', 'a card, mobile or key credential is needed');
      if (request.pin === undefined) return b.deny('pin_required', 'factors');
      if (credential.duressPin !== undefined && request.pin === credential.duressPin) {
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
      if (credential.pin === undefined || request.pin !== credential.pin)
        return b.deny('wrong_pin', 'factors');
      break;
    }
    case 'card+biometric':
      if (!CARD_LIKE.has(credential.type))
        return b.deny('factor_required', 'factors', 'a card, mobile or key credential is needed');
      if (request.biometric !== true)
        return b.deny('factor_required', 'factors', 'a biometric match is needed');
      break;
    case 'unlocked':
    case 'locked':
      return undefined;
    default: {
      const never: never = mode.mode;
      return never;
    }
  }
  b.pass('factors', mode.mode);
  return undefined;
}

function checkAntipassback(
  b: DecisionBuilder,
  policy: Policy,
  state: SiteState,
  person: CompiledPerson,
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
  person: CompiledPerson,
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
  who: CompiledPerson,
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
  now: number,
  companions: readonly Pending[],
): Decision {
  const credential = b.credential!;
  const side = b.request.side;
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
  for (const companion of companions) {
    const theirs = policy.credentials.get(companion.credential);
    const used = state.uses.get(companion.credential) ?? 0;
    crossing(
      b,
      door,
      side,
      policy.people.get(companion.person)!,
      companion.credential,
      used,
      theirs?.maxUses ?? Number.POSITIVE_INFINITY,
      now,
    );
    b.events.push({
      type: 'access',
      at: now,
      door: door.id,
      side,
      result: 'grant',
      reason: 'granted',
      warnings: [],
      person: companion.person,
      ...(theirs && { credential: theirs.ref }),
    });
  }
  if (state.pendingPairs.size > 0 && state.pendingPairs.has(door.id))
    b.change({ op: 'pendingPair', door: door.id, pending: null });
  if (companions.length > 0 && companions.some((c) => state.pendingVisitors.get(door.id) === c))
    b.change({ op: 'pendingVisitor', door: door.id, pending: null });
  if (
    door.escorted[side] &&
    door.entered[side].some((a) => a.escort && credential.person.groups.has(a.escort.escortGroup))
  ) {
    b.change({
      op: 'lastEscort',
      door: door.id,
      escort: { person: credential.person.id, credential: credential.key, side, at: now },
    });
  }

  const patch: Partial<DoorRuntime> = {
    grantsSincePassage: runtime.grantsSincePassage + 1 + companions.length,
  };
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
  b.pass('grant');
  return b.finish('grant', 'granted');
}
