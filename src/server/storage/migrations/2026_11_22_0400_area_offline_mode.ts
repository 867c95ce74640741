// Rules that span controllers (anti-passback, occupancy across doors of several controllers) are
// coordinated through the server while controllers are online. Each area says what its doors do
// while a controller has lost the server: `local` (decide with what the controller knows) or `deny`
// (lock the doors into and out of it; exit by REX and fire egress still work).

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('areas')
    .addColumn('offline_mode', 'varchar(8)', (c) => c.notNull().defaultTo('local'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('areas').dropColumn('offline_mode').execute();
}
