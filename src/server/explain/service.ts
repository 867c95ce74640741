// Explaining decisions: "who can pass this door now — and why not", and what a change to an access
// level or a schedule would do before it is saved ("these 12 people gain access, these 3 lose it").
//
// Both decide with the core over the policy of the door's controller (policy.ts, decisions.ts). The
// policies are kept until the site data changes (any domain event), so paging through a door's
// people or previewing twice costs one build. A preview applies the change in a transaction that is
// always rolled back — the same storage checks as saving it, so an invalid change is refused the
// same way — builds the policies inside it, and compares decisions at the instants where the
// controller's schedules begin or end over the next week.

import { type Decision, decide } from '../../core/decide.ts';
import type { Policy, Side } from '../../core/policy.ts';
import { doorRuntime } from '../../core/state.ts';
import type { DomainBus } from '../domain/bus.ts';
import { ApiError } from '../http/errors.ts';
import type { AccessLevelInput } from '../storage/access-levels.ts';
import { type Executor, inTransaction, type Store } from '../storage/db.ts';
import { repositories } from '../storage/index.ts';
import type { ScheduleInput } from '../storage/schedules.ts';
import { type ScopeFilter, scopeAllows } from '../storage/scope.ts';
import { decideFor, explainState, type PersonDecision } from './decisions.ts';
import { buildExplainPolicy, type ExplainPolicy } from './policy.ts';
import { type Profiles, profilesOf } from './profiles.ts';

export interface ExplainDeps {
  store: Store;
  installationKey: Uint8Array;
  bus: DomainBus;
  clock: { now(): number };
}

export interface AccessAnswer {
  personId: string;
  name: string;
  decision: PersonDecision;
  /** safe reference of the credential decided by */
  credential: string | null;
}

export interface DoorAccess {
  door: string;
  controllerId: string | null;
  at: number;
  side: Side;
  counts: { grant: number; deny: number; needsOthers: number };
  items: AccessAnswer[];
  next: string | null;
}

export type ProposedChange =
  | { resource: 'access_level'; id: string; patch: Partial<Omit<AccessLevelInput, 'id'>> }
  | { resource: 'schedule'; id: string; patch: Partial<Omit<ScheduleInput, 'id'>> };

export interface PreviewPerson {
  personId: string;
  name: string;
  doors: string[];
  /** the first instant checked at which the decision differs */
  at: number;
}

export interface Preview {
  doors: string[];
  instants: number[];
  gain: PreviewPerson[];
  lose: PreviewPerson[];
  counts: { gain: number; lose: number; checked: number };
}

/** Longest lists a preview answers with (the counts are always whole). */
const PREVIEW_LIST_MAX = 1000;
const WEEK_DAYS = 7;
const MAX_INSTANTS = 400;

class Rollback extends Error {}

/** What a controller last reported of its site modes (live/hub.ts), as the explain state takes it. */
export interface LiveModes {
  lockdown: readonly string[] | null;
  threatLevel: number;
  fireZones: readonly string[];
  doors: readonly { door: string; mode: string; source: string; overrideUntil: number | null }[];
}

interface Cached extends ExplainPolicy {
  profiles: Profiles;
}

