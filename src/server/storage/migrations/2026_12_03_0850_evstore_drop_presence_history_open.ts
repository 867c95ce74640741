// Presence history loses its index of open stays by person (presence_history_open): ingest closes a
// person's open stay by its row, found with their latest stay on the (person, entered) index
// (reports/history.ts), and the reports find stays by area and end (presence_history_area_left).
// The index cost one more random page write for every passage taken in.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('presence_history_open').ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('presence_history_open')
    .on('presence_history')
    .columns(['person_id', 'left_at'])
    .execute();
}
