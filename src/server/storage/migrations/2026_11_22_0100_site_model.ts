// The site model behind the management API: groups, access levels (doors × schedule), schedules with
// holiday calendars, areas (`outside` always exists), controllers and doors; people gain direct levels
// and a left-at time; credentials a label. References are foreign keys that RESTRICT deletion, so a
// door still used by a level cannot disappear under it. Existing group memberships are kept: each
// group id they name becomes a group.

import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db.ts';

const id = 'varchar(64)';

export async function up(db: Kysely<unknown>, _dialect?: Dialect): Promise<void> {
  const now = Date.now();
  await db.schema.alterTable('people').addColumn('left_at', 'bigint').execute();
  await db.schema.alterTable('credentials').addColumn('label', 'varchar(100)').execute();
  await db.schema.alterTable('credentials').addColumn('updated_at', 'bigint').execute();

  await db.schema
    .createTable('groups')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO groups (id, name, description, created_at, updated_at)
    SELECT DISTINCT group_id, group_id, NULL, ${sql.lit(now)}, ${sql.lit(now)} FROM person_groups`.execute(
    db,
  );

  // Memberships now point at real groups: rebuild the table with the foreign key (SQLite cannot add one).
  await db.schema
    .createTable('person_groups_new')
    .addColumn('person_id', id, (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('group_id', id, (c) => c.notNull().references('groups.id').onDelete('restrict'))
    .addPrimaryKeyConstraint('person_groups_new_pk', ['person_id', 'group_id'])
    .execute();
  await sql`INSERT INTO person_groups_new (person_id, group_id) SELECT person_id, group_id FROM person_groups`.execute(
    db,
  );
  await db.schema.dropTable('person_groups').execute();
  await db.schema.alterTable('person_groups_new').renameTo('person_groups').execute();
  await db.schema.createIndex('person_groups_group').on('person_groups').column('group_id').execute();

  await db.schema
    .createTable('holiday_calendars')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('holiday_dates')
    .addColumn('calendar_id', id, (c) => c.notNull().references('holiday_calendars.id').onDelete('cascade'))
    .addColumn('date', 'varchar(10)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addPrimaryKeyConstraint('holiday_dates_pk', ['calendar_id', 'date'])
    .execute();

  await db.schema
    .createTable('schedules')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('timezone', 'varchar(64)', (c) => c.notNull())
    .addColumn('weekly', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('schedule_holidays')
    .addColumn('schedule_id', id, (c) => c.notNull().references('schedules.id').onDelete('cascade'))
    .addColumn('calendar_id', id, (c) => c.notNull().references('holiday_calendars.id').onDelete('restrict'))
    .addPrimaryKeyConstraint('schedule_holidays_pk', ['schedule_id', 'calendar_id'])
    .execute();

  await db.schema
    .createTable('areas')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('parent_id', id, (c) => c.references('areas.id').onDelete('restrict'))
    .addColumn('site', id)
    .addColumn('max_occupancy', 'integer')
    .addColumn('antipassback', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO areas (id, name, parent_id, site, max_occupancy, antipassback, created_at, updated_at)
    VALUES ('outside', 'Outside', NULL, NULL, NULL, NULL, ${sql.lit(now)}, ${sql.lit(now)})`.execute(db);

  await db.schema
    .createTable('controllers')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('site', id)
    .addColumn('description', 'varchar(1000)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('doors')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('from_area', id, (c) => c.notNull().references('areas.id').onDelete('restrict'))
    .addColumn('to_area', id, (c) => c.notNull().references('areas.id').onDelete('restrict'))
    .addColumn('controller_id', id, (c) => c.references('controllers.id').onDelete('restrict'))
    .addColumn('mode', 'varchar(16)', (c) => c.notNull())
    .addColumn('strike_seconds', 'integer', (c) => c.notNull())
    .addColumn('held_open_seconds', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('access_levels')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('schedule_id', id, (c) => c.references('schedules.id').onDelete('restrict'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('access_level_doors')
    .addColumn('level_id', id, (c) => c.notNull().references('access_levels.id').onDelete('cascade'))
    .addColumn('door_id', id, (c) => c.notNull().references('doors.id').onDelete('restrict'))
    .addPrimaryKeyConstraint('access_level_doors_pk', ['level_id', 'door_id'])
    .execute();
  await db.schema.createIndex('access_level_doors_door').on('access_level_doors').column('door_id').execute();

  await db.schema
    .createTable('group_levels')
    .addColumn('group_id', id, (c) => c.notNull().references('groups.id').onDelete('cascade'))
    .addColumn('level_id', id, (c) => c.notNull().references('access_levels.id').onDelete('restrict'))
    .addPrimaryKeyConstraint('group_levels_pk', ['group_id', 'level_id'])
    .execute();
  await db.schema
    .createTable('person_levels')
    .addColumn('person_id', id, (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('level_id', id, (c) => c.notNull().references('access_levels.id').onDelete('restrict'))
    .addPrimaryKeyConstraint('person_levels_pk', ['person_id', 'level_id'])
    .execute();
  await db.schema.createIndex('person_levels_level').on('person_levels').column('level_id').execute();
  await db.schema.createIndex('group_levels_level').on('group_levels').column('level_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'person_levels',
    'group_levels',
    'access_level_doors',
    'access_levels',
    'doors',
    'controllers',
    'areas',
    'schedule_holidays',
    'schedules',
    'holiday_dates',
    'holiday_calendars',
  ])
    await db.schema.dropTable(table).ifExists().execute();
}
