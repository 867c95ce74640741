// The dedicated bearer token of the SCIM endpoint: one active at a time, shown once when issued,
// stored as SHA-256 only, good for /scim/v2 and nothing else (an API token does not open SCIM, and
// this token opens nothing under /api). Issuing a new one revokes the old.

import type { Kysely } from 'kysely';
import { newId, newSecretToken, sha256Hex } from '../auth/secrets.ts';
import { lifecycleDb } from '../lifecycle/tables.ts';
import type { Database } from '../storage/schema.ts';

/** Last-used is written at most this often. */
const TOUCH_MS = 60_000;

export class ScimTokens {
  constructor(private readonly db: Kysely<Database>) {}

  async issue(createdBy: string, now: number): Promise<{ id: string; token: string }> {
    const token = newSecretToken('mbscim_');
    const id = newId();
    const db = lifecycleDb(this.db);
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('scim_tokens').set({ revoked_at: now }).where('revoked_at', 'is', null).execute();
      await tx
        .insertInto('scim_tokens')
        .values({
          id,
          token_hash: sha256Hex(token),
          created_by: createdBy,
          created_at: now,
          revoked_at: null,
          last_used_at: null,
        })
        .execute();
    });
    return { id, token };
  }

  /** Revokes the active token; returns its id, if there was one. */
  async revoke(now: number): Promise<string[]> {
    const db = lifecycleDb(this.db);
    const active = await db.selectFrom('scim_tokens').select('id').where('revoked_at', 'is', null).execute();
    await db.updateTable('scim_tokens').set({ revoked_at: now }).where('revoked_at', 'is', null).execute();
    return active.map((r) => r.id);
  }

  /** The id of the active token this is, or undefined. */
  async verify(token: string, now: number): Promise<string | undefined> {
    if (token.length < 20 || token.length > 200) return undefined;
    const db = lifecycleDb(this.db);
    const row = await db
      .selectFrom('scim_tokens')
      .select(['id', 'last_used_at'])
      .where('token_hash', '=', sha256Hex(token))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.last_used_at === null || now - Number(row.last_used_at) >= TOUCH_MS)
      await db.updateTable('scim_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
    return row.id;
  }
}
