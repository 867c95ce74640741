// The event store at scale (issue 11 §4), on SQLite and on PostgreSQL:
// - ingest: controllers' batches of 500 events through EventStore.appendNew (exactly-once check,
//   keyed MAC chain, chain head moved in the same transaction), against a raw bulk insert of the same
//   rows (already chained) with the driver alone, one transaction per batch as well, in the same run,
//   interleaved round by round so both see the same machine. The chain's own cost (one HMAC per
//   event) is measured apart. The whole path (EventIngest: credential references, report facts,
//   presence) is measured twice on stores of its own: a batch at a time, and with each round's
//   batches of all controllers sent at once, as connected controllers send them, so the ingest
//   commits those waiting together (group commit) — what a busy server does.
// - search: a page of events by person + time range and by door + time range over a generated event
//   history (written straight into storage by SQL, indexes built after: event-history.ts), p50/p99
//   against the 50 ms target. The default size here is 1,000,000 events; `--events 10000000` (or
//   MONBAN_BENCH_EVENTS) runs the issue's 10,000,000, as `npm run bench:stack` does by default.
// measureIngestOn and measureSearchOn are the section's two parts, each on scratch stores of its own;
// `npm run bench -- --only events` (event-store-report.ts) and bench:stack (stack.ts) both call them.
// PostgreSQL runs when MONBAN_BENCH_DATABASE_URL or MONBAN_TEST_DATABASE_URL names a server (each
// run creates its own database and drops it after).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { credentialIdHash } from '../src/contracts/credential-key.ts';
import type { ControllerEvent } from '../src/contracts/messages.ts';
import { AlarmService } from '../src/server/alarms/service.ts';
import { securityDb } from '../src/server/auth/context.ts';
import { controllerAlarms } from '../src/server/controllers/controller-alarms.ts';
import type { EventIngest } from '../src/server/controllers/ingest.ts';
import { chainKeys, GENESIS, linkMac } from '../src/server/storage/chain.ts';
import { openStore, SQLITE_PRAGMAS, type Store } from '../src/server/storage/db.ts';
import { ensurePartitions } from '../src/server/storage/event-partitions.ts';
import { EventStore, eventCanonical, type StoredEvent } from '../src/server/storage/events.ts';
import { repositories } from '../src/server/storage/index.ts';
import { standaloneIngest } from '../test/support/event-ingest.ts';
import {
  DAY,
  generatePostgresHistory,
  generateSqliteHistory,
  type HistoryShape,
  historyStep,
} from './event-history.ts';
import { scratchDatabase } from './scratch-database.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';

export const TARGETS = {
  sqliteIngestPerSecond: 50_000,
  postgresIngestPerSecond: 20_000,
  ingestVsRaw: 0.5,
  searchP99Ms: 50,
};

export interface IngestFigures {
  events: number;
  batch: number;
  controllers: number;
  /** batches in flight at once (controllers ingested in parallel; SQLite has one writer) */
  parallel: number;
  ingestPerSecond: number;
  rawPerSecond: number;
  ratio: number;
  /** per batch, ms */
  ingestMs: LatencyStats;
  rawMs: LatencyStats;
  /** the MAC chain alone: µs per event, and its share of the ingest time */
  chainUsPerEvent: number;
  chainShare: number;
  /** a resent batch (every event already stored): ms */
  resendMs: number;
  /**
   * the whole ingest path a controller's batch takes (EventIngest: credential references, the
   * chain, report facts — presence history, credential last use — and presence moves, in one
   * transaction), on its own store with the doors, areas and people the events name
   */
  path: { perSecond: number; ratio: number; ms: LatencyStats };
  /**
   * the same path with every controller's batch of a round sent at once, as connected controllers
   * send them: EventIngest commits those that wait together (group commit, up to 2,000 events a
   * transaction), on a store of its own; `ms` is a batch's wait for its answer
   */
  grouped: { perSecond: number; ratio: number; ms: LatencyStats };
}

export interface SearchFigures {
  events: number;
  people: number;
  doors: number;
  days: number;
  generateSeconds: number;
  /** ms per page of up to 100 */
  byPerson: LatencyStats;
  byDoor: LatencyStats;
  personRows: number;
  doorRows: number;
}

