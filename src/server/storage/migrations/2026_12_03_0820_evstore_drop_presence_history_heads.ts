// Presence history no longer keeps a table of each person's latest passage (reports/history.ts reads
// it from the start of their latest stay, on the (person, entered) index): the table cost one more
// random write per person in every ingested batch.

import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('presence_history_heads').ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('presence_history_heads')
    .addColumn('person_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('last_at', 'bigint', (c) => c.notNull())
    .execute();
  // What the earlier code expects to find: each person's latest passage.
  await sql`INSERT INTO presence_history_heads (person_id, last_at)
    SELECT person_id, max(entered_at) FROM presence_history GROUP BY person_id`.execute(db);
}
