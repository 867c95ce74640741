// The presence coordinator: rules that span controllers. A grant at one controller's door moves the
// person in storage (the compare-and-set PresenceStore, so a restarted server and every server
// instance see the same presence) and at every other controller whose snapshot holds the person, so
// anti-passback, occupancy, routes and priority counts hold across doors of different controllers.
// A passage that contradicts what was known — two entries into the same anti-passback area through
// different controllers with no exit between, typically decided while a controller was offline and
// only now reported — is reconciled (the later passage stands) and reported as an
// antipassback_violation alarm.
//
// Per event batch: one read of the people's presence and one bulk compare-and-set write, in the
// transaction that stores the batch (ingest.ts: events stored ⇔ presence moved), then one presence
// message per other controller and the alarms, once committed. A person moved by someone else in
// between (another server instance) is read again and decided again.

import type { ControllerEvent } from '../../contracts/messages.ts';
import type { AreaStore } from '../storage/areas.ts';
import type { DoorStore } from '../storage/doors.ts';
import type { Passage, PassageMove, PresenceStore } from '../storage/presence.ts';
import type { RaiseControllerAlarm } from './controller-alarms.ts';
import type { ControllerCoordinator } from './coordinator.ts';

/** Attempts for a person whose compare-and-set keeps losing (another instance moving them too). */
const MAX_ATTEMPTS = 5;

/** Where presence is read and written: the stores of the connection or of the ingest's transaction. */
export interface PresenceStores {
  presence: PresenceStore;
  doors: DoorStore;
  areas: AreaStore;
}

export interface PresenceCoordinatorDeps extends PresenceStores {
  coordinators: () => Iterable<ControllerCoordinator>;
  raise: RaiseControllerAlarm;
  /**
   * the moves, for the controllers other server instances own (src/server/cluster/): they tell
   * theirs with `tell`
   */
  relay?: (outcome: PresenceOutcome) => Promise<void>;
}

type Move = { person: string; area: string; at: number };
type AlarmArgs = Parameters<RaiseControllerAlarm>;

/** What one batch changed: moves to tell the other controllers, alarms to raise (after commit). */
export interface PresenceOutcome {
  controllerId: string;
  moves: Move[];
  alarms: AlarmArgs[];
}

interface Grant {
  person: string;
  door: string;
  area: string;
  at: number;
}

export class PresenceCoordinator {
  constructor(private readonly deps: PresenceCoordinatorDeps) {}

  /** Takes in the new events of one batch from `controllerId`: records, then tells and alarms. */
  async passages(controllerId: string, events: readonly ControllerEvent[]): Promise<void> {
    await this.announce(await this.record(controllerId, events, this.deps));
  }

