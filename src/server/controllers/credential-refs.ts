// Events as people read them: a controller names a credential by its keyed hash (`card:<64 hex>`;
// it holds no card number), the server by its safe reference — `card:C-1001` (type and identifier),
// `pin#<credential id>` for a PIN-only credential, never digits. Resolved once per event batch at
// ingest (lookup); a hash that matches no stored credential (one deleted since) becomes
// `card:#<first 8 hex>`, so repeats of the same unknown card can still be told apart.

import { sql } from 'kysely';
import { credentialIdHash } from '../../contracts/credential-key.ts';
import type { ControllerEvent } from '../../contracts/messages.ts';
import { type Executor, inTransaction, sqliteConnection, sqliteStatement } from '../storage/db.ts';

const HASHED = /^(card|mobile|key|biometric|pin):([0-9a-f]{64})$/;
/** Rows backfilled per statement when credentials from before ref hashes are first met. */
const BACKFILL_CHUNK = 500;

interface Resolved {
  ref: string;
  credentialId?: string;
  /** a time-limited key (src/server/keys/): `key#<key id>` */
  keyId?: string;
}

export function safeCredentialRef(c: { id: string; type: string; identifier: string | null }): string {
  return c.type === 'pin' || c.identifier === null ? `pin#${c.id}` : `${c.type}:${c.identifier}`;
}

