// Event ingest resolves each card a controller names by keyed hash to its safe reference and
// credential id (controllers/credential-refs.ts): a probe of `credentials` by ref_hash per card. The
// index on ref_hash alone made each probe read the table row too (a second random page); this one
// carries the columns the probe reads, so the index answers it alone. It replaces the narrower
// index, whose every query (ref_hash = …, ref_hash IS NULL) it serves as its first column.

import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('credentials_ref_resolve')
    .on('credentials')
    .columns(['ref_hash', 'id', 'type', 'identifier'])
    .execute();
  await db.schema.dropIndex('credentials_ref_hash').ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('credentials_ref_hash').on('credentials').column('ref_hash').execute();
  await db.schema.dropIndex('credentials_ref_resolve').execute();
}