  /** Moves the people of these events in storage (inside the caller's transaction, if any). */
  async record(
    controllerId: string,
    events: readonly ControllerEvent[],
    stores: PresenceStores,
  ): Promise<PresenceOutcome> {
    const outcome: PresenceOutcome = { controllerId, moves: [], alarms: [] };
    // A controller's scheduled anti-passback reset (core/supervision.ts) clears the area here too,
    // as of the reset's own time: each controller of the area reports it, once or late, alike.
    for (const e of events)
      if (
        e.type === 'operator' &&
        e.detail.action === 'scheduled-reset' &&
        typeof e.detail.target === 'string'
      )
        await stores.presence.forgetAreas([...(await stores.areas.within([e.detail.target]))], e.at);
    const accessGrants = events.filter(
      (e) =>
        e.type === 'access' && e.detail.result === 'grant' && e.person !== undefined && e.door !== undefined,
    );
    if (accessGrants.length === 0) return outcome;
    const doors = await stores.doors.geometry(accessGrants.map((e) => e.door!));
    let pending: Grant[] = [];
    for (const e of accessGrants) {
      const door = doors.get(e.door!);
      if (door)
        pending.push({
          person: e.person!,
          door: e.door!,
          area: e.detail.side === 'out' ? door.fromArea : door.toArea,
          at: e.at,
        });
    }
    // Anti-passback areas are where a double entry is a violation to report.
    const antipassback = await stores.areas.withAntipassback(pending.map((g) => g.area));
    // A passage into an area made before the area was reset, reported after it, no longer counts.
    const resets = await stores.presence.resetsOf(pending.map((g) => g.area));
    pending = pending.filter((g) => g.at >= (resets.get(g.area) ?? Number.NEGATIVE_INFINITY));
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      const stored = await stores.presence.passages(pending.map((g) => g.person));
      const current = new Map<string, Passage>(stored);
      const decided = new Map<string, PassageMove>();
      const movesOf = new Map<string, Move[]>();
      const alarmsOf = new Map<string, AlarmArgs[]>();
      for (const g of pending) {
        const last = current.get(g.person)!;
        // Two passages into the same area by different controllers with no exit known between them:
        // each controller decided without the other's passage (offline, or a race). Report it; the
        // later passage stands. Reports arrive in any order after an outage.
        if (
          last.controllerId !== null &&
          last.controllerId !== controllerId &&
          last.area === g.area &&
          antipassback.has(g.area)
        ) {
          const here = { controllerId, at: g.at, door: g.door };
          const there = { controllerId: last.controllerId, at: last.at, door: last.door ?? '?' };
          const [first, second] = last.at <= g.at ? [there, here] : [here, there];
          const list = alarmsOf.get(g.person) ?? [];
          list.push([
            'antipassback_violation',
            controllerId,
            `${g.person} entered ${g.area} twice without leaving: through ${first.door} (controller ${first.controllerId}) at ${new Date(first.at).toISOString()} and through ${second.door} (controller ${second.controllerId}) at ${new Date(second.at).toISOString()}; reconciled: ${g.person} is in ${g.area}`,
            `reconcile:${g.person}:${Math.min(last.at, g.at)}`,
          ]);
          alarmsOf.set(g.person, list);
        }
        if (g.at < last.at) continue; // an older passage, reported late: the newer one stands
        current.set(g.person, { ...last, area: g.area, at: g.at, controllerId, door: g.door });
        decided.set(g.person, {
          person: g.person,
          expectedVersion: stored.get(g.person)!.version,
          area: g.area,
          at: g.at,
          controllerId,
          door: g.door,
        });
        const list = movesOf.get(g.person) ?? [];
        list.push({ person: g.person, area: g.area, at: g.at });
        movesOf.set(g.person, list);
      }
      const lost = await stores.presence.recordPassages([...decided.values()]);
      for (const g of new Set(pending.map((p) => p.person))) {
        if (lost.has(g)) continue;
        outcome.alarms.push(...(alarmsOf.get(g) ?? []));
        outcome.moves.push(...(movesOf.get(g) ?? []));
      }
      pending = pending.filter((g) => lost.has(g.person));
    }
    outcome.moves.sort((a, b) => a.at - b.at);
    return outcome;
  }

  /** Once recorded: one message per other controller with the people it knows; then the alarms. */
  async announce(outcome: PresenceOutcome): Promise<void> {
    this.tell(outcome);
    await this.relayAndRaise(outcome);
  }

  /** What follows telling the controllers here: the other instances told, the alarms raised. */
  async relayAndRaise(outcome: PresenceOutcome): Promise<void> {
    if (outcome.moves.length > 0) await this.deps.relay?.(outcome);
    for (const alarm of outcome.alarms) await this.deps.raise(...alarm);
  }

  /**
   * The moves of several batches committed together (ingest's group commit): one message per
   * controller for all of them — each controller gets the moves of the others' batches that name a
   * person it knows, in batch order — instead of one per batch and controller.
   */
  tellAll(outcomes: readonly Pick<PresenceOutcome, 'controllerId' | 'moves'>[]): void {
    const moving = outcomes.filter((o) => o.moves.length > 0);
    if (moving.length === 0) return;
    if (moving.length === 1) {
      this.tell(moving[0]!);
      return;
    }
    for (const coordinator of this.deps.coordinators()) {
      const relevant: Move[] = [];
      for (const o of moving) {
        if (o.controllerId === coordinator.controllerId) continue;
        for (const m of o.moves) if (coordinator.knows(m.person)) relevant.push(m);
      }
      if (relevant.length > 0) void coordinator.send({ kind: 'presence', moves: relevant });
    }
  }

  /** The moves, to every controller here but the one they came from that knows the person. */
  tell(outcome: Pick<PresenceOutcome, 'controllerId' | 'moves'>): void {
    if (outcome.moves.length === 0) return;
    for (const coordinator of this.deps.coordinators()) {
      if (coordinator.controllerId === outcome.controllerId) continue;
      const relevant = outcome.moves.filter((m) => coordinator.knows(m.person));
      if (relevant.length > 0) void coordinator.send({ kind: 'presence', moves: relevant });
    }
  }
}
