// A generated event history written straight into storage, for the event search figures: 10,000,000
// events must fit the shared 2-core machine (issue 11 §7), and row by row through the event store —
// or even by SQL into the indexed table, as before — they took about 17 minutes per engine. The
// store is a scratch one, so its bulk load may take shortcuts a server never takes, as long as what
// the search then reads is what a server's would be: the real schema (made by the migrations), the
// real indexes (rebuilt from their own definitions, as the catalog holds them), fresh statistics.
// - Both engines: the events' indexes are dropped, the rows inserted by SQL in time order, and the
//   indexes built after, each by one sort rather than 10,000,000 random insertions.
// - SQLite: the load runs on a connection of its own with no rollback journal and no fsync (a crash
//   mid-load loses only the scratch file), a large page cache and sorter threads; the file is put
//   back to WAL mode before the store opens it with the server's own settings.
// - PostgreSQL: each month's partition is filled by its own statement, two at a time (the machine's
//   two cores), with ids given in time order (as the sequence would give them) and the sequence moved
//   past them; then each partition's indexes are built, two at a time, with a large
//   maintenance_work_mem for those sessions only, and attached to the parent's indexes when these are
//   made again from their definitions; then VACUUM ANALYZE, as autovacuum would have done by then.

import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { monthOf, monthStart, partitionDdl, partitionName } from '../src/server/storage/event-partitions.ts';
import type { Progress } from './stats.ts';

export const DAY = 86_400_000;

/** The generated history's shape: `events` over `days` from `t0`, spread at random over people and doors. */
export interface HistoryShape {
  events: number;
  people: number;
  doors: number;
  t0: number;
  days: number;
}

/** Milliseconds between consecutive generated events. */
export const historyStep = (shape: HistoryShape): number =>
  Math.max(1, Math.floor((shape.days * DAY) / shape.events));

const COLUMNS = 'controller_id, seq, at, type, door, area, person_id, detail';

/**
 * The SELECT of events lo..hi-1 of the generated history, in the schema's columns (after `id` on
 * PostgreSQL, given in time order): time-ordered, 100 controllers in turn, people and doors at random.
 */
export function generatedEvents(
  lo: number,
  hi: number,
  shape: HistoryShape,
  dialect: 'sqlite' | 'postgres',
): { columns: string; select: string } {
  const step = historyStep(shape);
  const detail = `'{"result":"grant","reason":"granted","side":"in"}'`;
  const rand = (n: number) =>
    dialect === 'sqlite' ? `(abs(random()) % ${n})` : `floor(random() * ${n})::int`;
  const values = `'gen-' || (i % 100), i, ${shape.t0} + i * ${step}, 'access', 'door-' || ${rand(shape.doors)}, 'area-1', 'person-' || ${rand(shape.people)}, ${detail}`;
  return dialect === 'sqlite'
    ? {
        columns: COLUMNS,
        select: `WITH RECURSIVE n(i) AS (SELECT ${lo} UNION ALL SELECT i + 1 FROM n WHERE i < ${hi - 1}) SELECT ${values} FROM n`,
      }
    : {
        columns: `id, ${COLUMNS}`,
        select: `SELECT i + 1, ${values} FROM generate_series(${lo}::bigint, ${hi - 1}::bigint) AS i`,
      };
}

const CHUNK = 1_000_000;
const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

/**
 * Fills the SQLite store at `file` (migrated, its people and doors in, no connection open on it)
 * with the generated history. Returns when the file is back in WAL mode, ready to be opened.
 */