export interface EngineReport {
  engine: 'SQLite' | 'PostgreSQL';
  ingest: IngestFigures;
  search: SearchFigures;
}

export interface EventStoreReport {
  engines: EngineReport[];
  /** why PostgreSQL was not measured, when it was not */
  postgresSkipped?: string;
}

const KEY_BYTES = new Uint8Array(32).fill(7);
const KEY = chainKeys(KEY_BYTES).events;
const T0 = Date.parse('2026-08-03T00:00:00Z');
const PEOPLE = 100_000;
const DOORS = 1_000;

const toMs = (s: LatencyStats): LatencyStats => ({
  samples: s.samples,
  p50: s.p50 / 1000,
  p99: s.p99 / 1000,
  p999: s.p999 / 1000,
  max: s.max / 1000,
});

/** A deterministic stream of access events: batch b belongs to controller b mod C, in sequence order. */
function makeBatches(controllers: number, perController: number, batch: number): StoredEvent[][] {
  const batches: StoredEvent[][] = [];
  let n = 0;
  for (let round = 0; round < perController; round++)
    for (let c = 0; c < controllers; c++) {
      const events: StoredEvent[] = [];
      for (let i = 0; i < batch; i++) {
        n++;
        const person = (n * 7919) % PEOPLE;
        events.push({
          controllerId: `ctl-${c}`,
          seq: round * batch + i + 1,
          at: T0 + n * 10,
          type: 'access',
          door: `door-${(c * 50 + (n % 50)) % DOORS}`,
          area: `area-${n % 40}`,
          personId: `person-${person}`,
          detail: {
            result: n % 17 === 0 ? 'deny' : 'grant',
            reason: n % 17 === 0 ? 'no_access_level' : 'granted',
            // as stored: the safe reference the server resolved the controller's hash to (the path
            // is given the hash itself: asControllerEvent)
            credential: `card:C-${person}`,
            credentialId: `cred-${person}`,
            side: n % 3 === 0 ? 'out' : 'in',
          },
        });
      }
      batches.push(events);
    }
  return batches;
}

interface Row {
  controller_id: string;
  seq: number;
  at: number;
  type: string;
  door: string | null;
  area: string | null;
  person_id: string | null;
  detail: string;
  chain_index: number;
  mac: string;
}

/** The rows the event store writes for these batches: the raw insert's input (chained outside the clock). */
function chainedRows(batches: StoredEvent[][]): { rows: Row[][]; chainMs: number } {
  const heads = new Map<string, { index: number; mac: string }>();
  let chainMs = 0;
  const rows = batches.map((batch) =>
    batch.map((e) => {
      const head = heads.get(e.controllerId) ?? { index: 0, mac: GENESIS };
      const fields = {
        controller_id: e.controllerId,
        seq: e.seq,
        at: e.at,
        type: e.type,
        door: e.door ?? null,
        area: e.area ?? null,
        person_id: e.personId ?? null,
        detail: JSON.stringify(e.detail),
      };
      const t = performance.now();
      const mac = linkMac(KEY, head.mac, eventCanonical(head.index + 1, fields));
      chainMs += performance.now() - t;
      heads.set(e.controllerId, { index: head.index + 1, mac });
      return { ...fields, chain_index: head.index + 1, mac };
    }),
  );
  return { rows, chainMs };
}

const COLUMNS = [
  'controller_id',
  'seq',
  'at',
  'type',
  'door',
  'area',
  'person_id',
  'detail',
  'chain_index',
  'mac',
];

/** One batch of rows inserted the plainest way the engine has, in one transaction. */
type RawInsert = (rows: Row[]) => Promise<void>;

