// People, group membership, credentials (PINs only as keyed hashes), the event log (unique per
// controller and sequence, so ingest is idempotent) and presence for anti-passback.

import type { Kysely } from 'kysely';
import type { Dialect } from '../db.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('people')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('department', 'varchar(64)')
    .addColumn('site', 'varchar(64)')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('people_department').on('people').columns(['department', 'site']).execute();

  await db.schema
    .createTable('person_groups')
    .addColumn('person_id', 'varchar(64)', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('group_id', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('person_groups_pk', ['person_id', 'group_id'])
    .execute();

  await db.schema
    .createTable('credentials')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('person_id', 'varchar(64)', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('identifier', 'varchar(128)')
    .addColumn('pin_hash', 'varchar(64)')
    .addColumn('duress_pin_hash', 'varchar(64)')
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('valid_from', 'bigint')
    .addColumn('valid_until', 'bigint')
    .addColumn('max_uses', 'integer')
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // One holder per card/mobile/key identifier, and per PIN-only PIN.
  await db.schema
    .createIndex('credentials_identifier')
    .on('credentials')
    .columns(['type', 'identifier'])
    .unique()
    .execute();
  await db.schema.createIndex('credentials_person').on('credentials').column('person_id').execute();

  await db.schema
    .createTable('events')
    .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('controller_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('door', 'varchar(64)')
    .addColumn('area', 'varchar(64)')
    .addColumn('person_id', 'varchar(64)')
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('events_controller_seq')
    .on('events')
    .columns(['controller_id', 'seq'])
    .unique()
    .execute();
  await db.schema.createIndex('events_person_at').on('events').columns(['person_id', 'at']).execute();
  await db.schema.createIndex('events_at').on('events').columns(['at', 'id']).execute();

  await db.schema
    .createTable('presence')
    .addColumn('person_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('area', 'varchar(64)')
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['presence', 'events', 'credentials', 'person_groups', 'people'])
    await db.schema.dropTable(table).ifExists().execute();
}
