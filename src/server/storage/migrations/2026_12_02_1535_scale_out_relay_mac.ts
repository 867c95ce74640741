// Messages between server instances (cluster_messages) carry a MAC under a key derived from the
// installation key, so whoever can write the database but does not hold the key cannot have an
// instance sign and send a command to a controller (src/server/cluster/relay.ts). Rows without one
// are ignored.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cluster_messages').addColumn('mac', 'varchar(64)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cluster_messages').dropColumn('mac').execute();
}
