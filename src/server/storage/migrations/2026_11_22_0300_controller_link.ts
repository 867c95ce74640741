// The controller link (issue 4): one row per registered controller holding its enrollment (a one-time
// token's hash until used, then the controller's own Ed25519 public key), what its heartbeats report
// (software version, configuration hash, clock offset, journal backlog), the policy snapshot it holds,
// and the last message sequence accepted from it (replay protection that survives server restarts).

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('controller_links')
    .addColumn('controller_id', 'varchar(64)', (c) =>
      c.primaryKey().references('controllers.id').onDelete('cascade'),
    )
    .addColumn('enrollment_token_hash', 'varchar(64)')
    .addColumn('enrollment_expires_at', 'bigint')
    .addColumn('public_key', 'text')
    .addColumn('enrolled_at', 'bigint')
    .addColumn('link_state', 'varchar(16)', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('last_seen_at', 'bigint')
    .addColumn('software_version', 'varchar(64)')
    .addColumn('config_hash', 'varchar(64)')
    .addColumn('config_baseline', 'varchar(64)')
    .addColumn('clock_offset_ms', 'bigint')
    .addColumn('journal_pending', 'bigint')
    .addColumn('snapshot_version', 'bigint')
    .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('controller_links').execute();
}