export class ExplainService {
  private readonly policies = new Map<string, Promise<Cached>>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: ExplainDeps) {}

  /** Drops every kept policy: the site data changed. */
  invalidate(): void {
    this.policies.clear();
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.policies.clear();
  }

  private async prepared(db: Executor, controllerId: string | null): Promise<Cached> {
    const built = await buildExplainPolicy(db, controllerId, this.deps.installationKey, {
      now: this.deps.clock.now(),
    });
    return { ...built, profiles: profilesOf(built.policy) };
  }

  private policyOf(controllerId: string | null): Promise<Cached> {
    // Subscribed on first use, so a service nobody asks costs nothing.
    this.unsubscribe ??= this.deps.bus.subscribe('explain', () => this.invalidate());
    const key = controllerId ?? '';
    let found = this.policies.get(key);
    if (!found) {
      found = this.prepared(this.deps.store.db, controllerId);
      found.catch(() => this.policies.delete(key));
      this.policies.set(key, found);
    }
    return found;
  }

  private async controllerOf(db: Executor, door: string): Promise<string | null> {
    const row = await db
      .selectFrom('doors')
      .select('controller_id')
      .where('id', '=', door)
      .executeTakeFirst();
    if (!row) throw new ApiError('DOOR_NOT_FOUND', `no door '${door}'`);
    return row.controller_id ?? null;
  }

  /** Everyone in scope at a door at an instant, in id order, paged; the counts cover them all. */
  async doorAccess(options: {
    door: string;
    at: number;
    side: Side;
    scope: ScopeFilter;
    person?: string | undefined;
    result?: 'grant' | 'deny' | undefined;
    cursor?: string | undefined;
    limit: number;
  }): Promise<DoorAccess> {
    const controllerId = await this.controllerOf(this.deps.store.db, options.door);
    const cached = await this.policyOf(controllerId);
    const decider = new Decider(cached, options.door, options.side, options.at);
    const counts = { grant: 0, deny: 0, needsOthers: 0 };
    const items: AccessAnswer[] = [];
    let next: string | null = null;
    for (const [personId, info] of cached.people) {
      if (options.person !== undefined && personId !== options.person) continue;
      if (!scopeAllows(options.scope, info)) continue;
      const p = cached.policy.people.indexOf(personId);
      const decision = decider.decide(p);
      counts[decision.result]++;
      if (decision.needsOthers) counts.needsOthers++;
      if (options.result !== undefined && decision.result !== options.result) continue;
      if (options.cursor !== undefined && personId <= options.cursor) continue;
      if (items.length === options.limit) {
        next ??= items[items.length - 1]!.personId;
        continue;
      }
      items.push({ personId, name: info.name, decision, credential: credentialRef(cached, p, decision) });
    }
    if (options.person !== undefined && items.length === 0 && counts.grant + counts.deny === 0)
      throw new ApiError('PERSON_NOT_FOUND', `no person '${options.person}'`);
    return { door: options.door, controllerId, at: options.at, side: options.side, counts, items, next };
  }

  /**
   * The core's decision for one credential (its policy key, `mobile:<keyed hash>`) at a door, over
   * the policy of the door's controller, in the explain state (nobody known to be anywhere) with the
   * site modes the controller last reported — lockdown, threat level, fire zones, door overrides —
   * so an open through the server (server/mobile) is refused where the door itself would refuse it.
   */
  async decideCredential(options: {
    door: string;
    side: Side;
    credential: string;
    at: number;
    live?: LiveModes;
  }): Promise<{ controllerId: string | null; decision: Decision }> {
    const controllerId = await this.controllerOf(this.deps.store.db, options.door);
    const decisions = await this.decideCredentialAt({ ...options, controllerId, doors: [options.door] });
    return { controllerId, decision: decisions.get(options.door)! };
  }

  /** The same at several doors of one controller: one policy, one state, a decision per door. */
  async decideCredentialAt(options: {
    controllerId: string | null;
    doors: readonly string[];
    side: Side;
    credential: string;
    at: number;
    live?: LiveModes;
  }): Promise<Map<string, Decision>> {
    const { policy } = await this.policyOf(options.controllerId);
    const state = explainState(policy, options.at);
    const live = options.live;
    if (live) {
      state.lockdown = live.lockdown === null ? null : { exempt: new Set(live.lockdown) };
      state.threatLevel = live.threatLevel;
      for (const zone of live.fireZones) state.activeFireZones.add(zone);
      for (const d of live.doors)
        if (
          d.source === 'override' &&
          d.overrideUntil !== null &&
          (d.mode === 'locked' || d.mode === 'unlocked') &&
          policy.doors.has(d.door)
        )
          doorRuntime(state, d.door).override = { mode: d.mode, until: d.overrideUntil };
    }
    // decide() changes nothing in the state (its changes are returned): one state serves every door.
    const decisions = new Map<string, Decision>();
    for (const door of options.doors)
      decisions.set(
        door,
        decide(policy, state, { door, side: options.side, credential: options.credential }, options.at),
      );
    return decisions;
  }

  /** What saving `change` would change: who gains and who loses access at which doors. */
  async preview(change: ProposedChange, scope: ScopeFilter, at?: number[]): Promise<Preview> {
    const db = this.deps.store.db;
    const now = this.deps.clock.now();
    const repos = repositories(db, this.deps.installationKey);
    const doors = new Set<string>();
    if (change.resource === 'access_level') {
      const level = await repos.accessLevels.get(change.id);
      if (!level) throw new ApiError('ACCESS_LEVEL_NOT_FOUND', `no access level '${change.id}'`);
      for (const d of [...level.doors, ...(change.patch.doors ?? [])]) doors.add(d);
    } else {
      const schedule = await repos.schedules.get(change.id);
      if (!schedule) throw new ApiError('SCHEDULE_NOT_FOUND', `no schedule '${change.id}'`);
      const levels = await db
        .selectFrom('access_level_doors')
        .innerJoin('access_levels', 'access_levels.id', 'access_level_doors.level_id')
        .select('access_level_doors.door_id')
        .where('access_levels.schedule_id', '=', change.id)
        .execute();
      for (const l of levels) doors.add(l.door_id);
      const scheduled = await db
        .selectFrom('doors')
        .select(['id', 'rules'])
        .where('rules', 'is not', null)
        .execute();
      for (const d of scheduled) {
        const rules = JSON.parse(d.rules!) as { scheduledModes?: { schedule: string }[] };
        if (rules.scheduledModes?.some((m) => m.schedule === change.id)) doors.add(d.id);
      }
    }
    const doorRows =
      doors.size === 0
        ? []
        : await db
            .selectFrom('doors')
            .select(['id', 'controller_id'])
            .where('id', 'in', [...doors])
            .execute();
    const controllers = [...new Set(doorRows.map((d) => d.controller_id ?? null))];

    const before = new Map<string | null, Cached>();
    for (const c of controllers) before.set(c, await this.policyOf(c));
    const after = new Map<string | null, Cached>();
    try {
      await inTransaction(db, async (tx) => {
        const inside = repositories(tx, this.deps.installationKey);
        if (change.resource === 'access_level')
          await inside.accessLevels.update(change.id, change.patch, now);
        else await inside.schedules.update(change.id, change.patch, now);
        for (const c of controllers) after.set(c, await this.prepared(tx, c));
        throw new Rollback();
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    }

    const gain = new Map<string, PreviewPerson>();
    const lose = new Map<string, PreviewPerson>();
    const allInstants = new Set<number>();
    let checked = 0;
    for (const { id: door, controller_id } of doorRows) {
      const was = before.get(controller_id ?? null)!;
      const will = after.get(controller_id ?? null)!;
      const instants =
        at && at.length > 0
          ? [...at].sort((x, y) => x - y)
          : probeInstants([was.policy, will.policy], door, now);
      for (const instant of instants) allInstants.add(instant);
      // Only the people whose decision the change can touch: holders of the level (or of a level on
      // the schedule) before or after; everyone the controller holds when the door's own mode
      // follows the changed schedule.
      const candidates = new Set([
        ...affectedPeople(was.policy, change, door),
        ...affectedPeople(will.policy, change, door),
      ]);
      const deciders = instants.map((instant) => [
        new Decider(was, door, 'in', instant),
        new Decider(will, door, 'in', instant),
      ]);
      for (const personId of candidates) {
        const info = was.people.get(personId) ?? will.people.get(personId);
        if (!info || !scopeAllows(scope, info)) continue;
        checked++;
        const pb = was.policy.people.indexOf(personId);
        const pa = will.policy.people.indexOf(personId);
        for (let i = 0; i < instants.length; i++) {
          const [b, a] = deciders[i]!;
          const wasResult = b!.decide(pb).result;
          const willResult = a!.decide(pa).result;
          if (wasResult === willResult) continue;
          const into = willResult === 'grant' ? gain : lose;
          const instant = instants[i]!;
          const entry = into.get(personId) ?? { personId, name: info.name, doors: [], at: instant };
          if (!entry.doors.includes(door)) entry.doors.push(door);
          entry.at = Math.min(entry.at, instant);
          into.set(personId, entry);
        }
      }
    }
    const sorted = (m: Map<string, PreviewPerson>) =>
      [...m.values()].sort((x, y) => (x.personId < y.personId ? -1 : 1)).slice(0, PREVIEW_LIST_MAX);
    return {
      doors: doorRows.map((d) => d.id).sort(),
      instants: [...allInstants].sort((x, y) => x - y),
      gain: sorted(gain),
      lose: sorted(lose),
      counts: { gain: gain.size, lose: lose.size, checked },
    };
  }
}

const NOT_IN_POLICY: PersonDecision = Object.freeze({
  result: 'deny',
  reason: 'no_access',
  credential: -1,
  trace: Object.freeze([]),
  needsOthers: false,
}) as unknown as PersonDecision;

/** Decisions at one door, side and instant, made once per profile (profiles.ts). */
class Decider {
  private readonly state: ReturnType<typeof explainState>;
  private readonly byProfile: (PersonDecision | undefined)[];

  constructor(
    private readonly cached: Cached,
    private readonly door: string,
    private readonly side: Side,
    private readonly at: number,
  ) {
    this.state = explainState(cached.policy, at);
    this.byProfile = new Array(cached.profiles.representative.length);
  }

  /** Person number `p` of the policy; -1 (not in it): nobody the door's controller knows. */
  decide(p: number): PersonDecision {
    if (p < 0) return NOT_IN_POLICY;
    const { profiles, policy } = this.cached;
    const profile = profiles.of[p]!;
    let decision = this.byProfile[profile];
    if (decision === undefined) {
      decision = decideFor(
        policy,
        this.state,
        profiles.representative[profile]!,
        this.door,
        this.side,
        this.at,
      );
      this.byProfile[profile] = decision;
    }
    return decision;
  }
}

/** Levels (by index) a change touches in this policy: the level itself, or those on the schedule. */
function changedLevels(policy: Policy, change: ProposedChange): Set<number> {
  const levels = new Set<number>();
  if (change.resource === 'access_level') {
    const level = policy.levels.get(change.id);
    if (level) levels.add(level.index);
  } else {
    for (const level of policy.levelList) if (level.schedule?.id === change.id) levels.add(level.index);
  }
  return levels;
}

/** People of the policy whose decision at `door` the change may alter. */
function affectedPeople(policy: Policy, change: ProposedChange, door: string): string[] {
  const people = policy.people;
  const compiled = policy.doors.get(door);
  const everyone =
    change.resource === 'schedule' && compiled?.scheduledModes.some((m) => m.schedule.id === change.id);
  const levels = changedLevels(policy, change);
  const out: string[] = [];
  for (const p of people.indices()) {
    if (everyone || people.levelIndices(p).some((l) => levels.has(l))) out.push(people.id(p));
  }
  return out;
}

function credentialRef(cached: Cached, p: number, decision: PersonDecision): string | null {
  if (p < 0 || decision.credential < 0) return null;
  const people = cached.policy.people;
  const c = people.credentialIndices(p)[decision.credential];
  return c === undefined ? null : (cached.refs.get(people.credentialKey(c)) ?? null);
}

/**
 * The instants worth comparing at a door: now, and over the next week each moment a schedule that
 * matters there (of a level naming the door, or of the door's own scheduled modes) begins or ends an
 * interval — on any kind of day: weekday, holiday, after a holiday — in the site's zone.
 */
export function probeInstants(policies: readonly Policy[], door: string, now: number): number[] {
  const instants = new Set<number>([now]);
  for (const policy of policies) {
    const compiled = policy.doors.get(door);
    if (!compiled) continue;
    const word = compiled.index >>> 5;
    const mask = 1 << (compiled.index & 31);
    const schedules = new Set(compiled.scheduledModes.map((m) => m.schedule));
    for (const level of policy.levelList)
      if (level.schedule && (level.doorBits[word]! & mask) !== 0) schedules.add(level.schedule);
    if (schedules.size === 0) continue;
    const seconds = new Set<number>([0]);
    for (const schedule of schedules)
      for (const view of schedule.views) for (const s of view) if (s >= 0 && s < 86_400) seconds.add(s);
    const today = Math.floor(policy.zone.toWall(now) / 86_400_000);
    for (let day = today; day < today + WEEK_DAYS; day++)
      for (const s of seconds) {
        const instant = policy.zone.toInstant(day * 86_400_000 + s * 1000);
        if (instant > now) instants.add(instant);
      }
  }
  return [...instants].sort((a, b) => a - b).slice(0, MAX_INSTANTS);
}
