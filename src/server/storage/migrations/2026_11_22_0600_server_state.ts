// Small values the server keeps across restarts, by name: for now the block of message sequences it
// has reserved for signing controller traffic (contracts/envelope.ts), so controllers, which remember
// the last server sequence they accepted, never take a restarted server's messages for replays.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('server_state')
    .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('server_state').execute();
}
