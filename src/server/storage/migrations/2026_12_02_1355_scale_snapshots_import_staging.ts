// Import staging (issue 11 §3): a CSV import writes its checked rows here in small transactions, then
// applies them to the real tables in one switch, so the import is all or nothing without holding the
// database for the whole parse and check. Rows of one job share `job_id`; the job deletes them when
// it ends (done, refused or cancelled). Only people rows are staged: credential rows carry PINs,
// which never go to disk in clear (they stay in the import's memory until the switch hashes them).

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('import_staging')
    .addColumn('job_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('row', 'integer', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_staging_pk', ['job_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('import_staging').execute();
}
