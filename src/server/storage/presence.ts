// Where each person is, for anti-passback across controllers: a compare-and-set keyed on a version,
// so two doors deciding at once — or two server instances taking in reports at once — cannot both
// move the same person. Beside the area, the passage that put them there (when, which door, which
// controller), for reconciling passages that controllers decided apart.

import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { inTransaction, sqliteConnection, sqliteStatement } from './db.ts';
import { untilUnlocked } from './sqlite-driver.ts';

type BetterSqlite3Database = NonNullable<ReturnType<typeof sqliteConnection>>;

import type { Database } from './schema.ts';

export interface PresenceRecord {
  area: string | null;
  version: number;
}

/** A person's presence with the passage behind it (version 0: never seen). */
export interface Passage {
  person: string;
  area: string | null;
  version: number;
  /** when the passage happened; 0 when the presence came from something else */
  at: number;
  controllerId: string | null;
  door: string | null;
}

/** A move to record if the person's presence is still at `expectedVersion`. */
export interface PassageMove {
  person: string;
  expectedVersion: number;
  area: string | null;
  at: number;
  controllerId: string;
  door: string;
}

/** Rows per statement: 6 parameters each stays far below SQLite's 32,766. */
const CHUNK = 1000;

// The ingest path's reads and writes (one batch of passages: presence-coordinator.ts), on SQLite as
// statements prepared once per connection and run per person: a multi-row statement is compiled and
// prepared anew each time, which cost more than running it. PostgreSQL takes one array per column.
const SQLITE_PASSAGE = 'SELECT area, version, at, controller_id, door FROM presence WHERE person_id = ?';
const SQLITE_RECORD = `INSERT INTO presence (person_id, area, version, at, controller_id, door)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (person_id) DO UPDATE SET area = excluded.area, version = excluded.version,
    at = excluded.at, controller_id = excluded.controller_id, door = excluded.door
  WHERE presence.version = excluded.version - 1
  RETURNING person_id`;
const SQLITE_RESET = 'SELECT at FROM presence_area_resets WHERE area = ?';

interface PresenceRow {
  area: string | null;
  version: number | string;
  at?: number | string | null;
  controller_id?: string | null;
  door?: string | null;
}

const passageOf = (person: string, r: PresenceRow): Passage => ({
  person,
  area: r.area,
  version: Number(r.version),
  at: r.at == null ? 0 : Number(r.at),
  controllerId: r.controller_id ?? null,
  door: r.door ?? null,
});

/**
 * Runs `fn` on the SQLite connection as Kysely would hand it out: inside the caller's transaction
 * as it is; outside one, once the connection is free (Kysely lends its one connection to one
 * transaction at a time), in a transaction of its own — run on the bare handle, the statements would
 * join whichever transaction is open on it at that moment, and a write would commit or roll back
 * with it.
 */
function onSqlite<T>(
  db: Kysely<Database>,
  sqlite: BetterSqlite3Database,
  mode: 'read' | 'write',
  fn: () => T,
): Promise<T> | T {
  if (db.isTransaction) return fn();
  const run = sqlite.transaction(fn);
  if (mode === 'read') return db.connection().execute(async () => run.deferred());
  // A write waits for SQLite's write lock as the driver does, off the event loop (sqlite-driver.ts):
  // BEGIN IMMEDIATE fails at once while another writer holds it, before `fn` has run.
  return untilUnlocked(() => db.connection().execute(async () => run.immediate()));
}

export class PresenceStore {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /** Current presence; a person never seen is `outside` at version 0. */
  async get(personId: string): Promise<PresenceRecord> {
    const row = await this.db
      .selectFrom('presence')
      .select(['area', 'version'])
      .where('person_id', '=', personId)
      .executeTakeFirst();
    return row ?? { area: 'outside', version: 0 };
  }

