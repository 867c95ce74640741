// The rest of the core's rules in the site model: areas gain two-person, route, priority, escort and
// fire-zone rules; doors gain interlock groups, door-local anti-passback, first-person-in and
// scheduled modes. Each is one JSON column, so a rule added to the core later needs no migration.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('areas').addColumn('rules', 'text').execute();
  await db.schema.alterTable('doors').addColumn('rules', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('areas').dropColumn('rules').execute();
  await db.schema.alterTable('doors').dropColumn('rules').execute();
}
