// Presence history loses its (area, entered) index. No query reads it: the reports find stays by
// area through (area, left_at) — the open ones (`left_at IS NULL`) and those that ended after a
// window opened (reports/stays.ts) — and by person through (person, entered). Yet it was worse than
// idle: without statistics (nothing runs ANALYZE on SQLite) the planner took it for those area
// queries, `area = ? AND entered_at < ?`, which reads every stay in the area begun before the
// window closed — the whole history — instead of the few still open. And ingest wrote an entry in
// it for every passage (on PostgreSQL, one more for every stay closed: that update is not HOT).

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('presence_history_area_entered').ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('presence_history_area_entered')
    .on('presence_history')
    .columns(['area', 'entered_at'])
    .execute();
}
