// One site model (issue 9 §4): a site owns its time zone, its holiday calendars and the name its
// controllers use in MQTT topics. Controllers and areas name their site; schedules take the time zone
// (and, unless told otherwise, the holidays) of the site where they are applied, and gain intervals
// that apply on holidays; access levels gain a threat-level limit; holiday calendars remember the
// preset they were filled from; credentials keep the keyed hash controllers name them by, so events
// can be shown with the credential's safe reference.
//
// Additive: every existing site label of a controller or an area becomes a site (time zone: the one
// the schedules used, else Asia/Tokyo; topic: `main`, the topic every controller used until now), so
// nothing stored stops being valid and enrolled controllers keep their topics.

import { type Kysely, sql } from 'kysely';

const id = 'varchar(64)';
const ID = /^[\p{L}\p{N}][\p{L}\p{N}._:@-]{0,63}$/u;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sites')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('timezone', 'varchar(64)', (c) => c.notNull())
    .addColumn('topic', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('site_holidays')
    .addColumn('site_id', id, (c) => c.notNull().references('sites.id').onDelete('cascade'))
    .addColumn('calendar_id', id, (c) => c.notNull().references('holiday_calendars.id').onDelete('restrict'))
    .addPrimaryKeyConstraint('site_holidays_pk', ['site_id', 'calendar_id'])
    .execute();
  await db.schema.createIndex('site_holidays_calendar').on('site_holidays').column('calendar_id').execute();

  await db.schema.alterTable('schedules').addColumn('holiday_intervals', 'text').execute();
  await db.schema
    .alterTable('schedules')
    .addColumn('site_holidays', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('access_levels').addColumn('max_threat_level', 'integer').execute();
  await db.schema.alterTable('holiday_calendars').addColumn('preset', 'text').execute();
  await db.schema.alterTable('credentials').addColumn('ref_hash', 'varchar(64)').execute();
  await db.schema.createIndex('credentials_ref_hash').on('credentials').column('ref_hash').execute();

  // Existing site labels become sites.
  const labels = await sql<{ site: string }>`
    SELECT site FROM controllers WHERE site IS NOT NULL
    UNION SELECT site FROM areas WHERE site IS NOT NULL`.execute(db);
  const zone = await sql<{ timezone: string }>`SELECT timezone FROM schedules ORDER BY id LIMIT 1`.execute(
    db,
  );
  const timezone = zone.rows[0]?.timezone ?? 'Asia/Tokyo';
  const now = Date.now();
  for (const { site } of labels.rows) {
    if (!ID.test(site)) continue; // not a valid id: the record is refused on its next change, with the field named
    await sql`INSERT INTO sites (id, name, timezone, topic, created_at, updated_at)
      VALUES (${site}, ${site}, ${timezone}, 'main', ${now}, ${now})`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('credentials_ref_hash').execute();
  await db.schema.alterTable('credentials').dropColumn('ref_hash').execute();
  await db.schema.alterTable('holiday_calendars').dropColumn('preset').execute();
  await db.schema.alterTable('access_levels').dropColumn('max_threat_level').execute();
  await db.schema.alterTable('schedules').dropColumn('site_holidays').execute();
  await db.schema.alterTable('schedules').dropColumn('holiday_intervals').execute();
  await db.schema.dropTable('site_holidays').execute();
  await db.schema.dropTable('sites').execute();
}
