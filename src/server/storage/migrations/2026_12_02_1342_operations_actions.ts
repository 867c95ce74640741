// Operator actions on doors and areas (issue 9): each request, who made it and what it asked, and per
// controller concerned what became of it (pending, applied, refused, not reachable), so the action
// status resource shows the same answer from any server instance and after a restart. Additive.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('operator_actions')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('target', 'varchar(200)', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('actor', 'varchar(200)', (c) => c.notNull())
    .addColumn('site', 'varchar(64)')
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('operator_actions_requested_at')
    .on('operator_actions')
    .column('requested_at')
    .execute();
  await db.schema
    .createTable('operator_action_outcomes')
    .addColumn('action_id', 'varchar(64)', (c) =>
      c.notNull().references('operator_actions.id').onDelete('cascade'),
    )
    .addColumn('controller_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('operator_action_outcomes_pk', ['action_id', 'controller_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('operator_action_outcomes').execute();
  await db.schema.dropTable('operator_actions').execute();
}
