// Explaining decisions: "who can pass this door now — and why not", and what a change to an access
// level or a schedule would do before it is saved ("these 12 people gain access, these 3 lose it").
//
// Both decide with the core over the policy of the door's controller (policy.ts, decisions.ts). The
// policies are kept until the site data changes (any domain event), so paging through a door's
// people or previewing twice costs one build. A preview applies the change in a transaction that is
// always rolled back — the same storage checks as saving it, so an invalid change is refused the
// same way — builds the policies inside it, and compares decisions at the instants where the
// controller's schedules begin or end over the next week.

import type { Policy, Side } from '../../core/policy.ts';
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
const MEMO_MAX = 200_000;

class Rollback extends Error {}

interface Cached extends ExplainPolicy {
  profiles: Profiles;
  /** door/side/at/profile → decision */
  memo: Map<string, PersonDecision>;
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
    return { ...built, profiles: profilesOf(built.policy), memo: new Map() };
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
    const state = explainState(cached.policy, options.at);
    const counts = { grant: 0, deny: 0, needsOthers: 0 };
    const items: AccessAnswer[] = [];
    let next: string | null = null;
    for (const [personId, info] of cached.people) {
      if (options.person !== undefined && personId !== options.person) continue;
      if (!scopeAllows(options.scope, info)) continue;
      const p = cached.policy.people.indexOf(personId);
      const decision = memoDecision(cached, state, p, options.door, options.side, options.at);
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

    const instants =
      at && at.length > 0
        ? [...at].sort((a, b) => a - b)
        : probeInstants(
            [...before.values(), ...after.values()].map((c) => c.policy),
            now,
          );
    const gain = new Map<string, PreviewPerson>();
    const lose = new Map<string, PreviewPerson>();
    let checked = 0;
    for (const { id: door, controller_id } of doorRows) {
      const was = before.get(controller_id ?? null)!;
      const will = after.get(controller_id ?? null)!;
      // Only people the controller holds (before or after) can be let in at its doors.
      const candidates = new Set([...was.insiders, ...will.insiders]);
      for (const personId of candidates) {
        const info = was.people.get(personId) ?? will.people.get(personId);
        if (!info || !scopeAllows(scope, info)) continue;
        checked++;
        const pb = was.policy.people.indexOf(personId);
        const pa = will.policy.people.indexOf(personId);
        for (const instant of instants) {
          const b = memoDecision(was, explainStateOf(was, instant), pb, door, 'in', instant).result;
          const a = memoDecision(will, explainStateOf(will, instant), pa, door, 'in', instant).result;
          if (a === b) continue;
          const into = a === 'grant' ? gain : lose;
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
      instants,
      gain: sorted(gain),
      lose: sorted(lose),
      counts: { gain: gain.size, lose: lose.size, checked },
    };
  }
}

/** One explain state per policy and instant (states are not changed by deciding). */
const states = new WeakMap<Cached, Map<number, ReturnType<typeof explainState>>>();
function explainStateOf(cached: Cached, at: number) {
  let byInstant = states.get(cached);
  if (!byInstant) {
    byInstant = new Map();
    states.set(cached, byInstant);
  }
  let state = byInstant.get(at);
  if (!state) {
    if (byInstant.size > MAX_INSTANTS) byInstant.clear();
    state = explainState(cached.policy, at);
    byInstant.set(at, state);
  }
  return state;
}

const NOT_IN_POLICY: PersonDecision = Object.freeze({
  result: 'deny',
  reason: 'no_access',
  credential: -1,
  trace: Object.freeze([]),
  needsOthers: false,
}) as unknown as PersonDecision;

function memoDecision(
  cached: Cached,
  state: ReturnType<typeof explainState>,
  p: number,
  door: string,
  side: Side,
  at: number,
): PersonDecision {
  if (p < 0) return NOT_IN_POLICY;
  const profile = cached.profiles.of[p]!;
  const key = `${door}\u0000${side}\u0000${at}\u0000${profile}`;
  let decision = cached.memo.get(key);
  if (!decision) {
    // Each request asks at its own instant: keep the memo from growing without bound.
    if (cached.memo.size >= MEMO_MAX) cached.memo.clear();
    decision = decideFor(cached.policy, state, cached.profiles.representative[profile]!, door, side, at);
    cached.memo.set(key, decision);
  }
  return decision;
}

function credentialRef(cached: Cached, p: number, decision: PersonDecision): string | null {
  if (p < 0 || decision.credential < 0) return null;
  const people = cached.policy.people;
  const c = people.credentialIndices(p)[decision.credential];
  return c === undefined ? null : (cached.refs.get(people.credentialKey(c)) ?? null);
}

/**
 * The instants worth comparing: now, and over the next week each moment one of the controller's
 * schedules begins or ends an interval (on any kind of day: weekday, holiday, after a holiday), in
 * the site's zone — not only the changed one's: a person may pass by another level at other times.
 */
export function probeInstants(policies: readonly Policy[], now: number): number[] {
  const instants = new Set<number>([now]);
  for (const policy of policies) {
    if (policy.schedules.size === 0) continue;
    const seconds = new Set<number>([0]);
    for (const schedule of policy.schedules.values())
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
