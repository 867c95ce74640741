// The audit log as a keyed MAC chain (storage/chain.ts): each record's MAC covers its canonical bytes
// and the previous record's MAC, under a key derived from the installation key, which is not in the
// database. Editing, reordering or inserting records breaks their MACs; removing records from the end
// or all of them is found against the signed checkpoints outside the database (audit/anchors.ts).
// Records are appended, never updated or deleted here. Every field is made storable before it is
// hashed (storage/text.ts), so the bytes verified are the bytes that were hashed.

import type { Kysely } from 'kysely';
import { type BulkColumn, bulkInsert } from './bulk.ts';
import { ChainChecker, type ChainOverlay, type ChainVerdict, GENESIS, linkMac } from './chain.ts';
import type { Database } from './schema.ts';
import { storableText } from './text.ts';

export { GENESIS };

export interface AuditRecord {
  at: number;
  /** operator id, `token:<id>`, or `system` */
  actor: string;
  /** source address of the request */
  source: string;
  action: string;
  target: string;
  /** what changed; never passwords, PINs, tokens or keys */
  detail: Record<string, unknown>;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

interface StoredFields {
  at: number;
  actor: string;
  source: string;
  action: string;
  target: string;
  detail: string;
}

/** The canonical bytes of one record at one position (JSON escapes whatever is odd in the strings). */
export function auditCanonical(id: number, r: StoredFields): string {
  return JSON.stringify(['audit/v1', id, r.at, r.actor, r.source, r.action, r.target, r.detail]);
}

export class AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    /** the audit chain key (chainKeys(installationKey).audit) */
    private readonly key: Buffer,
  ) {}

  /** Appends one record at the end of the chain; concurrent appends serialise on the id. */
  async append(record: AuditRecord): Promise<number> {
    return (await this.appendMany([record]))[0]!;
  }

  /**
   * Appends records in order at the end of the chain in one transaction (a CSV import's rows: one
   * commit for hundreds of records instead of one each); their ids, in order.
   */
  async appendMany(
    records: readonly AuditRecord[],
    /**
     * the write the records are about, in the same transaction (all or nothing, one commit); run
     * again with it when another writer took the chain's next id
     */
    alongside?: (tx: Kysely<Database>) => Promise<void>,
  ): Promise<number[]> {
    if (records.length === 0) return [];
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        return await this.db.transaction().execute(async (tx) => {
          await alongside?.(tx);
          return appendWithin(tx, this.key, records);
        });
      } catch (error) {
        // Another writer took this id: read the new end of the chain and try again.
        if (
          !/UNIQUE|23505|duplicate key/i.test(String((error as { code?: string }).code ?? '') + String(error))
        )
          throw error;
      }
    }
    throw new Error('audit log busy: could not append');
  }

  /** The last record's position and MAC (for checkpoints). */
  async head(): Promise<{ index: number; mac: string }> {
    const last = await this.db
      .selectFrom('audit_log')
      .select(['id', 'hash'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return last ? { index: Number(last.id), mac: last.hash } : { index: 0, mac: GENESIS };
  }

  /**
   * Checks every record, reporting every broken span; `checkpoint` is the last anchored head, `overlay`
   * where a retention purge left the chain starting and which records an erasure sealed.
   */
  async verify(checkpoint?: { index: number; mac: string }, overlay?: ChainOverlay): Promise<ChainVerdict> {
    const checker = new ChainChecker('audit', this.key);
    if (overlay?.floor) checker.startAt(overlay.floor);
    let after = 0;
    const batch = 1000;
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_log')
        .selectAll()
        .where('id', '>', after)
        .orderBy('id')
        .limit(batch)
        .execute();
      for (const row of rows) {
        const id = Number(row.id);
        const fields = { ...row, at: Number(row.at) };
        const seal = overlay?.seals.get(id);
        checker.add({
          index: id,
          prev: row.prev_hash,
          mac: row.hash,
          canonical: auditCanonical(id, fields),
          ...(seal !== undefined && { seal }),
        });
        if (checkpoint && id === checkpoint.index) checker.checkpointMac = row.hash;
        after = id;
      }
      if (rows.length < batch) return checker.finish(checkpoint);
    }
  }
}

/**
 * Appends records at the end of the chain inside the caller's transaction (an import's switch: its
 * rows and their audit records commit together). The caller makes sure no other writer can append
 * meanwhile — SQLite: its transaction already holds the write lock; PostgreSQL: it locks the table
 * (lockAuditLog) — or retries on a unique violation as appendMany does.
 */
export async function appendWithin(
  tx: Kysely<Database>,
  key: Buffer,
  records: readonly AuditRecord[],
): Promise<number[]> {
  const all: StoredFields[] = records.map((record) => ({
    at: record.at,
    actor: storableText(record.actor),
    source: storableText(record.source),
    action: storableText(record.action),
    target: storableText(record.target),
    detail: JSON.stringify(sortKeys(record.detail)),
  }));
  if (all.length === 0) return [];
  const last = await tx
    .selectFrom('audit_log')
    .select(['id', 'hash'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  let id = Number(last?.id ?? 0);
  let prev = last?.hash ?? GENESIS;
  const rows = all.map((fields) => {
    id++;
    const hash = linkMac(key, prev, auditCanonical(id, fields));
    const row = { id, ...fields, prev_hash: prev, hash };
    prev = hash;
    return row;
  });
  await bulkInsert(
    tx,
    'audit_log',
    AUDIT_COLUMNS,
    rows.map((r) => [r.id, r.at, r.actor, r.source, r.action, r.target, r.detail, r.prev_hash, r.hash]),
  );
  return rows.map((r) => r.id);
}

const AUDIT_COLUMNS: readonly BulkColumn[] = [
  { name: 'id', pg: 'bigint' },
  { name: 'at', pg: 'bigint' },
  ...['actor', 'source', 'action', 'target', 'detail', 'prev_hash', 'hash'].map((name) => ({
    name,
    pg: 'text' as const,
  })),
];