  /**
   * Moves a person if their presence is still at `expectedVersion`; false when someone else moved
   * them first (the caller re-reads and decides again).
   */
  async transition(personId: string, expectedVersion: number, to: string | null): Promise<boolean> {
    if (expectedVersion === 0) {
      const result = await this.db
        .insertInto('presence')
        .values({ person_id: personId, area: to, version: 1 })
        .onConflict((oc) => oc.column('person_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const result = await this.db
      .updateTable('presence')
      .set({ area: to, version: expectedVersion + 1 })
      .where('person_id', '=', personId)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Anti-passback compare-and-set on the area itself: moves the person to `to` only if they are still
   * in `expectedFrom` (a person never seen is `outside`). Of two concurrent moves from the same
   * area, exactly one wins; the loser re-reads and decides again.
   */
  async transitionPresence(personId: string, expectedFrom: string, to: string): Promise<boolean> {
    const moved = await this.db
      .updateTable('presence')
      .set((eb) => ({ area: to, version: eb('version', '+', 1) }))
      .where('person_id', '=', personId)
      .where('area', '=', expectedFrom)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 1) return true;
    if (expectedFrom !== 'outside') return false;
    // Never seen: the first move creates the record; a concurrent first move finds it taken.
    const created = await this.db
      .insertInto('presence')
      .values({ person_id: personId, area: to, version: 1 })
      .onConflict((oc) => oc.column('person_id').doNothing())
      .executeTakeFirst();
    return Number(created.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** The presence of each of these people (never seen: version 0, outside). */
  async passages(personIds: readonly string[]): Promise<Map<string, Passage>> {
    const unique = [...new Set(personIds)];
    const found = new Map<string, Passage>();
    const sqlite = sqliteConnection(this.db);
    if (sqlite) {
      const read = sqliteStatement(sqlite, SQLITE_PASSAGE);
      await onSqlite(this.db, sqlite, 'read', () => {
        for (const person of unique) {
          const row = read.get(person) as PresenceRow | undefined;
          if (row) found.set(person, passageOf(person, row));
        }
      });
    } else if (this.postgres)
      // one probe of the key per person, laterally: `person_id = any(…)` was planned as a scan
      // of the table while it had no statistics yet (a new installation's first hours)
      for (const r of (
        await sql<PresenceRow & { person_id: string }>`
          select v.person_id, p.area, p.version, p.at, p.controller_id, p.door
          from unnest(${unique}::varchar[]) as v(person_id)
          join lateral (select area, version, at, controller_id, door from presence
            where person_id = v.person_id limit 1) p on true`.execute(this.db)
      ).rows)
        found.set(r.person_id, passageOf(r.person_id, r));
    else
      for (let i = 0; i < unique.length; i += CHUNK) {
        const rows = await this.db
          .selectFrom('presence')
          .select(['person_id', 'area', 'version', 'at', 'controller_id', 'door'])
          .where('person_id', 'in', unique.slice(i, i + CHUNK))
          .execute();
        for (const r of rows) found.set(r.person_id, passageOf(r.person_id, r));
      }
    for (const person of unique)
      if (!found.has(person))
        found.set(person, { person, area: 'outside', version: 0, at: 0, controllerId: null, door: null });
    return found;
  }

  /**
   * Records passages, each only if that person's presence is still at its expected version (one
   * compare-and-set per person, in bulk: an upsert that updates only the row at that version).
   * Returns the people whose move lost to someone else's: the caller re-reads and decides again.
   * One move per person per call.
   */
  async recordPassages(moves: readonly PassageMove[]): Promise<Set<string>> {
    const won = new Set<string>();
    const sqlite = sqliteConnection(this.db);
    if (sqlite) {
      const record = sqliteStatement(sqlite, SQLITE_RECORD);
      await onSqlite(this.db, sqlite, 'write', () => {
        for (const m of moves)
          if (record.get(m.person, m.area, m.expectedVersion + 1, m.at, m.controllerId, m.door))
            won.add(m.person);
      });
    } else if (this.postgres) {
      if (moves.length > 0) {
        const column = <K extends keyof PassageMove>(key: K) => moves.map((m) => m[key]);
        const rows = await sql<{ person_id: string }>`
          insert into presence (person_id, area, version, at, controller_id, door)
          select * from unnest(${column('person')}::varchar[], ${column('area')}::varchar[],
            ${moves.map((m) => m.expectedVersion + 1)}::integer[], ${column('at')}::bigint[],
            ${column('controllerId')}::varchar[], ${column('door')}::varchar[])
          on conflict (person_id) do update set area = excluded.area, version = excluded.version,
            at = excluded.at, controller_id = excluded.controller_id, door = excluded.door
          where presence.version = excluded.version - 1
          returning person_id`.execute(this.db);
        for (const r of rows.rows) won.add(r.person_id);
      }
    } else
      for (let i = 0; i < moves.length; i += CHUNK) {
        const rows = await this.db
          .insertInto('presence')
          .values(
            moves.slice(i, i + CHUNK).map((m) => ({
              person_id: m.person,
              area: m.area,
              version: m.expectedVersion + 1,
              at: m.at,
              controller_id: m.controllerId,
              door: m.door,
            })),
          )
          .onConflict((oc) =>
            oc
              .column('person_id')
              .doUpdateSet((eb) => ({
                area: eb.ref('excluded.area'),
                version: eb.ref('excluded.version'),
                at: eb.ref('excluded.at'),
                controller_id: eb.ref('excluded.controller_id'),
                door: eb.ref('excluded.door'),
              }))
              .where('presence.version', '=', (eb) => eb(eb.ref('excluded.version'), '-', 1)),
          )
          .returning('person_id')
          .execute();
        for (const r of rows) won.add(r.person_id);
      }
    return new Set(moves.map((m) => m.person).filter((p) => !won.has(p)));
  }

  /**
   * Makes these people's presence unknown (an operator forgave them, or an area was reset): their
   * next passage is allowed and makes it known again. Returns how many were changed.
   */
  async forget(personIds: readonly string[], at: number): Promise<number> {
    let changed = 0;
    const unique = [...new Set(personIds)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const result = await this.db
        .updateTable('presence')
        .set((eb) => ({ area: null, version: eb('version', '+', 1), at, controller_id: null, door: null }))
        .where('person_id', 'in', unique.slice(i, i + CHUNK))
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    return changed;
  }

  /**
   * Makes the presence of everyone in these areas unknown (an anti-passback reset), and remembers
   * when: a passage into one of them made before `at` and reported later no longer counts
   * (`resetsOf`), as the controllers applied the reset to it already.
   */
  async forgetAreas(areas: readonly string[], at: number): Promise<number> {
    if (areas.length === 0) return 0;
    const unique = [...new Set(areas)];
    return inTransaction(this.db, async (tx) => {
      for (let i = 0; i < unique.length; i += CHUNK)
        await tx
          .insertInto('presence_area_resets')
          .values(unique.slice(i, i + CHUNK).map((area) => ({ area, at })))
          .onConflict((oc) =>
            oc
              .column('area')
              .doUpdateSet((eb) => ({ at: eb.ref('excluded.at') }))
              .where('presence_area_resets.at', '<', (eb) => eb.ref('excluded.at')),
          )
          .execute();
      const result = await tx
        .updateTable('presence')
        .set((eb) => ({ area: null, version: eb('version', '+', 1), at, controller_id: null, door: null }))
        .where('area', 'in', unique)
        // A passage after the reset (reported before a late report of the reset) still stands.
        .where((eb) => eb.or([eb('at', 'is', null), eb('at', '<', at)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  /** When each of these areas was last reset (areas never reset are left out). */
  async resetsOf(areas: readonly string[]): Promise<Map<string, number>> {
    const unique = [...new Set(areas)];
    const resets = new Map<string, number>();
    const sqlite = sqliteConnection(this.db);
    if (sqlite) {
      const read = sqliteStatement(sqlite, SQLITE_RESET);
      await onSqlite(this.db, sqlite, 'read', () => {
        for (const area of unique) {
          const row = read.get(area) as { at: number } | undefined;
          if (row) resets.set(area, Number(row.at));
        }
      });
      return resets;
    }
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('presence_area_resets')
        .select(['area', 'at'])
        .where('area', 'in', unique.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) resets.set(r.area, Number(r.at));
    }
    return resets;
  }

  /** Everyone whose presence is known to be in one of these areas (or in any area: undefined). */
  async inside(areas?: readonly string[]): Promise<Passage[]> {
    let query = this.db
      .selectFrom('presence')
      .select(['person_id', 'area', 'version', 'at', 'controller_id', 'door'])
      .where('area', 'is not', null)
      .where('area', '!=', 'outside');
    if (areas !== undefined) query = query.where('area', 'in', areas.length > 0 ? [...areas] : ['']);
    return (await query.orderBy('person_id').execute()).map((r) => ({
      person: r.person_id,
      area: r.area,
      version: Number(r.version),
      at: r.at == null ? 0 : Number(r.at),
      controllerId: r.controller_id ?? null,
      door: r.door ?? null,
    }));
  }
}
