// When each area's anti-passback was last reset (issue 9): a passage into the area that happened
// before the reset but reaches the server after it must not put the person back inside — the
// controllers applied the reset to it already. Additive.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('presence_area_resets')
    .addColumn('area', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('presence_area_resets').execute();
}
