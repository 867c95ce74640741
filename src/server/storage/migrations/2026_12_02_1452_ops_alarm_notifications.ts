// Alarm notifications sent (src/server/notify/): one row per alarm, level (the first notice, the
// escalation) and channel (email, webhook …). The primary key is the claim: whichever server inserts
// the row sends that notice, so two servers on one database never both send it, and a restart
// neither forgets an escalation that is due nor sends one twice.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alarm_notifications')
    .addColumn('alarm_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('level', 'varchar(16)', (c) => c.notNull())
    .addColumn('channel', 'varchar(32)', (c) => c.notNull())
    // sending | sent | failed | gave_up
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    /** why the last attempt failed: an error code, never the server's text (it may echo addresses) */
    .addColumn('error', 'varchar(64)')
    .addPrimaryKeyConstraint('alarm_notifications_pk', ['alarm_id', 'level', 'channel'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alarm_notifications').execute();
}
