// The event log: ingested exactly once per (controller, sequence), searched by person, door, area,
// type and time with stable cursor pagination (time, then insertion id). Every controller's events
// form one keyed MAC chain (storage/chain.ts) in the order they are stored, which for a controller's
// journal is sequence order: each batch is chained in the same transaction as its insert, under a
// lock on that controller's chain head, so the chain costs one HMAC per event and a few statements
// per batch, not per event.

import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { ChainChecker, type ChainOverlay, type ChainVerdict, GENESIS, linkMac } from './chain.ts';
import { decodeCursor, encodeCursor, type Page } from './cursor.ts';
import { type Executor, inTransaction, sqliteConnection, sqliteStatement } from './db.ts';
import { StorageError } from './errors.ts';
import { ensurePartitions } from './event-partitions.ts';
import { excusedByPurges, validPurges } from './event-store-retention.ts';
import type { Database } from './schema.ts';
import { type ScopeFilter, scopeCondition } from './scope.ts';
import { storableText } from './text.ts';

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

/** Rows per INSERT: 11 parameters each stays far below SQLite's 32766-parameter limit. */
const APPEND_CHUNK = 1000;
/** Values per IN list when looking up which sequences are stored already. */
const LOOKUP_CHUNK = 500;

interface EventFields {
  controller_id: string;
  seq: number;
  at: number;
  type: string;
  door: string | null;
  area: string | null;
  person_id: string | null;
  detail: string;
}

/** The canonical bytes of one event at one position of its controller's chain. */
export function eventCanonical(index: number, e: EventFields): string {
  return JSON.stringify([
    'event/v1',
    e.controller_id,
    index,
    e.seq,
    e.at,
    e.type,
    e.door,
    e.area,
    e.person_id,
    e.detail,
  ]);
}

type EventRow = EventFields & { chain_index: number; mac: string };

const ROW_COLUMNS = 'controller_id, seq, at, type, door, area, person_id, detail, chain_index, mac';

