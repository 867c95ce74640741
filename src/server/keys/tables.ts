// Table types for guests, time-limited keys, their delivery links and their uses, reservations and
// the idempotency records of integration writes (same conventions as storage/schema.ts: times in ms,
// JSON as text). No key secret is stored anywhere: a key is known by the keyed hash controllers
// know it by (`ref_hash`), its delivery link by the SHA-256 of its token.

import type { Generated } from 'kysely';

export interface GuestsTable {
  id: string;
  name: string;
  company: string | null;
  /** e-mail or phone, as given; shown to operators, never sent to controllers */
  contact: string | null;
  /** the person who hosts the guest */
  host_person_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface AccessKeysTable {
  id: string;
  /** 'key' (時限キー) | 'delivery' (置き配: one door, single use) */
  kind: string;
  /** 'person' | 'guest' */
  holder_kind: string;
  holder_id: string;
  /** who issued it (operator id, `token:<id>`): named in every use */
  sponsor: string;
  label: string | null;
  /** JSON string[]: door ids */
  doors: string;
  /** JSON string[]: area ids (every door into them) */
  areas: string;
  valid_from: number;
  valid_until: number;
  /** JSON Weekday[]; empty: every day */
  weekdays: string;
  /** JSON "HH:MM-HH:MM"[] in the site's zone; empty: the whole day */
  windows: string;
  max_uses: number | null;
  /** uses counted site-wide: claimed by online controllers, or granted offline and reported */
  uses: Generated<number>;
  valid_for_minutes: number | null;
  first_used_at: number | null;
  /** 'active' | 'revoked' | 'ended' */
  state: string;
  /** keyed hash of the key secret (contracts/credential-key.ts), as controllers know it */
  ref_hash: string;
  reservation_id: string | null;
  /** delivery access: the person told when it is used */
  recipient_person_id: string | null;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
}

export interface KeyLinksTable {
  /** SHA-256 hex of the link token; the token itself is only in the link handed out */
  token_hash: string;
  key_id: string;
  expires_at: number;
  created_at: number;
  /** the first time the link was opened (it may be opened again until it expires) */
  opened_at: number | null;
}

export interface KeyUsesTable {
  /** `controller:seq` of the access event: each is recorded once */
  id: string;
  key_id: string;
  at: number;
  door: string | null;
  /** 'grant' | 'deny' */
  result: string;
  reason: string;
  controller_id: string;
  sponsor: string;
}

export interface ReservationsTable {
  id: string;
  /** the area booked */
  space_id: string;
  guest_id: string;
  /** the booking system's own reference */
  external_ref: string | null;
  starts_at: number;
  ends_at: number;
  /** 'booked' | 'cancelled' | 'ended' */
  state: string;
  key_id: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface IdempotencyTable {
  /** who called (operator or token id) */
  principal: string;
  /** the Idempotency-Key header */
  key: string;
  /** `METHOD path` */
  operation: string;
  /** SHA-256 of the request body: the same key with another body is refused */
  body_hash: string;
  status: number;
  /** JSON of the answer (never a secret: key links are left out and fetched again) */
  response: string;
  created_at: number;
}

export type KeyTables = {
  guests: GuestsTable;
  access_keys: AccessKeysTable;
  key_links: KeyLinksTable;
  key_uses: KeyUsesTable;
  reservations: ReservationsTable;
  idempotency_records: IdempotencyTable;
};
