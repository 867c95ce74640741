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

/** How long each data class is kept (days); null: kept until deleted by hand. */
export interface RetentionSettingsTable {
  data_class: string;
  days: number | null;
  updated_at: number;
  updated_by: string;
}

/** Where a purged chain starts now: the first position left and the MAC of the one before it. */
export interface ChainFloorsTable {
  /** `audit` or `events:<controller id>` */
  chain: string;
  first_index: number;
  prev_mac: string;
  at: number;
  /** MAC under the chain key over chain, first_index and prev_mac */
  seal: string;
}

/** A record pseudonymised by an erasure: a MAC over what it now reads and its original MAC. */
export interface ChainSealsTable {
  chain: string;
  position: number;
  seal: string;
  at: number;
}

export interface ErasureCertificatesTable {
  id: string;
  /** 'person' | 'controller' | 'installation' */
  kind: string;
  /** the pseudonym or id the certificate is about (never the erased person's id) */
  subject: string;
  at: number;
  /** the signed certificate, JSON */
  certificate: string;
}

export type LifecycleTables = {
  retention_settings: RetentionSettingsTable;
  chain_floors: ChainFloorsTable;
  chain_seals: ChainSealsTable;
  erasure_certificates: ErasureCertificatesTable;
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