const SQLITE_INSERT = `INSERT INTO events (${ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
/** Takes the chain head (made at genesis if new), as the Kysely upsert in chainAndInsert does. */
const SQLITE_TAKE_HEAD = `INSERT INTO event_chain_heads (controller_id, chain_index, mac, max_seq)
  VALUES (?, 0, '${GENESIS}', NULL)
  ON CONFLICT (controller_id) DO UPDATE SET chain_index = event_chain_heads.chain_index
  RETURNING chain_index, mac, max_seq`;
const SQLITE_MOVE_HEAD =
  'UPDATE event_chain_heads SET chain_index = ?, mac = ?, max_seq = ? WHERE controller_id = ?';

interface Head {
  chain_index: number | string;
  mac: string;
  max_seq: number | string | null;
}

/**
 * Takes a controller's chain head under a lock: the upsert takes the row lock on PostgreSQL (SQLite
 * has one writer); made at genesis for a controller's first event.
 */
async function takeHead(tx: Executor, controllerId: string): Promise<Head> {
  const sqlite = sqliteConnection(tx);
  if (sqlite) return sqliteStatement(sqlite, SQLITE_TAKE_HEAD).get(controllerId) as Head;
  return tx
    .insertInto('event_chain_heads')
    .values({ controller_id: controllerId, chain_index: 0, mac: GENESIS, max_seq: null })
    .onConflict((oc) =>
      oc
        .column('controller_id')
        .doUpdateSet((eb) => ({ chain_index: eb.ref('event_chain_heads.chain_index') })),
    )
    .returning(['chain_index', 'mac', 'max_seq'])
    .executeTakeFirstOrThrow();
}

async function moveHead(
  tx: Executor,
  controllerId: string,
  head: { chain_index: number; mac: string; max_seq: number },
): Promise<void> {
  const sqlite = sqliteConnection(tx);
  if (sqlite) {
    sqliteStatement(sqlite, SQLITE_MOVE_HEAD).run(head.chain_index, head.mac, head.max_seq, controllerId);
    return;
  }
  await tx.updateTable('event_chain_heads').set(head).where('controller_id', '=', controllerId).execute();
}

/**
 * Inserts chained rows the cheapest way each engine has: on PostgreSQL one statement with one array
 * per column, unnested (into the month partitions, made before: appendNew), so the parameters stay
 * ten whatever the batch; on SQLite a statement prepared once per connection, run per row (binding
 * thousands of parameters, or reading a JSON array, costs more than the insert itself). Text is
 * already as stored (storableText), so the MACs computed over it hold.
 */
async function insertEventRows(tx: Executor, rows: readonly EventRow[]): Promise<void> {
  const sqlite = sqliteConnection(tx);
  if (sqlite) {
    const insert = sqliteStatement(sqlite, SQLITE_INSERT);
    for (const r of rows)
      insert.run(
        r.controller_id,
        r.seq,
        r.at,
        r.type,
        r.door,
        r.area,
        r.person_id,
        r.detail,
        r.chain_index,
        r.mac,
      );
    return;
  }
  if (tx.getExecutor().adapter instanceof PostgresAdapter) {
    const column = <K extends keyof EventRow>(key: K) => rows.map((r) => r[key]);
    await sql`INSERT INTO events (${sql.raw(ROW_COLUMNS)})
      SELECT * FROM unnest(${column('controller_id')}::varchar[], ${column('seq')}::bigint[],
        ${column('at')}::bigint[], ${column('type')}::varchar[], ${column('door')}::varchar[],
        ${column('area')}::varchar[], ${column('person_id')}::varchar[], ${column('detail')}::text[],
        ${column('chain_index')}::bigint[], ${column('mac')}::varchar[])`.execute(tx);
    return;
  }
  for (let i = 0; i < rows.length; i += APPEND_CHUNK)
    await tx
      .insertInto('events')
      .values(rows.slice(i, i + APPEND_CHUNK))
      .execute();
}

/** Span problems that are positions missing (which retention may explain), not records changed. */
const GAPS: ReadonlySet<string> = new Set(['missing', 'truncated', 'deleted']);

const orNull = (value: string | undefined) => (value === undefined ? null : storableText(value));

export class EventStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** the event chain key (chainKeys(installationKey).events) */
    private readonly key: Buffer,
  ) {}

  /**
   * Inserts events not seen before; returns how many were new. Idempotent on (controllerId, seq):
   * replays and concurrent deliveries of the same batch store each event once, in one transaction.
   */
  async append(events: readonly StoredEvent[]): Promise<number> {
    return (await this.appendNew(events)).length;
  }

  /**
   * The same, returning the events that were new: what a caller acts on once (alarms, presence),
   * decided under the chain head's lock, so two deliveries of one batch at once never both count one.
   */
  async appendNew(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const byController = new Map<string, StoredEvent[]>();
    for (const e of events) {
      const list = byController.get(e.controllerId) ?? [];
      list.push(e);
      byController.set(e.controllerId, list);
    }
    // The months' partitions first, outside the storing transaction (event-partitions.ts).
    await ensurePartitions(
      this.db,
      events.map((e) => e.at),
    );
    const fresh = new Set<StoredEvent>();
    await inTransaction(this.db, async (tx) => {
      for (const [controllerId, batch] of byController)
        for (const e of await this.chainAndInsert(tx, controllerId, batch)) fresh.add(e);
    });
    return events.filter((e) => fresh.has(e));
  }

  /** The same as append, named for the domain (the controller event uplink). */
  appendEvents(events: readonly StoredEvent[]): Promise<number> {
    return this.append(events);
  }

  /**
   * One controller's batch: lock its chain head (the upsert takes the row lock on PostgreSQL; SQLite
   * has one writer), keep the events not stored before (once each, in sequence order), chain them
   * from the head, insert them, move the head. The head remembers the highest sequence stored, so a
   * batch above it — what a controller's journal normally sends — needs no lookup; only a resend
   * looks its sequences up.
   */
  private async chainAndInsert(
    tx: Executor,
    controllerId: string,
    batch: readonly StoredEvent[],
  ): Promise<StoredEvent[]> {
    const head = await takeHead(tx, controllerId);
    const maxSeq = head.max_seq === null ? await this.storedMaxSeq(tx, controllerId) : Number(head.max_seq);
    const stored = new Set<number>();
    // The normal batch lies wholly above the head and in sequence order: then neither the lookup's
    // list nor a sorted copy is built (a pass over the batch says so).
    let resent = false;
    let ordered = true;
    for (let i = 0; i < batch.length; i++) {
      const seq = batch[i]!.seq;
      if (seq <= maxSeq) resent = true;
      if (i > 0 && seq <= batch[i - 1]!.seq) ordered = false;
    }
    const toLookUp = resent ? [...new Set(batch.map((e) => e.seq).filter((seq) => seq <= maxSeq))] : [];
    for (let i = 0; i < toLookUp.length; i += LOOKUP_CHUNK)
      for (const row of await tx
        .selectFrom('events')
        .select('seq')
        .where('controller_id', '=', controllerId)
        .where('seq', 'in', toLookUp.slice(i, i + LOOKUP_CHUNK))
        .execute())
        stored.add(Number(row.seq));
    let fresh: StoredEvent[];
    if (ordered && !resent) fresh = [...batch];
    else {
      fresh = [];
      for (const e of [...batch].sort((a, b) => a.seq - b.seq))
        if (!stored.has(e.seq)) {
          stored.add(e.seq);
          fresh.push(e);
        }
    }
    if (fresh.length === 0) return [];
    let index = Number(head.chain_index);
    let prev = head.mac;
    const rows = fresh.map((e): EventRow => {
      index++;
      // One object per row, its MAC set once computed over the fields above it (no copy of them).
      const row: EventRow = {
        controller_id: e.controllerId,
        seq: e.seq,
        at: e.at,
        type: storableText(e.type),
        door: orNull(e.door),
        area: orNull(e.area),
        person_id: orNull(e.personId),
        detail: JSON.stringify(e.detail),
        chain_index: index,
        mac: '',
      };
      row.mac = linkMac(this.key, prev, eventCanonical(index, row));
      prev = row.mac;
      return row;
    });
    await insertEventRows(tx, rows);
    await moveHead(tx, controllerId, {
      chain_index: index,
      mac: prev,
      max_seq: Math.max(maxSeq, fresh.at(-1)!.seq),
    });
    return fresh;
  }

  /** The highest sequence stored for a controller (heads made before they remembered it). */
  private async storedMaxSeq(tx: Executor, controllerId: string): Promise<number> {
    const row = await tx
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('max'))
      .where('controller_id', '=', controllerId)
      .executeTakeFirst();
    return row?.max === null || row?.max === undefined ? 0 : Number(row.max);
  }

  /** Every controller's chain head (for checkpoints). */
  async heads(): Promise<Map<string, { index: number; mac: string }>> {
    const rows = await this.db.selectFrom('event_chain_heads').selectAll().execute();
    return new Map(rows.map((r) => [r.controller_id, { index: Number(r.chain_index), mac: r.mac }]));
  }

  /**
   * Checks every controller's chain, reporting every broken span. `checkpoints` are the last anchored
   * heads: a controller found there but with no events left is reported as deleted.
   */
  async verify(
    checkpoints: ReadonlyMap<string, { index: number; mac: string }> = new Map(),
    /** by controller id: where a retention purge left each chain starting, and erasure seals */
    overlays: ReadonlyMap<string, ChainOverlay> = new Map(),
  ): Promise<ChainVerdict[]> {
    const stored = await this.db.selectFrom('events').select('controller_id').distinct().execute();
    const controllers = [
      ...new Set([...stored.map((r) => r.controller_id), ...checkpoints.keys(), ...overlays.keys()]),
    ].sort();
    const verdicts: ChainVerdict[] = [];
    for (const controllerId of controllers) {
      const checker = new ChainChecker(`events:${controllerId}`, this.key, 'event');
      const overlay = overlays.get(controllerId);
      if (overlay?.floor) checker.startAt(overlay.floor);
      const checkpoint = checkpoints.get(controllerId);
      let after = 0;
      const batch = 5000;
      for (;;) {
        const rows = await this.db
          .selectFrom('events')
          .selectAll()
          .where('controller_id', '=', controllerId)
          .where('chain_index', '>', after)
          .orderBy('chain_index')
          .limit(batch)
          .execute();
        for (const row of rows) {
          const index = Number(row.chain_index);
          const fields = { ...row, seq: Number(row.seq), at: Number(row.at) };
          const seal = overlay?.seals.get(index);
          checker.add({
            index,
            mac: row.mac ?? '',
            canonical: eventCanonical(index, fields),
            ...(seal !== undefined && { seal }),
          });
          if (checkpoint && index === checkpoint.index) checker.checkpointMac = row.mac ?? '';
          after = index;
        }
        if (rows.length < batch) break;
      }
      verdicts.push(await this.excusePurged(controllerId, checker.finish(checkpoint)));
    }
    return verdicts;
  }

  /** A verdict without the gaps retention made (purge records under the key: event-store-retention.ts). */
  private async excusePurged(controllerId: string, verdict: ChainVerdict): Promise<ChainVerdict> {
    if (!verdict.spans.some((s) => GAPS.has(s.problem))) return verdict;
    const purges = await validPurges(this.db, this.key, controllerId);
    if (purges.length === 0) return verdict;
    const budget = { left: purges.reduce((n, p) => n + p.count, 0) };
    const spans = verdict.spans.filter(
      (s) => !(GAPS.has(s.problem) && excusedByPurges(purges, s.from, s.to, budget)),
    );
    return { ...verdict, spans };
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
    return eventPage(await query.execute(), limit);
  }
}

/** An event row with the names joined to it, as the event search and the event export select it. */
export interface NamedEventRow {
  id: number | string;
  controller_id: string;
  seq: number | string;
  at: number | string;
  type: string;
  door: string | null;
  area: string | null;
  person_id: string | null;
  person_name?: string | null;
  door_name?: string | null;
  detail: string;
}

/**
 * One page of events from rows fetched `limit + 1` at a time (ordered by time, then id): the extra
 * row only says that a next page exists, and the cursor names the last event shown.
 */
export function eventPage(rows: readonly NamedEventRow[], limit: number): Page<StoredEvent & NamedEvent> {
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
