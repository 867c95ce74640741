// Table types of the data lifecycle and the directory integration (migrations
// 2026_12_02_1340_lifecycle_directory and later lifecycle ones). Same conventions as
// storage/schema.ts: milliseconds since the epoch, JSON text, one schema for SQLite and PostgreSQL.

import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../storage/schema.ts';

/** A person's data key, wrapped (AES-256-GCM) under the vault key; deleting the row shreds it. */
export interface PersonKeysTable {
  person_id: string;
  wrapped: string;
  created_at: number;
}

export interface ScimTokensTable {
  id: string;
  /** SHA-256 of the token, hex */
  token_hash: string;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** A person an identity provider provisioned: lookups by keyed hash, attributes sealed in the vault. */
export interface ScimUsersTable {
  person_id: string;
  user_name_hash: string;
  external_id_hash: string | null;
  /** the SCIM attributes (userName, name, emails, …) sealed under the person's data key */
  attributes: string;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface ScimGroupsTable {
  group_id: string;
  external_id: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export type LifecycleTables = {
  person_keys: PersonKeysTable;
  scim_tokens: ScimTokensTable;
  scim_users: ScimUsersTable;
  scim_groups: ScimGroupsTable;
};

export type LifecycleDatabase = Database & LifecycleTables;
export type LifecycleDb = Kysely<LifecycleDatabase>;

/** The store's connection (or a transaction on it) seen with the lifecycle tables too. */
export function lifecycleDb(db: Kysely<Database> | Transaction<Database>): LifecycleDb {
  return db.withTables<LifecycleTables>() as unknown as LifecycleDb;
}
