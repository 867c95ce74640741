// The audit log as a hash chain: each record's hash covers its content and the previous record's
// hash, so changing, removing or reordering any record breaks every hash after it, and `verify`
// names the first record that no longer fits. Records are appended, never updated or deleted here.

import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { storableText } from './text.ts';

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

export type AuditVerdict =
  | { ok: true; records: number }
  | { ok: false; records: number; firstBad: number; problem: string };

export const GENESIS = '0'.repeat(64);

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

export function recordHash(
  prevHash: string,
  id: number,
  r: { at: number; actor: string; source: string; action: string; target: string; detail: string },
): string {
  const content = JSON.stringify([id, r.at, r.actor, r.source, r.action, r.target, r.detail]);
  return createHash('sha256').update(prevHash).update(content).digest('hex');
}

export class AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  /** Appends one record at the end of the chain; concurrent appends serialise on the id. */
  async append(record: AuditRecord): Promise<number> {
    // Hashed exactly as stored: JSON escapes odd characters in the detail, the other fields are made
    // storable (text.ts), so what verify reads back is what was hashed.
    const detail = JSON.stringify(sortKeys(record.detail));
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        return await this.db.transaction().execute(async (tx) => {
          const last = await tx
            .selectFrom('audit_log')
            .select(['id', 'hash'])
            .orderBy('id', 'desc')
            .limit(1)
            .executeTakeFirst();
          const id = Number(last?.id ?? 0) + 1;
          const prev = last?.hash ?? GENESIS;
          const row = {
            id,
            at: record.at,
            actor: storableText(record.actor),
            source: storableText(record.source),
            action: storableText(record.action),
            target: storableText(record.target),
            detail,
          };
          await tx
            .insertInto('audit_log')
            .values({ ...row, prev_hash: prev, hash: recordHash(prev, id, row) })
            .execute();
          return id;
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

  async verify(): Promise<AuditVerdict> {
    let prev = GENESIS;
    let expectedId = 1;
    let records = 0;
    const batch = 1000;
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_log')
        .selectAll()
        .where('id', '>=', expectedId)
        .orderBy('id')
        .limit(batch)
        .execute();
      for (const row of rows) {
        const id = Number(row.id);
        if (id !== expectedId)
          return { ok: false, records, firstBad: expectedId, problem: `record #${expectedId} is missing` };
        if (row.prev_hash !== prev)
          return {
            ok: false,
            records,
            firstBad: id,
            problem: `record #${id} does not follow record #${id - 1}`,
          };
        const row2 = {
          at: Number(row.at),
          actor: row.actor,
          source: row.source,
          action: row.action,
          target: row.target,
          detail: row.detail,
        };
        if (recordHash(prev, id, row2) !== row.hash)
          return {
            ok: false,
            records,
            firstBad: id,
            problem: `record #${id} was changed after it was written`,
          };
        prev = row.hash;
        expectedId++;
        records++;
      }
      if (rows.length < batch) return { ok: true, records };
    }
  }
}
