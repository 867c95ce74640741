// Event ingest: a controller's journaled events are stored exactly once per (controller, sequence),
// however often a batch is resent; only the events that were new go on — to the presence coordinator
// (grants move people across controllers), in the same transaction, so a batch is stored with its
// presence moves or not at all; and, for alarms the controller raised, to server alarms, once each
// (folded per controller, door and type: alarms/flood.ts). Batches of many controllers are
// committed together (group commit, below): the controllers' acknowledgements follow the commit.

import type { ControllerEvent } from '../../contracts/messages.ts';
import { ALARM_TYPES as CORE_ALARM_TYPES } from '../../core/reasons.ts';
import { controllerAlarmKey } from '../alarms/flood.ts';
import type { AlarmType } from '../alarms/types.ts';
import { countUnclaimedUses, type UnclaimedUse } from '../operations/use-counts.ts';
import { recordGroupReportFacts } from '../reports/history.ts';
import { AreaStore } from '../storage/areas.ts';
import { type Executor, inTransaction, type Store } from '../storage/db.ts';
import { DoorStore } from '../storage/doors.ts';
import { ensurePartitions } from '../storage/event-partitions.ts';
import { EventStore } from '../storage/events.ts';
import { PresenceStore } from '../storage/presence.ts';
import type { RaiseControllerAlarm } from './controller-alarms.ts';
import { resolveCredentialRefs } from './credential-refs.ts';
import type { PresenceCoordinator, PresenceOutcome } from './presence-coordinator.ts';

// The alarm types of DESIGN.md §6.1 (the core's list) are what a controller may report.
const ALARM_FROM_CONTROLLER: ReadonlySet<string> = new Set(CORE_ALARM_TYPES);

export interface EventIngestDeps {
  db: Executor;
  /** the site credential key: to name credentials by safe reference */
  credentialKey?: Uint8Array | undefined;
  /** the event chain key (storage/chain.ts) */
  eventKey: Buffer;
  presence: PresenceCoordinator;
  raise: RaiseControllerAlarm;
  /**
   * told of the events that were new the moment their group is committed, before any other work
   * (the live hub: the push stream's latency starts at the decision); a throw is logged, and the
   * batches are answered all the same (their events are stored)
   */
  committed?: (controllerId: string, events: readonly ControllerEvent[]) => void;
  /** told of the events that were new, once stored (key uses) */
  observe?: (controllerId: string, events: readonly ControllerEvent[]) => Promise<void>;
  /** writes that belong with the batch, in its transaction (the webhook outbox) */
  inBatch?: (tx: Executor, controllerId: string, events: readonly ControllerEvent[]) => Promise<void>;
  /**
   * groups committed at once (default 1): 1 on SQLite (one writer); a few on PostgreSQL, whose
   * connections commit in parallel
   */
  groupsInFlight?: number;
  /** events in one group at most (default 2,000); a bigger batch goes alone */
  groupEvents?: number;
  /** where a failure after the commit is reported (the batches are answered all the same) */
  logger?: { error(fields: object, message: string): void };
}

/** A controller's batch waiting for its group. */
interface Waiting {
  controllerId: string;
  batch: readonly ControllerEvent[];
  resolve: (news: ControllerEvent[]) => void;
  reject: (error: unknown) => void;
}

/** One controller's part of a group: its batches (a resend may queue beside the first send). */
interface Part {
  controllerId: string;
  batches: Waiting[];
  events: ControllerEvent[];
  /** its events stored for the first time, and the presence moves they made (set in the transaction) */
  news: ControllerEvent[];
  presence?: PresenceOutcome;
}

const GROUP_EVENTS = 2_000;

/** A use the controller granted offline without a claim (none for any other event). */
function unclaimedUse(e: ControllerEvent): UnclaimedUse[] {
  if (e.type !== 'access' || e.detail.unclaimedUse !== true) return [];
  const { credentialId, keyId } = e.detail;
  return [
    {
      ...(typeof credentialId === 'string' && { credentialId }),
      ...(typeof keyId === 'string' && { keyId }),
    },
  ];
}

