// Several `monban serve` instances on one PostgreSQL database (issue 11 §5, src/server/cluster/):
// - controller_leases: which instance owns each controller's coordinator, until when (database
//   clock), and how many times it changed hands;
// - cluster_instances: the instances alive, each renewing its row, so each takes its share;
// - cluster_messages: what one instance tells the others (domain events for their controllers,
//   presence moves, commands for a controller another instance owns), read in id order and kept
//   for minutes only.
// Created on SQLite too (one instance there, the tables stay empty), so both engines have one schema.

import type { Kysely } from 'kysely';
import type { Dialect } from '../db.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('controller_leases')
    .addColumn('controller_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('owner', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('cluster_instances')
    .addColumn('id', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('cluster_messages')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('origin', 'varchar(128)', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('controller_id', 'varchar(64)')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('cluster_messages_created')
    .on('cluster_messages')
    .column('created_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['cluster_messages', 'cluster_instances', 'controller_leases'])
    await db.schema.dropTable(table).execute();
}
