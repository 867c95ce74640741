// Site-wide use counts for time-limited keys (issue 13 §1, the mechanism of issue 9 §3): the count of
// uses claimed by online controllers and of uses granted offline, beside the key's maximum, so one
// conditional UPDATE decides the last use and snapshots carry what is left. Filled from the use log.

import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('access_keys')
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`UPDATE access_keys SET uses = (SELECT COUNT(*) FROM key_uses WHERE key_uses.key_id = access_keys.id AND key_uses.result = 'grant')`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('access_keys').dropColumn('uses').execute();
}
