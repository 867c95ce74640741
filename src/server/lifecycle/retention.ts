// Retention per data class (R-SEC-8): how many days access events, the audit trail and resolved
// alarms are kept (and, as their owners add them, guests and keys), and the purge that removes what
// is older, on a schedule and on demand, each run on the audit trail.
//
// The chains stay verifiable after a purge: a chain is only ever cut at the front, up to the last
// record before the first one still to be kept, and the cut is remembered as the chain's floor
// (chain-overlays.ts: the first position left and the MAC of the record before it, sealed under the
// chain key), where `audit verify` then starts. A record older than the cut-off that sits after a
// newer one in its chain (a controller that delivered late) waits until the cut passes it.
//
// Each data class is one entry of RETENTION_CLASSES with its own purge function, so a store can purge
// its way: the default removes a chain's front in batches with indexed deletes; a PostgreSQL store
// partitioned by time (scale-out) can detach whole partitions whose rows all lie below every chain's
// cut, then write the same floors.

import type { Kysely, Transaction } from 'kysely';
import type { AlarmTables } from '../alarms/tables.ts';
import type { ChainKeys } from '../storage/chain.ts';
import type { Database } from '../storage/schema.ts';
import { AUDIT_CHAIN, dropSealsBelow, eventChain, writeFloor } from './chain-overlays.ts';
import { lifecycleDb } from './tables.ts';

type Db = Kysely<Database>;
const DAY = 86_400_000;
/** Records removed per transaction: a purge never holds the writer for long. */
const BATCH = 20_000;

export interface PurgeOutcome {
  dataClass: string;
  /** records older than this were due */
  cutoff: number;
  removed: number;
  /** chains whose floor moved: where each starts now */
  floors: { chain: string; first: number }[];
}

export interface RetentionClass {
  name: string;
  description: string;
  /** the shortest retention that may be set (the audit trail must outlive an investigation) */
  minimumDays: number;
  purge(db: Db, keys: ChainKeys, cutoff: number, now: number): Promise<PurgeOutcome>;
}

/** The chain's floor now (1: never purged). */
async function floorOf(db: Db | Transaction<Database>, chain: string): Promise<number> {
  const row = await lifecycleDb(db)
    .selectFrom('chain_floors')
    .select('first_index')
    .where('chain', '=', chain)
    .executeTakeFirst();
  return row ? Number(row.first_index) : 1;
}

/** Cuts every controller's event chain in front of its first event at or after the cut-off. */
export async function purgeEventChains(
  db: Db,
  keys: ChainKeys,
  cutoff: number,
  now: number,
): Promise<PurgeOutcome> {
  const outcome: PurgeOutcome = { dataClass: 'events', cutoff, removed: 0, floors: [] };
  const heads = await db.selectFrom('event_chain_heads').selectAll().execute();
  for (const head of heads) {
    const chain = eventChain(head.controller_id);
    const kept = await db
      .selectFrom('events')
      .select('chain_index')
      .where('controller_id', '=', head.controller_id)
      .where('at', '>=', cutoff)
      .where('chain_index', 'is not', null)
      .orderBy('chain_index')
      .limit(1)
      .executeTakeFirst();
    const last = kept?.chain_index != null ? Number(kept.chain_index) - 1 : Number(head.chain_index);
    let floor = await floorOf(db, chain);
    const start = floor;
    while (floor <= last) {
      const upTo = Math.min(floor + BATCH - 1, last);
      await db.transaction().execute(async (tx) => {
        const prev = await tx
          .selectFrom('events')
          .select('mac')
          .where('controller_id', '=', head.controller_id)
          .where('chain_index', '=', upTo)
          .executeTakeFirst();
        // The record at the cut is always there unless something else removed it: then the chain is
        // broken already and verify says so; the floor is not moved over a hole.
        if (!prev?.mac) throw new Error(`${chain}: record #${upTo} is missing; purge stopped`);
        const result = await tx
          .deleteFrom('events')
          .where('controller_id', '=', head.controller_id)
          .where('chain_index', '<=', upTo)
          .executeTakeFirst();
        outcome.removed += Number(result.numDeletedRows);
        await writeFloor(tx, keys, chain, upTo + 1, prev.mac, now);
        await dropSealsBelow(tx, chain, upTo + 1);
      });
      floor = upTo + 1;
    }
    if (floor > start) outcome.floors.push({ chain, first: floor });
  }
  // Rows from before the chains existed have no position: removed by time alone.
  const legacy = await db
    .deleteFrom('events')
    .where('chain_index', 'is', null)
    .where('at', '<', cutoff)
    .executeTakeFirst();
  outcome.removed += Number(legacy.numDeletedRows);
  return outcome;
}

