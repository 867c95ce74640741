// Table types for Kysely: one interface per table, the same on SQLite and PostgreSQL. Times are
// milliseconds since the epoch (bigint-safe numbers), booleans are 0/1 integers, and structured
// values (schedule intervals, event details) are JSON text, so one schema serves both engines.

import type { Generated } from 'kysely';

export interface PeopleTable {
  id: string;
  name: string;
  department: string | null;
  site: string | null;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface PersonGroupsTable {
  person_id: string;
  group_id: string;
}

export interface CredentialsTable {
  id: string;
  person_id: string;
  type: string;
  /** identifier for card/mobile/key/biometric credentials; null for PIN-only ones */
  identifier: string | null;
  /** HMAC-SHA256 of the PIN (card PIN, or the PIN-only credential's digits); never the PIN */
  pin_hash: string | null;
  duress_pin_hash: string | null;
  state: string;
  valid_from: number | null;
  valid_until: number | null;
  max_uses: number | null;
  uses: number;
  created_at: number;
}

export interface EventsTable {
  id: Generated<number>;
  controller_id: string;
  seq: number;
  at: number;
  type: string;
  door: string | null;
  area: string | null;
  person_id: string | null;
  detail: string;
}

export interface PresenceTable {
  person_id: string;
  area: string | null;
  version: number;
}

export interface AuditLogTable {
  id: number;
  at: number;
  actor: string;
  source: string;
  action: string;
  target: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

export interface Database {
  people: PeopleTable;
  person_groups: PersonGroupsTable;
  credentials: CredentialsTable;
  events: EventsTable;
  presence: PresenceTable;
  audit_log: AuditLogTable;
}
