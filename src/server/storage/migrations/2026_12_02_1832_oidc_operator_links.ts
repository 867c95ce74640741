// OpenID Connect sign-in for operators (issue 15 §4): the link from an operator to one identity at the
// provider (issuer + subject, set by an admin), the pending sign-ins (state, nonce and PKCE verifier,
// single use, bound to a browser cookie), and which first factor a session came from, so a second
// factor completing an SSO sign-in is audited as such. Additive; portable column types only.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('operator_oidc_links')
    .addColumn('operator_id', 'varchar(64)', (c) =>
      c.primaryKey().references('operators.id').onDelete('cascade'),
    )
    .addColumn('issuer', 'varchar(512)', (c) => c.notNull())
    .addColumn('subject', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('operator_oidc_links_identity')
    .on('operator_oidc_links')
    .columns(['issuer', 'subject'])
    .unique()
    .execute();

  await db.schema
    .createTable('oidc_logins')
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('state', 'varchar(128)', (c) => c.notNull())
    .addColumn('nonce', 'varchar(128)', (c) => c.notNull())
    .addColumn('verifier_enc', 'varchar(512)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_logins_expiry').on('oidc_logins').column('expires_at').execute();

  await db.schema.alterTable('auth_sessions').addColumn('first_factor', 'varchar(16)').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('auth_sessions').dropColumn('first_factor').execute();
  await db.schema.dropTable('oidc_logins').execute();
  await db.schema.dropTable('operator_oidc_links').execute();
}
