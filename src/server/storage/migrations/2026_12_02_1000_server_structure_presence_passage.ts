// Presence moves from the server's memory into storage: beside each person's area (compare-and-set on
// its version), the last passage that put them there — when, through which door, decided by which
// controller — so the cross-controller reconciliation (a double entry becomes an
// antipassback_violation) holds across server restarts and between server instances. Additive.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('presence').addColumn('at', 'bigint').execute();
  await db.schema.alterTable('presence').addColumn('controller_id', 'varchar(64)').execute();
  await db.schema.alterTable('presence').addColumn('door', 'varchar(64)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['door', 'controller_id', 'at'])
    await db.schema.alterTable('presence').dropColumn(column).execute();
}