/**
 * Group commit: batches of many controllers that arrive while a group is being committed wait and
 * go together in the next one — one transaction (one fsync on SQLite) for the lot instead of one
 * each, so the commit rate stops bounding the event rate and each batch waits at most for one
 * group ahead of it. Each batch's promise resolves once its group is committed and told (its
 * acknowledgement goes after that). A group that fails is taken apart: each batch is tried alone,
 * so one bad batch fails only its own controller (which resends), never its neighbours.
 */
export class EventIngest {
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly groupEvents: number;

  constructor(private readonly deps: EventIngestDeps) {
    this.maxInFlight = Math.max(1, deps.groupsInFlight ?? 1);
    this.groupEvents = Math.max(1, deps.groupEvents ?? GROUP_EVENTS);
  }

  /** Stores a batch; returns the events that were new (not stored before). */
  ingest(controllerId: string, batch: readonly ControllerEvent[]): Promise<ControllerEvent[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ controllerId, batch, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const group: Waiting[] = [this.waiting.shift()!];
      let size = group[0]!.batch.length;
      while (this.waiting.length > 0 && size + this.waiting[0]!.batch.length <= this.groupEvents) {
        const next = this.waiting.shift()!;
        size += next.batch.length;
        group.push(next);
      }
      this.inFlight++;
      void this.commitGroup(group)
        // Whatever escapes the group's work fails its batches that are still unanswered (answering a
        // settled promise again does nothing): never a batch left waiting, never a stray rejection.
        .catch((error: unknown) => {
          for (const w of group) w.reject(error);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async commitGroup(group: Waiting[]): Promise<void> {
    let parts: Part[];
    try {
      parts = await this.store(group);
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      // Someone's batch broke the group: each alone, so only that one fails.
      await Promise.all(group.map((w) => this.commitGroup([w])));
      return;
    }
    // The group is committed: from here on each batch is answered whatever fails (its events are
    // stored; a controller whose batch went unanswered would wait for its acknowledgement forever).
    // Live first: nothing else stands between the commit and the push stream.
    if (this.deps.committed)
      for (const part of parts) {
        if (part.news.length === 0) continue;
        try {
          this.deps.committed(part.controllerId, part.news);
        } catch (error) {
          this.afterCommitFailed(error, 'live hook', [part.controllerId]);
        }
      }
    // The group's presence moves to the other controllers: one message each for the whole group.
    try {
      this.deps.presence.tellAll(parts.flatMap((part) => (part.presence ? [part.presence] : [])));
    } catch (error) {
      this.afterCommitFailed(
        error,
        'presence moves not told',
        parts.map((part) => part.controllerId),
      );
    }
    await Promise.all(
      parts.map(async (part) => {
        try {
          await this.afterCommit(part);
        } catch (error) {
          for (const w of part.batches) w.reject(error);
          return;
        }
        // Each batch is answered with the new events it carried (a resend queued beside the first
        // send carries none anew).
        const fresh = new Set(part.news.map((e) => e.seq));
        for (const w of part.batches) w.resolve(w.batch.filter((e) => fresh.delete(e.seq)));
      }),
    );
  }

  /** A failure after the commit: logged (its message only), the batches answered all the same. */
  private afterCommitFailed(error: unknown, what: string, controllerIds: readonly string[]): void {
    this.deps.logger?.error(
      { err: { message: error instanceof Error ? error.message : String(error) }, controllerIds },
      `event ingest: ${what} failed after the commit`,
    );
  }

  /** Stores a group's events in one transaction: each controller's with its presence moves. */
  private async store(group: Waiting[]): Promise<Part[]> {
    const byController = new Map<string, Waiting[]>();
    for (const w of group) {
      const list = byController.get(w.controllerId);
      if (list) list.push(w);
      else byController.set(w.controllerId, [w]);
    }
    // Controllers in one order in every group: concurrent groups (PostgreSQL) lock chain heads alike.
    const ids = [...byController.keys()].sort();
    const all = ids.flatMap((id) => byController.get(id)!.flatMap((w) => w.batch));
    // Credentials by their safe reference (card:C-1001), not the hash the controller knows them by.
    const resolved = await resolveCredentialRefs(this.deps.db, this.deps.credentialKey, all);
    let offset = 0;
    const parts: Part[] = ids.map((controllerId) => {
      const batches = byController.get(controllerId)!;
      const count = batches.reduce((n, w) => n + w.batch.length, 0);
      const events = resolved.slice(offset, offset + count);
      offset += count;
      return { controllerId, batches, events, news: [] };
    });
    // PostgreSQL: the group's month partitions, before the transaction (storage/event-partitions.ts).
    await ensurePartitions(
      this.deps.db,
      all.map((e) => e.at),
    );
    const outcomes = await inTransaction(this.deps.db, async (tx) => {
      const db = tx as unknown as Store['db'];
      const stored = await new EventStore(db, this.deps.eventKey).appendNew(
        parts.flatMap((part) =>
          part.events.map((e) => ({
            controllerId: part.controllerId,
            seq: e.seq,
            at: e.at,
            type: e.type,
            ...(e.door !== undefined && { door: e.door }),
            ...(e.area !== undefined && { area: e.area }),
            ...(e.person !== undefined && { personId: e.person }),
            detail: e.detail,
          })),
        ),
      );
      const freshOf = new Map<string, Set<number>>();
      for (const e of stored) {
        const set = freshOf.get(e.controllerId);
        if (set) set.add(e.seq);
        else freshOf.set(e.controllerId, new Set([e.seq]));
      }
      for (const part of parts) {
        // Each new sequence once, as stored (its first occurrence): a batch may carry one twice, and
        // presence, report facts, counts, webhooks and alarms must see it once, as the event log does.
        const fresh = freshOf.get(part.controllerId) ?? new Set<number>();
        part.news = part.events.filter((e) => fresh.delete(e.seq));
      }
      // Presence history and credential last use, for the reports (reports/history.ts), and the uses
      // granted offline without a claim (operations/use-counts.ts): each written once for the whole
      // group, in its transaction, so they count exactly when the events are stored.
      await recordGroupReportFacts(
        tx,
        parts.map((part) => ({ controllerId: part.controllerId, events: part.news })),
      );
      await countUnclaimedUses(
        tx,
        parts.flatMap((part) => part.news.flatMap(unclaimedUse)),
      );
      const stores = { presence: new PresenceStore(db), doors: new DoorStore(tx), areas: new AreaStore(tx) };
      const outcomes: PresenceOutcome[] = [];
      for (const part of parts) {
        if (this.deps.inBatch && part.news.length > 0)
          await this.deps.inBatch(tx, part.controllerId, part.news);
        outcomes.push(await this.deps.presence.record(part.controllerId, part.news, stores));
      }
      return outcomes;
    });
    parts.forEach((part, i) => {
      part.presence = outcomes[i]!;
    });
    return parts;
  }

  /** What follows the commit for one controller's new events: presence, observers, alarms. */
  private async afterCommit(part: Part): Promise<void> {
    const { controllerId, news } = part;
    if (part.presence) await this.deps.presence.relayAndRaise(part.presence);
    if (this.deps.observe && news.length > 0) await this.deps.observe(controllerId, news);
    for (const e of news) {
      if (e.type !== 'alarm') continue;
      const type = String(e.detail.alarm ?? 'tamper');
      await this.deps.raise(
        (ALARM_FROM_CONTROLLER.has(type) ? type : 'tamper') as AlarmType,
        controllerId,
        `${type} at controller ${controllerId}${e.door ? `, door ${e.door}` : ''}${e.detail.detail ? `: ${String(e.detail.detail)}` : ''}`,
        // Flood control: one open alarm per (controller, door, type), repeats counted on it.
        controllerAlarmKey(controllerId, e.door),
        e.door,
      );
    }
  }
}
