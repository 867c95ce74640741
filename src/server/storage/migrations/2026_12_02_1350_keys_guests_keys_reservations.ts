// Guests, time-limited keys, their delivery links and uses, reservations and idempotency records
// (issue 13, src/server/keys/tables.ts). New tables only.

import type { Kysely } from 'kysely';

const id = 'varchar(64)';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('guests')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('company', 'varchar(200)')
    .addColumn('contact', 'varchar(200)')
    .addColumn('host_person_id', id)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('access_keys')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('holder_kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('holder_id', id, (c) => c.notNull())
    .addColumn('sponsor', 'varchar(128)', (c) => c.notNull())
    .addColumn('label', 'varchar(200)')
    .addColumn('doors', 'text', (c) => c.notNull())
    .addColumn('areas', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint', (c) => c.notNull())
    .addColumn('weekdays', 'text', (c) => c.notNull())
    .addColumn('windows', 'text', (c) => c.notNull())
    .addColumn('max_uses', 'integer')
    .addColumn('valid_for_minutes', 'integer')
    .addColumn('first_used_at', 'bigint')
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('ref_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('reservation_id', id)
    .addColumn('recipient_person_id', id)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('access_keys_ref_hash').on('access_keys').column('ref_hash').execute();
  await db.schema
    .createIndex('access_keys_holder')
    .on('access_keys')
    .columns(['holder_kind', 'holder_id'])
    .execute();
  await db.schema
    .createIndex('access_keys_state')
    .on('access_keys')
    .columns(['state', 'valid_until'])
    .execute();

  await db.schema
    .createTable('key_links')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('key_id', id, (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('opened_at', 'bigint')
    .execute();
  await db.schema.createIndex('key_links_key').on('key_links').column('key_id').execute();

  await db.schema
    .createTable('key_uses')
    .addColumn('id', 'varchar(160)', (c) => c.primaryKey())
    .addColumn('key_id', id, (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('door', id)
    .addColumn('result', 'varchar(8)', (c) => c.notNull())
    .addColumn('reason', 'varchar(64)', (c) => c.notNull())
    .addColumn('controller_id', id, (c) => c.notNull())
    .addColumn('sponsor', 'varchar(128)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('key_uses_key').on('key_uses').columns(['key_id', 'at']).execute();

  await db.schema
    .createTable('reservations')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('space_id', id, (c) => c.notNull())
    .addColumn('guest_id', id, (c) => c.notNull())
    .addColumn('external_ref', 'varchar(128)')
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('key_id', id)
    .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('reservations_space')
    .on('reservations')
    .columns(['space_id', 'starts_at'])
    .execute();
  await db.schema.createIndex('reservations_guest').on('reservations').column('guest_id').execute();

  await db.schema
    .createTable('idempotency_records')
    .addColumn('principal', 'varchar(128)', (c) => c.notNull())
    .addColumn('key', 'varchar(128)', (c) => c.notNull())
    .addColumn('operation', 'varchar(200)', (c) => c.notNull())
    .addColumn('body_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_records_pk', ['principal', 'key'])
    .execute();
}
