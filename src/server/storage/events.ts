// The event log: ingested exactly once per (controller, sequence), searched by person, door, area,
// type and time with stable cursor pagination (time, then insertion id).

import type { Kysely } from 'kysely';
import { decodeCursor, encodeCursor, type Page } from './cursor.ts';
import type { Database } from './schema.ts';

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
}

export class EventStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts events not seen before; returns how many were new. Replays are harmless. */
  async append(events: readonly StoredEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const result = await this.db
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
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async search(filter: EventFilter): Promise<Page<StoredEvent & { id: number }>> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    let query = this.db
      .selectFrom('events')
      .selectAll()
      .orderBy('at')
      .orderBy('id')
      .limit(limit + 1);
    if (filter.personId !== undefined) query = query.where('person_id', '=', filter.personId);
    if (filter.door !== undefined) query = query.where('door', '=', filter.door);
    if (filter.area !== undefined) query = query.where('area', '=', filter.area);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
    if (filter.until !== undefined) query = query.where('at', '<', filter.until);
    if (filter.cursor !== undefined) {
      const after = decodeCursor(filter.cursor);
      if (after === undefined || after.length !== 2) throw new RangeError('invalid cursor');
      const [at, id] = after.map(Number) as [number, number];
      query = query.where((eb) => eb.or([eb('at', '>', at), eb.and([eb('at', '=', at), eb('id', '>', id)])]));
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
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
    const last = items.at(-1);
    return { items, next: rows.length > limit && last ? encodeCursor([last.at, last.id]) : undefined };
  }
}
