// Event ingest: a controller's journaled events are stored exactly once per (controller, sequence),
// however often a batch is resent; only the events that were new go on — to the presence coordinator
// (grants move people across controllers), in the same transaction, so a batch is stored with its
// presence moves or not at all; and, for alarms the controller raised, to server alarms, once each
// (folded per controller, door and type: alarms/flood.ts).

import type { ControllerEvent } from '../../contracts/messages.ts';
import { ALARM_TYPES as CORE_ALARM_TYPES } from '../../core/reasons.ts';
import { controllerAlarmKey } from '../alarms/flood.ts';
import type { AlarmType } from '../alarms/types.ts';
import { countUnclaimedUse } from '../operations/use-counts.ts';
import { recordReportFacts } from '../reports/history.ts';
import { AreaStore } from '../storage/areas.ts';
import { type Executor, inTransaction, type Store } from '../storage/db.ts';
import { DoorStore } from '../storage/doors.ts';
import { ensurePartitions } from '../storage/event-partitions.ts';
import { EventStore } from '../storage/events.ts';
import { PresenceStore } from '../storage/presence.ts';
import type { RaiseControllerAlarm } from './controller-alarms.ts';
import { resolveCredentialRefs } from './credential-refs.ts';
import type { PresenceCoordinator } from './presence-coordinator.ts';

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
  /** told of the events that were new, once stored (key uses) */
  observe?: (controllerId: string, events: readonly ControllerEvent[]) => Promise<void>;
  /** writes that belong with the batch, in its transaction (the webhook outbox) */
  inBatch?: (tx: Executor, controllerId: string, events: readonly ControllerEvent[]) => Promise<void>;
}

export class EventIngest {
  constructor(private readonly deps: EventIngestDeps) {}

  /** Stores a batch; returns the events that were new (not stored before). */
  async ingest(controllerId: string, batch: readonly ControllerEvent[]): Promise<ControllerEvent[]> {
    // Credentials by their safe reference (card:C-1001), not the hash the controller knows them by.
    const events = await resolveCredentialRefs(this.deps.db, this.deps.credentialKey, batch);
    // PostgreSQL: the batch's month partitions, before the transaction (storage/event-partitions.ts).
    await ensurePartitions(
      this.deps.db,
      events.map((e) => e.at),
    );
    const { news, presence } = await inTransaction(this.deps.db, async (tx) => {
      const db = tx as unknown as Store['db'];
      const stored = await new EventStore(db, this.deps.eventKey).appendNew(
        events.map((e) => ({
          controllerId,
          seq: e.seq,
          at: e.at,
          type: e.type,
          ...(e.door !== undefined && { door: e.door }),
          ...(e.area !== undefined && { area: e.area }),
          ...(e.person !== undefined && { personId: e.person }),
          detail: e.detail,
        })),
      );
      // Each new sequence once, as stored (its first occurrence): a batch may carry one twice, and
      // presence, report facts, webhooks and alarms must see it once, as the event log does.
      const fresh = new Set(stored.map((e) => e.seq));
      const news = events.filter((e) => fresh.delete(e.seq));
      // Presence history and credential last use, for the reports (reports/history.ts).
      await recordReportFacts(tx, controllerId, news);
      if (this.deps.inBatch && news.length > 0) await this.deps.inBatch(tx, controllerId, news);
      const stores = { presence: new PresenceStore(db), doors: new DoorStore(tx), areas: new AreaStore(tx) };
      return { news, presence: await this.deps.presence.record(controllerId, news, stores) };
    });
    await this.deps.presence.announce(presence);
    // Uses granted offline, without a claim: counted now (operations/use-counts.ts).
    for (const e of news) {
      if (e.type !== 'access' || e.detail.unclaimedUse !== true) continue;
      const { credentialId, keyId } = e.detail;
      await countUnclaimedUse(this.deps.db, {
        ...(typeof credentialId === 'string' && { credentialId }),
        ...(typeof keyId === 'string' && { keyId }),
      });
    }
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
    return news;
  }
}
