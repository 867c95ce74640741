// What the reports (issue 15 §1) need that the event log alone cannot answer quickly:
// - areas.my_number_zone: the area is a My Number 管理区域 ('management') or 取扱区域 ('handling');
// - presence_history: every stay of a person in an area (entered, left), written at ingest beside the
//   current presence, so "who was inside this zone between 10:00 and 11:00" reads stays, not a replay
//   of every event since the person last moved;
// - credential_last_use: when each credential last opened a door (the 棚卸 of unused IDs);
// - access review checkpoints and their entries (who could enter what, at each review);
// - report settings (which areas count as "at work");
// - events (door, at): the zone access report reads a month of a few doors' events; audit_log
//   (target, id): the access review reads when a membership was granted.
// Additive: nothing existing changes.

import type { Kysely } from 'kysely';
import type { Dialect } from '../db.ts';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const serial = (table: ReturnType<typeof db.schema.createTable>) =>
    table.addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    );

  await db.schema.alterTable('areas').addColumn('my_number_zone', 'varchar(16)').execute();

  await serial(db.schema.createTable('presence_history'))
    .addColumn('person_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('area', 'varchar(64)', (c) => c.notNull())
    .addColumn('entered_at', 'bigint', (c) => c.notNull())
    .addColumn('entered_door', 'varchar(64)')
    .addColumn('controller_id', 'varchar(64)')
    .addColumn('seq', 'bigint')
    /** null while the person is (as far as the server knows) still there */
    .addColumn('left_at', 'bigint')
    .addColumn('left_door', 'varchar(64)')
    .execute();
  await db.schema
    .createIndex('presence_history_person')
    .on('presence_history')
    .columns(['person_id', 'entered_at'])
    .execute();
  await db.schema
    .createIndex('presence_history_open')
    .on('presence_history')
    .columns(['person_id', 'left_at'])
    .execute();
  await db.schema
    .createIndex('presence_history_area_left')
    .on('presence_history')
    .columns(['area', 'left_at'])
    .execute();
  await db.schema
    .createIndex('presence_history_area_entered')
    .on('presence_history')
    .columns(['area', 'entered_at'])
    .execute();

  // Each person's latest passage recorded: a passage at or after it extends the history at its end
  // (the common case, a few statements per batch); an older one, reported late, is fitted in.
  await db.schema
    .createTable('presence_history_heads')
    .addColumn('person_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('last_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('credential_last_use')
    .addColumn('credential_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .addColumn('door', 'varchar(64)')
    .execute();

  await serial(db.schema.createTable('access_review_checkpoints'))
    /** `area:<id>` or `door:<id>` */
    .addColumn('subject', 'varchar(80)', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'varchar(128)', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('entries', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('access_review_checkpoints_subject')
    .on('access_review_checkpoints')
    .columns(['subject', 'at'])
    .execute();
  await db.schema
    .createTable('access_review_entries')
    .addColumn('checkpoint_id', 'bigint', (c) => c.notNull())
    .addColumn('person_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('door_id', 'varchar(64)', (c) => c.notNull())
    /** `level:<id>` or `group:<id>/level:<id>` */
    .addColumn('via', 'varchar(200)', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_review_entries_pk', ['checkpoint_id', 'person_id', 'door_id', 'via'])
    .execute();

  // Report settings (the areas that count as "at work" for attendance), JSON values by key.
  await db.schema
    .createTable('report_settings')
    .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createIndex('events_door_at').on('events').columns(['door', 'at']).execute();
  // The access review reads when each membership was granted from the audit trail, by target.
  await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_log_target').execute();
  await db.schema.dropIndex('events_door_at').execute();
  for (const table of [
    'report_settings',
    'access_review_entries',
    'access_review_checkpoints',
    'credential_last_use',
    'presence_history_heads',
    'presence_history',
  ])
    await db.schema.dropTable(table).execute();
  await db.schema.alterTable('areas').dropColumn('my_number_zone').execute();
}
