// The event log: ingested exactly once per (controller, sequence), searched by person, door, area,
// type and time with stable cursor pagination (time, then insertion id).

import type { Kysely } from 'kysely';
import { decodeCursor, encodeCursor, type Page } from './cursor.ts';
import { type Executor, inTransaction } from './db.ts';
import { StorageError } from './errors.ts';
import type { Database } from './schema.ts';
import { type ScopeFilter, scopeCondition } from './scope.ts';

export interface StoredEvent {
  controllerId: string;
  seq: number;
  at: number;
  type: string;
  door?: string;
  area?: string;
  personId?: string;
  /** event details as JSON; never secrets */
  detail: Record<string, unknown>;
}

export interface EventFilter {
  personId?: string;
  door?: string;
  area?: string;
  type?: string;
  from?: number;
  until?: number;
  cursor?: string;
  limit?: number;
  /** a scoped caller sees events of people inside the scope, and events of no one (door events) */
  scope?: ScopeFilter;
}

export interface NamedEvent {
  id: number;
  /** the person's name now (null: no person, or one deleted since) */
  personName: string | null;
  doorName: string | null;
}

/** Rows per INSERT: 9 parameters each stays far below SQLite's 32766-parameter limit. */
const APPEND_CHUNK = 1000;

export class EventStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Inserts events not seen before; returns how many were new. Idempotent on (controllerId, seq):
   * replays and concurrent deliveries of the same batch store each event once. Large batches are
   * written in chunks (SQLite limits the parameters of one statement) inside one transaction.
   */
  async append(events: readonly StoredEvent[]): Promise<number> {
    return (await this.appendNew(events)).length;
  }

  /**
   * The same, returning the events that were new: what a caller acts on once (alarms, presence),
   * decided by the insert itself, so two deliveries of one batch at once never both count an event.
   */
  async appendNew(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    if (events.length <= APPEND_CHUNK) return this.insert(this.db, events);
    return inTransaction(this.db, async (tx) => {
      const inserted: StoredEvent[] = [];
      for (let i = 0; i < events.length; i += APPEND_CHUNK)
        inserted.push(...(await this.insert(tx, events.slice(i, i + APPEND_CHUNK))));
      return inserted;
    });
  }

  /** The same as append, named for the domain (the controller event uplink). */
  appendEvents(events: readonly StoredEvent[]): Promise<number> {
    return this.append(events);
  }

  private async insert(db: Executor, events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const rows = await db
      .insertInto('events')
      .values(
        events.map((e) => ({
          controller_id: e.controllerId,
          seq: e.seq,
          at: e.at,
          type: e.type,
          door: e.door ?? null,
          area: e.area ?? null,
          person_id: e.personId ?? null,
          detail: JSON.stringify(e.detail),
        })),
      )
      .onConflict((oc) => oc.columns(['controller_id', 'seq']).doNothing())
      .returning(['controller_id', 'seq'])
      .execute();
    const inserted = new Set(rows.map((r) => `${r.controller_id}\n${Number(r.seq)}`));
    return events.filter((e) => inserted.has(`${e.controllerId}\n${e.seq}`));
  }

  /**
   * A page of events with the names of their person and door (one query: joined by primary key, so
   * a page costs the same with names as without).
   */
  async search(filter: EventFilter): Promise<Page<StoredEvent & NamedEvent>> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    let query = this.db
      .selectFrom('events')
      .leftJoin('people', 'people.id', 'events.person_id')
      .leftJoin('doors', 'doors.id', 'events.door')
      .selectAll('events')
      .select(['people.name as person_name', 'doors.name as door_name'])
      .orderBy('events.at')
      .orderBy('events.id')
      .limit(limit + 1);
    if (filter.personId !== undefined) query = query.where('events.person_id', '=', filter.personId);
    if (filter.door !== undefined) query = query.where('events.door', '=', filter.door);
    if (filter.area !== undefined) query = query.where('events.area', '=', filter.area);
    if (filter.type !== undefined) query = query.where('events.type', '=', filter.type);
    if (filter.from !== undefined) query = query.where('events.at', '>=', filter.from);
    if (filter.until !== undefined) query = query.where('events.at', '<', filter.until);
    const scope = filter.scope;
    if (scope !== undefined && scope !== 'all')
      query = query.where((eb) =>
        eb.or([
          eb('events.person_id', 'is', null),
          eb(
            'events.person_id',
            'in',
            eb
              .selectFrom('people as scoped')
              .select('scoped.id as person_id')
              .where((p) =>
                scopeCondition(p, scope, { department: 'scoped.department', site: 'scoped.site' }),
              ),
          ),
        ]),
      );
    if (filter.cursor !== undefined) {
      const after = decodeCursor(filter.cursor);
      if (after === undefined || after.length !== 2 || !after.every((v) => typeof v === 'number'))
        throw new StorageError('invalid_cursor', 'event', 'invalid cursor', 'cursor');
      const [at, id] = after.map(Number) as [number, number];
      query = query.where((eb) =>
        eb.or([eb('events.at', '>', at), eb.and([eb('events.at', '=', at), eb('events.id', '>', id)])]),
      );
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit).map((r) => ({
      id: Number(r.id),
      controllerId: r.controller_id,
      seq: Number(r.seq),
      at: Number(r.at),
      type: r.type,
      ...(r.door !== null && { door: r.door }),
      ...(r.area !== null && { area: r.area }),
      ...(r.person_id !== null && { personId: r.person_id }),
      personName: r.person_name ?? null,
      doorName: r.door_name ?? null,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
    const last = items.at(-1);
    return { items, next: rows.length > limit && last ? encodeCursor([last.at, last.id]) : undefined };
  }
}