/** Cuts the audit chain in front of its first record at or after the cut-off (the last one stays). */
export async function purgeAuditChain(
  db: Db,
  keys: ChainKeys,
  cutoff: number,
  now: number,
): Promise<PurgeOutcome> {
  const outcome: PurgeOutcome = { dataClass: 'audit', cutoff, removed: 0, floors: [] };
  const head = await db
    .selectFrom('audit_log')
    .select('id')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!head) return outcome;
  const kept = await db
    .selectFrom('audit_log')
    .select('id')
    .where('at', '>=', cutoff)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  // The newest record always stays: the next one is appended after it.
  const last = Math.min(kept ? Number(kept.id) - 1 : Number(head.id), Number(head.id) - 1);
  let floor = await floorOf(db, AUDIT_CHAIN);
  const start = floor;
  while (floor <= last) {
    const upTo = Math.min(floor + BATCH - 1, last);
    await db.transaction().execute(async (tx) => {
      const prev = await tx.selectFrom('audit_log').select('hash').where('id', '=', upTo).executeTakeFirst();
      if (!prev) throw new Error(`audit: record #${upTo} is missing; purge stopped`);
      const result = await tx.deleteFrom('audit_log').where('id', '<=', upTo).executeTakeFirst();
      outcome.removed += Number(result.numDeletedRows);
      await writeFloor(tx, keys, AUDIT_CHAIN, upTo + 1, prev.hash, now);
      await dropSealsBelow(tx, AUDIT_CHAIN, upTo + 1);
    });
    floor = upTo + 1;
  }
  if (floor > start) outcome.floors.push({ chain: AUDIT_CHAIN, first: floor });
  return outcome;
}

/** Resolved alarms (and their comments) resolved before the cut-off; open alarms always stay. */
export async function purgeResolvedAlarms(db: Db, _keys: ChainKeys, cutoff: number): Promise<PurgeOutcome> {
  const adb = db.withTables<AlarmTables>();
  const result = await adb.transaction().execute(async (tx) => {
    const due = (eb: typeof tx) =>
      eb.selectFrom('alarms').select('id').where('state', '=', 'resolved').where('resolved_at', '<', cutoff);
    await tx.deleteFrom('alarm_comments').where('alarm_id', 'in', due(tx)).execute();
    return tx
      .deleteFrom('alarms')
      .where('state', '=', 'resolved')
      .where('resolved_at', '<', cutoff)
      .executeTakeFirst();
  });
  return { dataClass: 'alarms', cutoff, removed: Number(result.numDeletedRows), floors: [] };
}

export const RETENTION_CLASSES: RetentionClass[] = [
  {
    name: 'events',
    description: 'access events and door events from controllers',
    minimumDays: 1,
    purge: purgeEventChains,
  },
  {
    name: 'audit',
    description: 'the audit trail of operator actions and logins',
    minimumDays: 90,
    purge: purgeAuditChain,
  },
  {
    name: 'alarms',
    description: 'resolved alarms and their comments',
    minimumDays: 1,
    purge: purgeResolvedAlarms,
  },
];

export type RetentionSettings = Record<string, number | null>;

export async function readRetention(
  db: Db,
  classes: readonly RetentionClass[] = RETENTION_CLASSES,
): Promise<RetentionSettings> {
  const rows = await lifecycleDb(db).selectFrom('retention_settings').selectAll().execute();
  const stored = new Map(rows.map((r) => [r.data_class, r.days === null ? null : Number(r.days)]));
  return Object.fromEntries(classes.map((c) => [c.name, stored.get(c.name) ?? null]));
}

export async function writeRetention(
  db: Db,
  settings: RetentionSettings,
  by: string,
  now: number,
): Promise<void> {
  const ldb = lifecycleDb(db);
  await ldb.transaction().execute(async (tx) => {
    for (const [dataClass, days] of Object.entries(settings)) {
      await tx.deleteFrom('retention_settings').where('data_class', '=', dataClass).execute();
      await tx
        .insertInto('retention_settings')
        .values({ data_class: dataClass, days, updated_at: now, updated_by: by })
        .execute();
    }
  });
}

/** Purges every class that has a retention period; one outcome per class purged. */
export async function purgeExpired(
  db: Db,
  keys: ChainKeys,
  now: number,
  classes: readonly RetentionClass[] = RETENTION_CLASSES,
): Promise<PurgeOutcome[]> {
  const settings = await readRetention(db, classes);
  const outcomes: PurgeOutcome[] = [];
  for (const c of classes) {
    const days = settings[c.name];
    if (days === null || days === undefined) continue;
    outcomes.push(await c.purge(db, keys, now - Math.max(days, c.minimumDays) * DAY, now));
  }
  return outcomes;
}
