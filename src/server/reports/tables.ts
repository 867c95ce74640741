// Table types of the reports (migration 2026_12_02_1355_reports_history.ts), beside the site tables,
// the same conventions as storage/schema.ts (times in ms, JSON as text).

import type { Generated, Kysely } from 'kysely';
import type { AlarmTables } from '../alarms/tables.ts';
import type { AuthTables } from '../auth/tables.ts';
import type { Executor } from '../storage/db.ts';
import type { Database } from '../storage/schema.ts';

/** One stay of a person in one area: from the passage that put them there to the one that moved them on. */
export interface PresenceHistoryTable {
  id: Generated<number>;
  person_id: string;
  area: string;
  entered_at: number;
  entered_door: string | null;
  controller_id: string | null;
  seq: number | null;
  /** null while the person is still there as far as the server knows */
  left_at: number | null;
  left_door: string | null;
}

export interface CredentialLastUseTable {
  credential_id: string;
  last_used_at: number;
  door: string | null;
}

export interface AccessReviewCheckpointsTable {
  id: Generated<number>;
  subject: string;
  at: number;
  actor: string;
  note: string | null;
  entries: number;
}

export interface AccessReviewEntriesTable {
  checkpoint_id: number;
  person_id: string;
  door_id: string;
  via: string;
}

export interface ReportSettingsTable {
  key: string;
  /** JSON */
  value: string;
  updated_at: number;
}

export interface ReportTables {
  report_settings: ReportSettingsTable;
  presence_history: PresenceHistoryTable;
  credential_last_use: CredentialLastUseTable;
  access_review_checkpoints: AccessReviewCheckpointsTable;
  access_review_entries: AccessReviewEntriesTable;
}

export type ReportDb = Kysely<Database & ReportTables & AuthTables & AlarmTables>;

/** The same connection (or transaction), typed with the report, security and alarm tables too. */
export function reportDb(db: Executor): ReportDb {
  return db as unknown as ReportDb;
}