function sqliteRaw(file: string): { insert: RawInsert; close(): void } {
  const db = new BetterSqlite3(file);
  // The server's own connection settings (durability, checkpoints): like is compared with like.
  for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
  const statement = db.prepare(
    `INSERT INTO events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
  );
  const insertAll = db.transaction((rows: Row[]) => {
    for (const r of rows)
      statement.run(
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
  });
  return { insert: async (rows) => insertAll(rows), close: () => db.close() };
}

function postgresRaw(url: string): { insert: RawInsert; close(): Promise<void> } {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  return {
    insert: async (rows) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const values: unknown[] = [];
        const tuples = rows.map((r) => {
          const base = values.length;
          values.push(
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
          return `(${COLUMNS.map((_, i) => `$${base + i + 1}`).join(', ')})`;
        });
        await client.query(`INSERT INTO events (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Runs batches with `parallel` workers; controller c's batches all on worker c mod parallel, in order. */
async function runBatches<T>(
  items: T[],
  controllerOf: (item: T) => number,
  parallel: number,
  run: (item: T) => Promise<void>,
  samples: number[],
): Promise<number> {
  const lanes: T[][] = Array.from({ length: parallel }, () => []);
  for (const item of items) lanes[controllerOf(item) % parallel]!.push(item);
  const t0 = performance.now();
  await Promise.all(
    lanes.map(async (lane) => {
      for (const item of lane) {
        const t = performance.now();
        await run(item);
        samples.push((performance.now() - t) * 1000);
      }
    }),
  );
  return performance.now() - t0;
}

/** The server's ingest path over a store, wired as the server wires it (compose.ts), no other controllers. */
function ingestPath(store: Store): EventIngest {
  const logger = pino({ level: 'silent' });
  const repos = repositories(store.db, KEY_BYTES);
  const raise = controllerAlarms(
    new AlarmService(securityDb(store.db), logger, { now: () => Date.now() }),
    'bench',
    logger,
  );
  return standaloneIngest(store.db, repos, raise, {
    credentialKey: CREDENTIAL_KEY,
    eventKey: KEY,
    // as link.ts sets it: PostgreSQL's connections commit groups in parallel, SQLite has one writer
    groupsInFlight: store.dialect === 'postgres' ? 4 : 1,
  });
}

/** The site credential key of the path's store: controllers name cards by their keyed hash. */
const CREDENTIAL_KEY = new Uint8Array(32).fill(9);
const cardHashes = new Map<string, string>();
const cardHash = (identifier: string) => {
  let hash = cardHashes.get(identifier);
  if (hash === undefined) {
    hash = credentialIdHash(CREDENTIAL_KEY, 'card', identifier);
    cardHashes.set(identifier, hash);
  }
  return hash;
};

/** An event as the controller sends it: its card by keyed hash, which the path resolves back. */
const asControllerEvent = (e: StoredEvent): ControllerEvent => {
  const { credential, credentialId: _, ...detail } = e.detail;
  return {
    seq: e.seq,
    at: e.at,
    type: e.type as ControllerEvent['type'],
    ...(e.door !== undefined && { door: e.door }),
    ...(e.area !== undefined && { area: e.area }),
    ...(e.personId !== undefined && { person: e.personId }),
    detail: { ...detail, credential: `card:${cardHash(String(credential).slice('card:'.length))}` },
  } as ControllerEvent;
};

/** Each person's card, as the credentials store holds it (with the hash controllers know it by). */
async function seedCards(store: Store): Promise<void> {
  for (let i = 0; i < PEOPLE; i += 1000)
    await store.db
      .insertInto('credentials')
      .values(
        Array.from({ length: Math.min(1000, PEOPLE - i) }, (_, k) => ({
          id: `cred-${i + k}`,
          person_id: `person-${i + k}`,
          type: 'card',
          identifier: `C-${i + k}`,
          pin_hash: null,
          duress_pin_hash: null,
          state: 'active',
          valid_from: null,
          valid_until: null,
          max_uses: null,
          uses: 0,
          label: null,
          ref_hash: cardHash(`C-${i + k}`),
          created_at: T0,
          updated_at: null,
        })),
      )
      .execute();
}

async function measureIngest(
  ingestStore: Store,
  pathStore: Store,
  groupStore: Store,
  raw: RawInsert,
  options: { controllers: number; perController: number; batch: number; parallel: number },
  progress: Progress,
  label: string,
): Promise<IngestFigures> {
  const { controllers, perController, batch, parallel } = options;
  const batches = makeBatches(controllers, perController, batch);
  const { rows, chainMs } = chainedRows(batches);
  const store = new EventStore(ingestStore.db, KEY);
  for (const s of [pathStore, groupStore]) {
    await seedNames(s);
    await seedCards(s);
    // As a running server finds them: PostgreSQL's autovacuum analyzes tables this size within a
    // minute of their import; unanalyzed, each batch's card lookup was planned as a scan of the table.
    if (s.dialect === 'postgres') await sql`ANALYZE people, doors, areas, credentials`.execute(s.db);
  }
  const path = ingestPath(pathStore);
  const grouped = ingestPath(groupStore);
  const pathBatches = batches.map((b) => b.map(asControllerEvent));
  const ingestSamples: number[] = [];
  const rawSamples: number[] = [];
  const pathSamples: number[] = [];
  const groupSamples: number[] = [];
  let ingestMs = 0;
  let rawMs = 0;
  let pathMs = 0;
  let groupMs = 0;
  // Rounds of one batch per controller: ingest, then the same rows raw, so drift hits both alike.
  for (let round = 0; round < perController; round++) {
    const from = round * controllers;
    const index = Array.from({ length: controllers }, (_, i) => from + i);
    ingestMs += await runBatches(
      index,
      (i) => i % controllers,
      parallel,
      async (i) => {
        const fresh = await store.appendNew(batches[i]!);
        if (fresh.length !== batch) throw new Error(`ingest stored ${fresh.length} of ${batch}`);
      },
      ingestSamples,
    );
    rawMs += await runBatches(
      index,
      (i) => i % controllers,
      parallel,
      (i) => raw(rows[i]!),
      rawSamples,
    );
    pathMs += await runBatches(
      index,
      (i) => i % controllers,
      parallel,
      async (i) => {
        const fresh = await path.ingest(`ctl-${i % controllers}`, pathBatches[i]!);
        if (fresh.length !== batch) throw new Error(`the ingest path stored ${fresh.length} of ${batch}`);
      },
      pathSamples,
    );
    groupMs += await runBatches(
      index,
      (i) => i % controllers,
      controllers,
      async (i) => {
        const fresh = await grouped.ingest(`ctl-${i % controllers}`, pathBatches[i]!);
        if (fresh.length !== batch) throw new Error(`the grouped path stored ${fresh.length} of ${batch}`);
      },
      groupSamples,
    );
    if (round % 5 === 4) progress(`events ${label}: ingest round ${round + 1}/${perController}`);
  }
  const t = performance.now();
  const again = await store.appendNew(batches[batches.length - 1]!);
  const resendMs = performance.now() - t;
  if (again.length !== 0) throw new Error('a resent batch was stored again');
  const events = controllers * perController * batch;
  const ingestPerSecond = events / (ingestMs / 1000);
  const rawPerSecond = events / (rawMs / 1000);
  return {
    events,
    batch,
    controllers,
    parallel,
    ingestPerSecond,
    rawPerSecond,
    ratio: ingestPerSecond / rawPerSecond,
    ingestMs: toMs(latencyStats(Float64Array.from(ingestSamples))),
    rawMs: toMs(latencyStats(Float64Array.from(rawSamples))),
    chainUsPerEvent: (chainMs * 1000) / events,
    chainShare: chainMs / ingestMs,
    resendMs,
    path: {
      perSecond: events / (pathMs / 1000),
      ratio: events / (pathMs / 1000) / rawPerSecond,
      ms: toMs(latencyStats(Float64Array.from(pathSamples))),
    },
    grouped: {
      perSecond: events / (groupMs / 1000),
      ratio: events / (groupMs / 1000) / rawPerSecond,
      ms: toMs(latencyStats(Float64Array.from(groupSamples))),
    },
  };
}

async function seedNames(store: Store): Promise<void> {
  const now = T0;
  await store.db
    .insertInto('areas')
    .values({
      id: 'area-1',
      name: 'Area 1',
      parent_id: null,
      site: null,
      max_occupancy: null,
      antipassback: null,
      offline_mode: 'local',
      rules: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  const doors = Array.from({ length: DOORS }, (_, i) => ({
    id: `door-${i}`,
    name: `Door ${i}`,
    from_area: 'area-1',
    to_area: 'area-1',
    controller_id: null,
    mode: 'card',
    strike_seconds: 5,
    held_open_seconds: 30,
    rules: null,
    created_at: now,
    updated_at: now,
  }));
  for (let i = 0; i < doors.length; i += 500)
    await store.db
      .insertInto('doors')
      .values(doors.slice(i, i + 500))
      .execute();
  for (let i = 0; i < PEOPLE; i += 1000)
    await store.db
      .insertInto('people')
      .values(
        Array.from({ length: Math.min(1000, PEOPLE - i) }, (_, k) => ({
          id: `person-${i + k}`,
          name: `Person ${i + k}`,
          department: null,
          site: null,
          active: 1,
          left_at: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
}

/** The generated history's shape: 90 days of the site's 100,000 people at its 1,000 doors. */
const historyShape = (events: number): HistoryShape => ({
  events,
  people: PEOPLE,
  doors: DOORS,
  t0: T0,
  days: 90,
});

/**
 * Search pages over a store holding the generated history (`generated`: how long writing it took):
 * by person + a 7-day range and by door + a 1-day range, after a warm-up.
 */
async function measureSearch(
  store: Store,
  shape: HistoryShape,
  generateSeconds: number,
  queries = 300,
): Promise<SearchFigures> {
  const { events, days } = shape;
  const step = historyStep(shape);
  const search = new EventStore(store.db, KEY);
  const span = events * step;
  let seed = 12345;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  // Warm-up: every pooled connection plans its first queries, and the pages read first come from disk.
  for (let q = 0; q < 30; q++) {
    const from = T0 + Math.floor(random() * Math.max(1, span - DAY));
    await search.search({ personId: `person-${Math.floor(random() * PEOPLE)}`, from, until: from + 7 * DAY });
    await search.search({ door: `door-${Math.floor(random() * DOORS)}`, from, until: from + DAY });
  }
  const byPerson: number[] = [];
  const byDoor: number[] = [];
  let personRows = 0;
  let doorRows = 0;
  for (let q = 0; q < queries; q++) {
    const personFrom = T0 + Math.floor(random() * Math.max(1, span - 7 * DAY));
    let t = performance.now();
    const p = await search.search({
      personId: `person-${Math.floor(random() * PEOPLE)}`,
      from: personFrom,
      until: personFrom + 7 * DAY,
      limit: 100,
    });
    byPerson.push((performance.now() - t) * 1000);
    personRows += p.items.length;
    const doorFrom = T0 + Math.floor(random() * Math.max(1, span - DAY));
    t = performance.now();
    const d = await search.search({
      door: `door-${Math.floor(random() * DOORS)}`,
      from: doorFrom,
      until: doorFrom + DAY,
      limit: 100,
    });
    byDoor.push((performance.now() - t) * 1000);
    doorRows += d.items.length;
  }
  return {
    events,
    people: PEOPLE,
    doors: DOORS,
    days,
    generateSeconds,
    byPerson: toMs(latencyStats(Float64Array.from(byPerson))),
    byDoor: toMs(latencyStats(Float64Array.from(byDoor))),
    personRows: personRows / queries,
    doorRows: doorRows / queries,
  };
}

const INGEST = { controllers: 20, perController: 20, batch: 500 };

/** Where a section runs: SQLite files in a scratch directory, or scratch databases on a PostgreSQL server. */
export type Engine = { dialect: 'sqlite' } | { dialect: 'postgres'; url: string };

const engineName = (engine: Engine) => (engine.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL');

/** A scratch store of its own for one measurement: opened, and removed (or dropped) once `use` is done. */
async function withScratchStore<T>(
  engine: Engine,
  use: (store: Store, location: { file: string } | { url: string }) => Promise<T>,
): Promise<T> {
  if (engine.dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'monban-bench-events-'));
    try {
      const file = join(dir, 'events.db');
      const store = await openStore({ sqliteFile: file });
      return await use(store, { file });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const scratch = await scratchDatabase(engine.url);
  try {
    const store = await openStore({ postgresUrl: scratch.url });
    return await use(store, { url: scratch.url });
  } finally {
    await scratch.drop();
  }
}

/**
 * Ingest against a raw bulk insert of the same rows (measureIngest) on four scratch stores of the
 * engine: EventStore alone, the whole path a batch at a time, the whole path all at once, raw.
 */
export async function measureIngestOn(engine: Engine, progress: Progress): Promise<IngestFigures> {
  const label = engineName(engine);
  progress(`events ${label}: ingest against a raw bulk insert…`);
  return withScratchStore(engine, (ingestStore) =>
    withScratchStore(engine, (pathStore) =>
      withScratchStore(engine, (groupStore) =>
        withScratchStore(engine, async (rawStore, at) => {
          try {
            if (rawStore.dialect === 'postgres') await ensurePartitions(rawStore.db, [T0, T0 + 30 * DAY]);
          } finally {
            await rawStore.close();
          }
          const raw = 'file' in at ? sqliteRaw(at.file) : postgresRaw(at.url);
          try {
            return await measureIngest(
              ingestStore,
              pathStore,
              groupStore,
              raw.insert,
              { ...INGEST, parallel: engine.dialect === 'sqlite' ? 1 : 4 },
              progress,
              label,
            );
          } finally {
            await raw.close();
            await groupStore.close();
            await pathStore.close();
            await ingestStore.close();
          }
        }),
      ),
    ),
  );
}

/**
 * Search over `events` generated events (event-history.ts) on a scratch store of the engine: the
 * store is made by the migrations, its people and doors seeded, the history written straight into
 * storage, then searched through EventStore as the API searches it.
 */
export async function measureSearchOn(
  engine: Engine,
  events: number,
  progress: Progress,
): Promise<SearchFigures> {
  const label = engineName(engine);
  const shape = historyShape(events);
  progress(`events ${label}: generating ${events.toLocaleString('en')} events…`);
  return withScratchStore(engine, async (first, at) => {
    let store = first;
    try {
      await seedNames(store);
      const t0 = performance.now();
      if ('file' in at) {
        // The load runs on a connection of its own (event-history.ts); the store opens it again after.
        await store.close();
        generateSqliteHistory(at.file, shape, progress, label);
        store = await openStore({ sqliteFile: at.file });
      } else await generatePostgresHistory(at.url, shape, progress, label);
      const generateSeconds = (performance.now() - t0) / 1000;
      progress(`events ${label}: generated in ${generateSeconds.toFixed(0)} s; searching`);
      return await measureSearch(store, shape, generateSeconds);
    } finally {
      await store.close();
    }
  });
}

/** The PostgreSQL server to measure on, or why there is none. */
export async function reachablePostgres(
  url: string | undefined,
): Promise<{ url: string } | { skipped: string }> {
  if (!url)
    return { skipped: 'set MONBAN_BENCH_DATABASE_URL (or MONBAN_TEST_DATABASE_URL) to a PostgreSQL server' };
  try {
    const probe = new pg.Client({ connectionString: url });
    await probe.connect();
    await probe.end();
    return { url };
  } catch (error) {
    return { skipped: `PostgreSQL at ${new URL(url).host} not reachable: ${(error as Error).message}` };
  }
}

export async function runEventStoreBench(progress: Progress, events: number): Promise<EventStoreReport> {
  const engines: EngineReport[] = [];
  const sqlite: Engine = { dialect: 'sqlite' };
  engines.push({
    engine: 'SQLite',
    ingest: await measureIngestOn(sqlite, progress),
    search: await measureSearchOn(sqlite, events, progress),
  });
  const postgres = await reachablePostgres(
    process.env.MONBAN_BENCH_DATABASE_URL ?? process.env.MONBAN_TEST_DATABASE_URL,
  );
  if ('skipped' in postgres) return { engines, postgresSkipped: postgres.skipped };
  const engine: Engine = { dialect: 'postgres', url: postgres.url };
  engines.push({
    engine: 'PostgreSQL',
    ingest: await measureIngestOn(engine, progress),
    search: await measureSearchOn(engine, events, progress),
  });
  return { engines };
}
