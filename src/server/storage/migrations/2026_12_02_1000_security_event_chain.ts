// The access-event history as keyed MAC chains, one per controller in the order events are stored
// (storage/chain.ts): each event's position in its controller's chain and its MAC, and the head of
// every chain, moved in the same transaction as the insert.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('chain_index', 'bigint').execute();
  await db.schema.alterTable('events').addColumn('mac', 'varchar(64)').execute();
  await db.schema
    .createIndex('events_chain_position')
    .on('events')
    .columns(['controller_id', 'chain_index'])
    .unique()
    .execute();
  await db.schema
    .createTable('event_chain_heads')
    .addColumn('controller_id', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('chain_index', 'bigint', (c) => c.notNull())
    .addColumn('mac', 'varchar(64)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('event_chain_heads').execute();
  await db.schema.dropIndex('events_chain_position').execute();
  await db.schema.alterTable('events').dropColumn('mac').execute();
  await db.schema.alterTable('events').dropColumn('chain_index').execute();
}