/** Credentials stored before ref hashes existed get theirs (once; later calls find none). */
async function backfill(db: Executor, credentialKey: Uint8Array): Promise<number> {
  let filled = 0;
  for (;;) {
    const rows = await db
      .selectFrom('credentials')
      .select(['id', 'type', 'identifier'])
      .where('ref_hash', 'is', null)
      .where('type', '!=', 'pin')
      .where('identifier', 'is not', null)
      .limit(BACKFILL_CHUNK)
      .execute();
    if (rows.length === 0) return filled;
    // One transaction per chunk: row by row, each update was its own commit (100,000 legacy
    // credentials took minutes and held the event loop, so a connected controller lost its link).
    await inTransaction(db, async (tx) => {
      for (const r of rows)
        await tx
          .updateTable('credentials')
          .set({ ref_hash: credentialIdHash(credentialKey, r.type, r.identifier!) })
          .where('id', '=', r.id)
          .execute();
    });
    filled += rows.length;
    // Let requests and the broker run between chunks.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// SQLite: each hash probed by statements prepared once per connection (the credentials' ref_hash
// index, then a PIN-only credential's identifier and a key's ref_hash for the hashes still unknown):
// a Kysely `IN` query of a batch's ~1,000 parameters was compiled and prepared anew every batch, and
// probed both indexes for every hash.
const SQLITE_BY_REF = 'SELECT id, type, identifier, ref_hash FROM credentials WHERE ref_hash = ?';
const SQLITE_BY_PIN = `SELECT id, type, identifier, ref_hash FROM credentials
  WHERE type = 'pin' AND identifier = ?`;
const SQLITE_KEY_BY_REF = 'SELECT id, ref_hash FROM access_keys WHERE ref_hash = ?';

interface CredentialRow {
  id: string;
  type: string;
  identifier: string | null;
  ref_hash: string | null;
}

function addCredential(found: Map<string, Resolved>, r: CredentialRow): void {
  const hash = r.type === 'pin' ? r.identifier : r.ref_hash;
  if (hash) found.set(hash, { ref: safeCredentialRef(r), credentialId: r.id });
}

function lookupSqlite(
  sqlite: NonNullable<ReturnType<typeof sqliteConnection>>,
  hashes: readonly string[],
): Map<string, Resolved> {
  const found = new Map<string, Resolved>();
  const byRef = sqliteStatement(sqlite, SQLITE_BY_REF);
  for (const hash of hashes) {
    const r = byRef.get(hash) as CredentialRow | undefined;
    if (r) addCredential(found, r);
  }
  if (found.size === hashes.length) return found;
  const byPin = sqliteStatement(sqlite, SQLITE_BY_PIN);
  const unknown = hashes.filter((h) => !found.has(h));
  for (const hash of unknown) {
    const r = byPin.get(hash) as CredentialRow | undefined;
    if (r) addCredential(found, r);
  }
  const keyByRef = sqliteStatement(sqlite, SQLITE_KEY_BY_REF);
  for (const hash of unknown) {
    if (found.has(hash)) continue;
    const k = keyByRef.get(hash) as { id: string; ref_hash: string } | undefined;
    if (k) found.set(k.ref_hash, { ref: `key#${k.id}`, keyId: k.id });
  }
  return found;
}

/**
 * PostgreSQL: the hashes as one array parameter, by ref_hash first; PIN-only credentials and keys
 * only for the hashes still unknown (a query of both conditions at once probed both indexes for
 * every hash, or scanned the table: ~85 ms a batch at 100,000 cards).
 */
async function lookupPostgres(db: Executor, hashes: readonly string[]): Promise<Map<string, Resolved>> {
  const found = new Map<string, Resolved>();
  // One index probe per hash, laterally over the array: planned so whatever the table's statistics
  // (`ref_hash = any(…)` was planned as a scan of the whole table until it was first analyzed).
  for (const r of (
    await sql<CredentialRow>`select c.id, c.type, c.identifier, c.ref_hash
      from unnest(${hashes}::varchar[]) as v(hash)
      join lateral (select id, type, identifier, ref_hash from credentials
        where ref_hash = v.hash limit 1) c on true`.execute(db)
  ).rows)
    addCredential(found, r);
  if (found.size === hashes.length) return found;
  let unknown = hashes.filter((h) => !found.has(h));
  for (const r of (
    await sql<CredentialRow>`select id, type, identifier, ref_hash from credentials
      where type = 'pin' and identifier = any(${unknown}::varchar[])`.execute(db)
  ).rows)
    addCredential(found, r);
  unknown = unknown.filter((h) => !found.has(h));
  if (unknown.length === 0) return found;
  for (const k of (
    await sql<{ id: string; ref_hash: string }>`select id, ref_hash from access_keys
      where ref_hash = any(${unknown}::varchar[])`.execute(db)
  ).rows)
    if (!found.has(k.ref_hash)) found.set(k.ref_hash, { ref: `key#${k.id}`, keyId: k.id });
  return found;
}

async function lookup(db: Executor, hashes: readonly string[]): Promise<Map<string, Resolved>> {
  if (hashes.length === 0) return new Map();
  const sqlite = sqliteConnection(db);
  if (!sqlite) return lookupPostgres(db, hashes);
  if (db.isTransaction) return lookupSqlite(sqlite, hashes);
  // Outside a transaction, the connection taken first as Kysely takes it (one at a time): run on the
  // bare handle, the probes would read inside whichever transaction is open on it at that moment.
  // All in one read transaction: one snapshot, and one WAL read lock instead of one per probe (a
  // quarter less time).
  return db
    .connection()
    .execute(async () => sqlite.transaction(() => lookupSqlite(sqlite, hashes)).deferred());
}

/** The events with `detail.credential` as a safe reference and `detail.credentialId` when known. */
export async function resolveCredentialRefs(
  db: Executor,
  /** to give credentials stored before ref hashes theirs (none: they stay unresolved) */
  credentialKey: Uint8Array | undefined,
  events: readonly ControllerEvent[],
): Promise<ControllerEvent[]> {
  const hashes = new Set<string>();
  for (const e of events) {
    const match = typeof e.detail.credential === 'string' ? HASHED.exec(e.detail.credential) : null;
    if (match) hashes.add(match[2]!);
  }
  if (hashes.size === 0) return [...events];
  let found = await lookup(db, [...hashes]);
  if (found.size < hashes.size && credentialKey && (await backfill(db, credentialKey)) > 0)
    found = await lookup(db, [...hashes]);
  return events.map((e) => {
    const match = typeof e.detail.credential === 'string' ? HASHED.exec(e.detail.credential) : null;
    if (!match) return e;
    const resolved = found.get(match[2]!);
    return {
      ...e,
      detail: {
        ...e.detail,
        credential: resolved?.ref ?? `${match[1]}:#${match[2]!.slice(0, 8)}`,
        ...(resolved?.credentialId !== undefined && { credentialId: resolved.credentialId }),
        ...(resolved?.keyId !== undefined && { keyId: resolved.keyId }),
      },
    };
  });
}
