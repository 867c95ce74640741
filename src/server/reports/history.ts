// The facts the reports read, recorded at ingest in the transaction that stores the events (so a
// batch is stored with its history or not at all):
// - presence history: each granted passage ends the person's stay where they were and begins one in
//   the area the door leads to, with the door, controller and sequence (stays `outside` too: a late
//   passage must know where the person went next);
// - when each credential last opened a door.
//
// Passages usually arrive in time order per person: those extend the history at its end in bulk. A
// passage older than the person's latest (a controller that was offline reports late) is fitted in
// where it belongs: it ends the stay it falls in, and the stay it begins ends where that one did.
// A person's latest stay, read from the (person, entered) index, says both where their history ends
// (its start: is a passage late?) and which row to close (the open stay is always the latest: a late
// passage is fitted in before it). Each index over presence history kept by person costs a random
// page write per passage, so there is just that one: a table of heads and an index of open stays by
// person are gone (2026_12_03_0820 and _0850).

import { PostgresAdapter, sql } from 'kysely';
import type { ControllerEvent } from '../../contracts/messages.ts';
import { type Executor, sqliteConnection, sqliteStatement } from '../storage/db.ts';
import { reportDb } from './tables.ts';

const CHUNK = 500;

// SQLite: the per-passage writes as statements prepared once per connection, run per row in the
// batch's transaction (Kysely would compile and prepare a multi-row statement anew every batch).
const SQLITE_STAY = `INSERT INTO presence_history
  (person_id, area, entered_at, entered_door, controller_id, seq, left_at, left_door)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
const SQLITE_LATEST = `SELECT id, entered_at, left_at FROM presence_history WHERE person_id = ?
  ORDER BY entered_at DESC, id DESC LIMIT 1`;
const SQLITE_CLOSE =
  'UPDATE presence_history SET left_at = ?, left_door = ? WHERE id = ? AND left_at IS NULL';
const SQLITE_LAST_USE = `INSERT INTO credential_last_use (credential_id, last_used_at, door) VALUES (?, ?, ?)
  ON CONFLICT (credential_id) DO UPDATE SET last_used_at = excluded.last_used_at, door = excluded.door
  WHERE credential_last_use.last_used_at < excluded.last_used_at`;

interface Passage {
  person: string;
  area: string;
  at: number;
  door: string;
  controllerId: string;
  seq: number;
}

/** PostgreSQL takes a batch's rows as one array per column (unnest): one statement, few parameters. */
const isPostgres = (tx: Executor) => tx.getExecutor().adapter instanceof PostgresAdapter;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Records the report facts of one batch of newly stored events from one controller. */
export function recordReportFacts(
  tx: Executor,
  controllerId: string,
  events: readonly ControllerEvent[],
): Promise<void> {
  return recordGroupReportFacts(tx, [{ controllerId, events }]);
}

/**
 * Records the report facts of a group's batches (ingest.ts commits several controllers' batches in
 * one transaction) with one statement per kind of write for the whole group, not one per batch: on
 * PostgreSQL each statement is a round trip, and the group's transaction holds its locks meanwhile.
 * The batches are taken in the order given, as if recorded one after the other.
 */
export async function recordGroupReportFacts(
  tx: Executor,
  batches: readonly { controllerId: string; events: readonly ControllerEvent[] }[],
): Promise<void> {
  const grants = batches.flatMap(({ controllerId, events }, batch) =>
    events
      .filter(
        (e) =>
          e.type === 'access' &&
          e.detail.result === 'grant' &&
          e.person !== undefined &&
          e.door !== undefined,
      )
      .map((event) => ({ controllerId, batch, event })),
  );
  if (grants.length === 0) return;
  const db = reportDb(tx);
  await lastUses(
    tx,
    grants.map((g) => g.event),
  );

  const doorIds = [...new Set(grants.map((g) => g.event.door!))];
  const geometry = new Map<string, { from: string; to: string }>();
  for (const ids of chunks(doorIds))
    for (const d of await db
      .selectFrom('doors')
      .select(['id', 'from_area', 'to_area'])
      .where('id', 'in', ids)
      .execute())
      geometry.set(d.id, { from: d.from_area, to: d.to_area });
  const passages: (Passage & { batch: number })[] = [];
  for (const { controllerId, batch, event: e } of grants) {
    const door = geometry.get(e.door!);
    if (!door) continue;
    passages.push({
      person: e.person!,
      area: e.detail.side === 'out' ? door.from : door.to,
      at: e.at,
      door: e.door!,
      controllerId,
      seq: e.seq,
      batch,
    });
  }
  // Time order; passages of one instant in batch order, then sequence (as one batch after another).
  passages.sort((a, b) => a.at - b.at || a.batch - b.batch || a.seq - b.seq);

  const heads = await latestStays(tx, [...new Set(passages.map((p) => p.person))]);
  // Per person: passages at or after their latest go on the end in bulk; older ones are fitted in.
  const inOrder = new Map<string, Passage[]>();
  const late: Passage[] = [];
  for (const p of passages) {
    const head = heads.get(p.person);
    const list = inOrder.get(p.person);
    if (list) list.push(p);
    else if (head === undefined || p.at >= head.at) inOrder.set(p.person, [p]);
    else late.push(p);
  }
  await extend(tx, inOrder, heads);
  for (const p of late) await fitIn(tx, p);
}

/** A person's latest stay: when it began, and its row while it is open. */
interface Latest {
  at: number;
  openId: number | null;
}

interface LatestRow {
  person_id: string;
  id: number | string | null;
  entered_at: number | string | null;
  left_at: number | string | null;
}

/** Each person's latest stay (none: never seen). */
async function latestStays(tx: Executor, people: readonly string[]): Promise<Map<string, Latest>> {
  const heads = new Map<string, Latest>();
  const add = (person: string, r: Partial<LatestRow> | undefined) => {
    if (r?.entered_at == null) return;
    heads.set(person, { at: Number(r.entered_at), openId: r.left_at === null ? Number(r.id) : null });
  };
  const sqlite = sqliteConnection(tx);
  if (sqlite) {
    // One probe of the (person, entered) index per person, from its end.
    const latest = sqliteStatement(sqlite, SQLITE_LATEST);
    for (const person of people) add(person, latest.get(person) as LatestRow | undefined);
    return heads;
  }
  if (isPostgres(tx)) {
    // The same probe per person, laterally over the array.
    for (const ids of chunks(people))
      for (const r of (
        await sql<LatestRow>`
          select v.person_id, h.id, h.entered_at, h.left_at
          from unnest(${ids}::varchar[]) as v(person_id)
          join lateral (select id, entered_at, left_at from presence_history
            where person_id = v.person_id order by entered_at desc, id desc limit 1) h on true`.execute(tx)
      ).rows)
        add(r.person_id, r);
    return heads;
  }
  for (const person of people)
    add(
      person,
      await reportDb(tx)
        .selectFrom('presence_history')
        .select(['id', 'entered_at', 'left_at'])
        .where('person_id', '=', person)
        .orderBy('entered_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst(),
    );
  return heads;
}

const stayOf = (p: Passage, leftAt: number | null, leftDoor: string | null) => ({
  person_id: p.person,
  area: p.area,
  entered_at: p.at,
  entered_door: p.door,
  controller_id: p.controllerId,
  seq: p.seq,
  left_at: leftAt,
  left_door: leftDoor,
});

/**
 * Passages after each person's latest, in time order per person: each person's open stay ends at
 * their first passage, and each passage begins a stay that the next one ends (the last stays open).
 */
async function extend(
  tx: Executor,
  byPerson: ReadonlyMap<string, readonly Passage[]>,
  heads: ReadonlyMap<string, Latest>,
): Promise<void> {
  if (byPerson.size === 0) return;
  const db = reportDb(tx);
  // The open stays these passages end, by row (a person's open stay is their latest).
  const closes: { id: number; at: number; door: string }[] = [];
  for (const [person, list] of byPerson) {
    const id = heads.get(person)?.openId;
    if (id != null) closes.push({ id, at: list[0]!.at, door: list[0]!.door });
  }
  const sqlite = sqliteConnection(tx);
  // SQLite: a prepared UPDATE per row (compiling an UPDATE … FROM VALUES of 500 rows cost more
  // than running it); PostgreSQL: one UPDATE … FROM unnest.
  if (sqlite) {
    const close = sqliteStatement(sqlite, SQLITE_CLOSE);
    for (const c of closes) close.run(c.at, c.door, c.id);
  } else if (isPostgres(tx)) {
    if (closes.length > 0)
      await sql`update presence_history set left_at = v.at, left_door = v.door
        from unnest(${closes.map((c) => c.id)}::bigint[], ${closes.map((c) => c.at)}::bigint[],
          ${closes.map((c) => c.door)}::varchar[]) as v(id, at, door)
        where presence_history.id = v.id and presence_history.left_at is null`.execute(tx);
  } else
    for (const c of closes)
      await db
        .updateTable('presence_history')
        .set({ left_at: c.at, left_door: c.door })
        .where('id', '=', c.id)
        .where('left_at', 'is', null)
        .execute();
  const stays: ReturnType<typeof stayOf>[] = [];
  for (const list of byPerson.values())
    list.forEach((p, i) => {
      const next = list[i + 1];
      stays.push(stayOf(p, next?.at ?? null, next?.door ?? null));
    });
  if (sqlite) {
    const insert = sqliteStatement(sqlite, SQLITE_STAY);
    for (const r of stays)
      insert.run(
        r.person_id,
        r.area,
        r.entered_at,
        r.entered_door,
        r.controller_id,
        r.seq,
        r.left_at,
        r.left_door,
      );
    return;
  }
  if (isPostgres(tx)) {
    const column = <K extends keyof (typeof stays)[number]>(key: K) => stays.map((r) => r[key]);
    await sql`insert into presence_history
        (person_id, area, entered_at, entered_door, controller_id, seq, left_at, left_door)
      select * from unnest(${column('person_id')}::varchar[], ${column('area')}::varchar[],
        ${column('entered_at')}::bigint[], ${column('entered_door')}::varchar[],
        ${column('controller_id')}::varchar[], ${column('seq')}::bigint[], ${column('left_at')}::bigint[],
        ${column('left_door')}::varchar[])`.execute(tx);
    return;
  }
  for (const part of chunks(stays, 400)) await db.insertInto('presence_history').values(part).execute();
}

/** A passage reported late: it splits the stay it falls in, or fills the gap before the next stay. */
async function fitIn(tx: Executor, p: Passage): Promise<void> {
  const db = reportDb(tx);
  const before = await db
    .selectFrom('presence_history')
    .select(['id', 'left_at', 'left_door'])
    .where('person_id', '=', p.person)
    .where('entered_at', '<=', p.at)
    .orderBy('entered_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  let end: { at: number | null; door: string | null };
  if (before && (before.left_at === null || Number(before.left_at) > p.at)) {
    end = { at: before.left_at === null ? null : Number(before.left_at), door: before.left_door };
    await db
      .updateTable('presence_history')
      .set({ left_at: p.at, left_door: p.door })
      .where('id', '=', before.id)
      .execute();
  } else {
    const next = await db
      .selectFrom('presence_history')
      .select(['entered_at', 'entered_door'])
      .where('person_id', '=', p.person)
      .where('entered_at', '>', p.at)
      .orderBy('entered_at')
      .limit(1)
      .executeTakeFirst();
    end = next ? { at: Number(next.entered_at), door: next.entered_door } : { at: null, door: null };
  }
  await db
    .insertInto('presence_history')
    .values(stayOf(p, end.at, end.door))
    .execute();
}

/** When each credential of these grants was last used (the latest wins, whatever the order). */
async function lastUses(tx: Executor, grants: readonly ControllerEvent[]): Promise<void> {
  const latest = new Map<string, { at: number; door: string | null }>();
  for (const e of grants) {
    const id = e.detail.credentialId;
    if (typeof id !== 'string') continue;
    const seen = latest.get(id);
    if (!seen || e.at > seen.at) latest.set(id, { at: e.at, door: e.door ?? null });
  }
  const rows = [...latest].map(([credential_id, u]) => ({
    credential_id,
    last_used_at: u.at,
    door: u.door,
  }));
  if (rows.length === 0) return;
  const sqlite = sqliteConnection(tx);
  if (sqlite) {
    const upsert = sqliteStatement(sqlite, SQLITE_LAST_USE);
    for (const r of rows) upsert.run(r.credential_id, r.last_used_at, r.door);
    return;
  }
  if (isPostgres(tx)) {
    // One statement of three arrays: a Kysely multi-row VALUES bound three parameters a row (1,500 a
    // batch), parsed and planned anew every batch. Sorted: concurrent groups lock the rows alike.
    rows.sort((a, b) => (a.credential_id < b.credential_id ? -1 : a.credential_id > b.credential_id ? 1 : 0));
    await sql`insert into credential_last_use (credential_id, last_used_at, door)
      select * from unnest(${rows.map((r) => r.credential_id)}::varchar[],
        ${rows.map((r) => r.last_used_at)}::bigint[], ${rows.map((r) => r.door)}::varchar[])
      on conflict (credential_id) do update set last_used_at = excluded.last_used_at, door = excluded.door
      where credential_last_use.last_used_at < excluded.last_used_at`.execute(tx);
    return;
  }
  for (const part of chunks(rows))
    await reportDb(tx)
      .insertInto('credential_last_use')
      .values(part)
      .onConflict((oc) =>
        oc
          .column('credential_id')
          .doUpdateSet((eb) => ({
            last_used_at: eb.ref('excluded.last_used_at'),
            door: eb.ref('excluded.door'),
          }))
          .where('credential_last_use.last_used_at', '<', (eb) => eb.ref('excluded.last_used_at')),
      )
      .execute();
}
