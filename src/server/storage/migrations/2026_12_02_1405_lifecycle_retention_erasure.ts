// Data lifecycle (issue 15 §2): retention periods per data class, the floors of the keyed chains left
// by a purge (the position a chain now starts at and the MAC of the record before it, sealed under
// the chain key, so verification starts there instead of reporting the purged records missing), the
// seals of records pseudonymised by an erasure (a MAC over the record as it now reads and its
// original MAC, which the next record still chains from), and the erasure certificates issued.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('retention_settings')
    .addColumn('data_class', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('days', 'integer')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(128)', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('chain_floors')
    .addColumn('chain', 'varchar(160)', (c) => c.primaryKey())
    .addColumn('first_index', 'bigint', (c) => c.notNull())
    .addColumn('prev_mac', 'varchar(64)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('seal', 'varchar(64)', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('chain_seals')
    .addColumn('chain', 'varchar(160)', (c) => c.notNull())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('seal', 'varchar(64)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('chain_seals_pk', ['chain', 'position'])
    .execute();
  await db.schema
    .createTable('erasure_certificates')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('subject', 'varchar(200)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('certificate', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['erasure_certificates', 'chain_seals', 'chain_floors', 'retention_settings'])
    await db.schema.dropTable(table).execute();
}
