// The audit trail of the management server (R-SEC-4): every operator action and every login success
// and failure, with actor, source address and time, appended to the hash-chained audit log
// (storage/audit-log.ts). Read with filters and pagination; verified end to end against the signed
// checkpoints outside the database (anchors.ts). There is no update
// or delete here, and no route that offers one.

import { type Kysely, sql } from 'kysely';
import { AuditLog, type AuditRecord } from '../storage/audit-log.ts';
import type { Database } from '../storage/schema.ts';

export type { AuditRecord };

export interface AuditEntry extends AuditRecord {
  id: number;
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** prefix match on the action, e.g. 'login.' */
  actionPrefix?: string;
  target?: string;
  since?: number;
  until?: number;
  /** page backwards: records with an id below this */
  before?: number;
  limit?: number;
}

/** Appends a record to the audit chain; `key` is the audit chain key (storage/chain.ts). */
export async function recordAudit(
  db: Kysely<Database>,
  key: Buffer,
  record: AuditRecord,
  /** the write the record is about, committed with it (storage/audit-log.ts appendMany) */
  alongside?: (tx: Kysely<Database>) => Promise<void>,
): Promise<number> {
  return (await new AuditLog(db, key).appendMany([record], alongside))[0]!;
}

/** Newest first; `nextBefore` continues the listing. */
export async function queryAudit(
  db: Kysely<Database>,
  filter: AuditFilter,
): Promise<{ records: AuditEntry[]; nextBefore: number | null }> {
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  let query = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(limit + 1);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.actionPrefix !== undefined) {
    // substr rather than LIKE: no wildcard characters to escape, same meaning on both engines
    const prefix = filter.actionPrefix;
    query = query.where(sql<string>`substr(action, 1, ${prefix.length})`, '=', prefix);
  }
  if (filter.target !== undefined) query = query.where('target', '=', filter.target);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('at', '<', filter.until);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  return {
    records: page.map((row) => ({
      id: Number(row.id),
      at: Number(row.at),
      actor: row.actor,
      source: row.source,
      action: row.action,
      target: row.target,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
      hash: row.hash,
    })),
    nextBefore: rows.length > limit ? Number(page[page.length - 1]!.id) : null,
  };
}
