// Directory integration (issue 15 §4) and the personal-data vault (§2): each person's data key, kept
// wrapped under a key derived from the installation key, under which their protected attributes are
// stored (lifecycle/vault.ts); the dedicated bearer tokens of the SCIM endpoint; and which people and
// groups an identity provider provisioned, found by keyed hashes of their userName / externalId so
// the lookup columns hold no personal data.

import type { Kysely } from 'kysely';

const id = 'varchar(64)';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('person_keys')
    .addColumn('person_id', id, (c) => c.primaryKey().references('people.id').onDelete('cascade'))
    .addColumn('wrapped', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('scim_tokens')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_by', 'varchar(128)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema
    .createTable('scim_users')
    .addColumn('person_id', id, (c) => c.primaryKey().references('people.id').onDelete('cascade'))
    .addColumn('user_name_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('external_id_hash', 'varchar(64)')
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scim_users_external').on('scim_users').column('external_id_hash').execute();
  await db.schema
    .createTable('scim_groups')
    .addColumn('group_id', id, (c) => c.primaryKey().references('groups.id').onDelete('cascade'))
    .addColumn('external_id', 'varchar(256)')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['scim_groups', 'scim_users', 'scim_tokens', 'person_keys'])
    await db.schema.dropTable(table).execute();
}