export function generateSqliteHistory(
  file: string,
  shape: HistoryShape,
  progress: Progress,
  label: string,
): void {
  const db = new BetterSqlite3(file);
  try {
    // Scratch-load settings, this connection only: the file is thrown away after the run.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('cache_size = -1048576');
    db.pragma('threads = 2');
    const indexes = db
      .prepare<[], { name: string; sql: string }>(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL`,
      )
      .all();
    for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
    const t0 = performance.now();
    for (let lo = 0; lo < shape.events; lo += CHUNK) {
      const hi = Math.min(shape.events, lo + CHUNK);
      const { columns, select } = generatedEvents(lo, hi, shape, 'sqlite');
      db.exec(`INSERT INTO events (${columns}) ${select}`);
      if (hi === shape.events || (hi / CHUNK) % 2 === 0)
        progress(
          `events ${label}: ${hi.toLocaleString('en')} / ${shape.events.toLocaleString('en')} rows (${seconds(t0)} s)`,
        );
    }
    for (const { name, sql } of indexes) {
      const t = performance.now();
      db.exec(sql);
      progress(`events ${label}: index ${name} built (${seconds(t)} s)`);
    }
    db.exec('ANALYZE');
    db.pragma('locking_mode = NORMAL');
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}

interface IndexDef {
  name: string;
  def: string;
}

/** Runs `work` over `items` on `lanes` connections at once, each its own session of `url`. */
async function onConnections<T>(
  url: string,
  lanes: number,
  items: readonly T[],
  setup: readonly string[],
  work: (client: pg.Client, item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const statement of setup) await client.query(statement);
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(client, item);
      } finally {
        await client.end();
      }
    }),
  );
}

/**
 * Fills the PostgreSQL database at `url` (migrated, its people and doors in, its `events` empty)
 * with the generated history, on sessions of its own.
 */
export async function generatePostgresHistory(
  url: string,
  shape: HistoryShape,
  progress: Progress,
  label: string,
): Promise<void> {
  const step = historyStep(shape);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // The parent's indexes, as the migrations made them; dropping one drops it on every partition.
    const indexes = (
      await admin.query<IndexDef>(
        `SELECT c.relname AS name, pg_get_indexdef(c.oid) AS def FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'events'::regclass`,
      )
    ).rows;
    for (const { name } of indexes) await admin.query(`DROP INDEX "${name}"`);
    // A month's rows go to its partition by name (no routing per row): i in [lo, hi) is that month.
    const last = shape.t0 + (shape.events - 1) * step;
    const months: { month: number; lo: number; hi: number }[] = [];
    for (let month = monthOf(shape.t0); month <= monthOf(last); month++) {
      const [from, until] = [monthStart(month), monthStart(month + 1)];
      const lo = Math.max(0, Math.ceil((from - shape.t0) / step));
      const hi = Math.min(shape.events, Math.ceil((until - shape.t0) / step));
      await admin.query(partitionDdl(month));
      if (hi > lo) months.push({ month, lo, hi });
    }
    const t0 = performance.now();
    let written = 0;
    await onConnections(
      url,
      2,
      months,
      ['SET synchronous_commit = off'],
      async (client, { month, lo, hi }) => {
        for (let from = lo; from < hi; from += CHUNK) {
          const { columns, select } = generatedEvents(from, Math.min(hi, from + CHUNK), shape, 'postgres');
          await client.query(`INSERT INTO ${partitionName(month)} (${columns}) ${select}`);
          written += Math.min(hi, from + CHUNK) - from;
          progress(
            `events ${label}: ${written.toLocaleString('en')} / ${shape.events.toLocaleString('en')} rows (${seconds(t0)} s)`,
          );
        }
      },
    );
    await admin.query(`SELECT setval('event_ids', ${shape.events + 1}, false)`);
    // Each partition's indexes, built two at a time; the parent's CREATE INDEX then attaches them
    // (a partition's index that matches is attached rather than built again).
    const t1 = performance.now();
    const builds = months.flatMap(({ month }) =>
      indexes.map(({ def }) => ({
        partition: partitionName(month),
        def: def.replace(
          /^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+/,
          (_, unique = '') => `CREATE ${unique}INDEX ON ${partitionName(month)}`,
        ),
      })),
    );
    await onConnections(
      url,
      2,
      builds,
      ["SET maintenance_work_mem = '1GB'", 'SET max_parallel_maintenance_workers = 0'],
      async (client, { def }) => {
        await client.query(def);
      },
    );
    progress(`events ${label}: ${builds.length} partition indexes built (${seconds(t1)} s)`);
    for (const { def } of indexes) await admin.query(def.replace(' ON ONLY ', ' ON '));
    const t2 = performance.now();
    await onConnections(url, 2, months, ["SET maintenance_work_mem = '1GB'"], async (client, { month }) => {
      await client.query(`VACUUM (ANALYZE) ${partitionName(month)}`);
    });
    await admin.query('ANALYZE events');
    progress(`events ${label}: vacuumed and analyzed (${seconds(t2)} s)`);
  } finally {
    await admin.end();
  }
}
