// Administrator security (operators, passwords, MFA factors, sessions, API tokens, login throttle,
// setup tokens, known login addresses) and alarms with comments. Only portable column types, so the
// same migration runs on SQLite and PostgreSQL; see src/server/auth/tables.ts for what each holds.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('operators')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn('email', 'varchar(254)')
    .addColumn('display_name', 'varchar(200)', (c) => c.notNull())
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('scope_departments', 'text', (c) => c.notNull())
    .addColumn('scope_sites', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('password_credentials')
    .addColumn('operator_id', 'varchar(64)', (c) =>
      c.primaryKey().references('operators.id').onDelete('cascade'),
    )
    .addColumn('hash', 'varchar(256)', (c) => c.notNull())
    .addColumn('changed_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('totp_factors')
    .addColumn('operator_id', 'varchar(64)', (c) =>
      c.primaryKey().references('operators.id').onDelete('cascade'),
    )
    .addColumn('secret_enc', 'varchar(256)', (c) => c.notNull())
    .addColumn('confirmed', 'integer', (c) => c.notNull())
    .addColumn('last_step', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webauthn_credentials')
    .addColumn('id', 'varchar(512)', (c) => c.primaryKey())
    .addColumn('operator_id', 'varchar(64)', (c) =>
      c.notNull().references('operators.id').onDelete('cascade'),
    )
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull())
    .addColumn('transports', 'text', (c) => c.notNull())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('webauthn_credentials_operator')
    .on('webauthn_credentials')
    .column('operator_id')
    .execute();

  await db.schema
    .createTable('backup_codes')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('operator_id', 'varchar(64)', (c) =>
      c.notNull().references('operators.id').onDelete('cascade'),
    )
    .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('backup_codes_operator_hash')
    .on('backup_codes')
    .columns(['operator_id', 'code_hash'])
    .unique()
    .execute();

  await db.schema
    .createTable('auth_sessions')
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('operator_id', 'varchar(64)', (c) =>
      c.notNull().references('operators.id').onDelete('cascade'),
    )
    .addColumn('stage', 'varchar(8)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('source', 'varchar(64)', (c) => c.notNull())
    .addColumn('challenge', 'varchar(128)')
    .addColumn('challenge_expires_at', 'bigint')
    .execute();
  await db.schema.createIndex('auth_sessions_operator').on('auth_sessions').column('operator_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_by', 'varchar(64)', (c) => c.notNull().references('operators.id').onDelete('cascade'))
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .execute();

  await db.schema
    .createTable('login_throttle')
    .addColumn('username', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('setup_tokens')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();

  await db.schema
    .createTable('operator_addresses')
    .addColumn('operator_id', 'varchar(64)', (c) =>
      c.notNull().references('operators.id').onDelete('cascade'),
    )
    .addColumn('address', 'varchar(64)', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('operator_addresses_pk', ['operator_id', 'address'])
    .execute();

  await db.schema
    .createTable('alarms')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('severity', 'varchar(16)', (c) => c.notNull())
    .addColumn('source', 'varchar(128)', (c) => c.notNull())
    .addColumn('site', 'varchar(64)')
    .addColumn('message', 'varchar(500)', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'varchar(200)')
    .addColumn('occurrences', 'integer', (c) => c.notNull())
    .addColumn('raised_at', 'bigint', (c) => c.notNull())
    .addColumn('last_raised_at', 'bigint', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('acknowledged_by', 'varchar(128)')
    .addColumn('resolved_at', 'bigint')
    .addColumn('resolved_by', 'varchar(128)')
    .execute();
  await db.schema.createIndex('alarms_state_raised').on('alarms').columns(['state', 'raised_at']).execute();
  await db.schema
    .createIndex('alarms_dedupe')
    .on('alarms')
    .columns(['type', 'dedupe_key', 'state'])
    .execute();

  await db.schema
    .createTable('alarm_comments')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('alarm_id', 'varchar(64)', (c) => c.notNull().references('alarms.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('author', 'varchar(128)', (c) => c.notNull())
    .addColumn('text', 'varchar(2000)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alarm_comments_alarm')
    .on('alarm_comments')
    .columns(['alarm_id', 'at'])
    .execute();

  // Audit reads filter by actor and time; the table itself belongs to the audit-log migration.
  await db.schema
    .createIndex('audit_log_actor_id')
    .ifNotExists()
    .on('audit_log')
    .columns(['actor', 'id'])
    .execute();
  await db.schema.createIndex('audit_log_at').ifNotExists().on('audit_log').column('at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_log_at').ifExists().execute();
  await db.schema.dropIndex('audit_log_actor_id').ifExists().execute();
  for (const table of [
    'alarm_comments',
    'alarms',
    'operator_addresses',
    'setup_tokens',
    'login_throttle',
    'api_tokens',
    'auth_sessions',
    'backup_codes',
    'webauthn_credentials',
    'totp_factors',
    'password_credentials',
    'operators',
  ])
    await db.schema.dropTable(table).ifExists().execute();
}
