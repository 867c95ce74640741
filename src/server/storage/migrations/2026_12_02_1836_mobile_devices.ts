// Mobile keys (issue 13 §2, src/server/mobile/tables.ts): invitations, device public keys and the
// server's single-use challenges. New tables only.

import type { Kysely } from 'kysely';

const id = 'varchar(64)';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mobile_invitations')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('person_id', id, (c) => c.notNull())
    .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
    .addColumn('label', 'varchar(200)')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('credential_id', id)
    .execute();
  await db.schema
    .createIndex('mobile_invitations_person')
    .on('mobile_invitations')
    .column('person_id')
    .execute();

  await db.schema
    .createTable('mobile_devices')
    .addColumn('credential_id', id, (c) => c.primaryKey())
    .addColumn('person_id', id, (c) => c.notNull())
    .addColumn('ref_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('public_key', 'varchar(400)', (c) => c.notNull())
    .addColumn('device_name', 'varchar(200)', (c) => c.notNull())
    .addColumn('invitation_id', id)
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('mobile_devices_ref_hash').on('mobile_devices').column('ref_hash').execute();
  await db.schema.createIndex('mobile_devices_person').on('mobile_devices').column('person_id').execute();

  await db.schema
    .createTable('mobile_challenges')
    .addColumn('nonce', id, (c) => c.primaryKey())
    .addColumn('credential_id', id, (c) => c.notNull())
    .addColumn('door', id, (c) => c.notNull())
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('mobile_challenges_expires')
    .on('mobile_challenges')
    .column('expires_at')
    .execute();
}
