// Storage of guests, keys, key links and key uses (tables.ts). Rows in, views out; the service
// (service.ts) decides what may change.

import type { Kysely, Selectable } from 'kysely';
import type { Weekday } from '../../core/model.ts';
import type { Executor } from '../storage/db.ts';
import type { Database } from '../storage/schema.ts';
import type { AccessKeysTable, GuestsTable, KeyTables } from './tables.ts';

export type KeyDb = Kysely<Database & KeyTables>;
export const keyDb = (db: Executor): KeyDb => (db as Kysely<Database>).withTables<KeyTables>() as KeyDb;

export type KeyKind = 'key' | 'delivery';
export type KeyState = 'active' | 'revoked' | 'ended';
export const KEY_STATES: readonly KeyState[] = ['active', 'revoked', 'ended'];
export type HolderKind = 'person' | 'guest';

export interface Guest {
  id: string;
  name: string;
  company: string | null;
  contact: string | null;
  hostPersonId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface AccessKey {
  id: string;
  kind: KeyKind;
  holder: { kind: HolderKind; id: string };
  sponsor: string;
  label: string | null;
  doors: string[];
  areas: string[];
  validFrom: number;
  validUntil: number;
  weekdays: Weekday[];
  windows: string[];
  maxUses: number | null;
  /**
   * uses counted against `maxUses` site-wide (claimed online, or granted offline and reported;
   * operations/use-counts.ts) — what snapshots subtract; the API's `uses` are the grants logged
   */
  usesCounted: number;
  validForMinutes: number | null;
  firstUsedAt: number | null;
  state: KeyState;
  refHash: string;
  reservationId: string | null;
  recipientPersonId: string | null;
  createdAt: number;
  updatedAt: number;
  revokedAt: number | null;
}

export const guestOf = (r: GuestsTable): Guest => ({
  id: r.id,
  name: r.name,
  company: r.company,
  contact: r.contact,
  hostPersonId: r.host_person_id,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const keyOf = (r: Selectable<AccessKeysTable>): AccessKey => ({
  id: r.id,
  kind: r.kind as KeyKind,
  holder: { kind: r.holder_kind as HolderKind, id: r.holder_id },
  sponsor: r.sponsor,
  label: r.label,
  doors: JSON.parse(r.doors) as string[],
  areas: JSON.parse(r.areas) as string[],
  validFrom: Number(r.valid_from),
  validUntil: Number(r.valid_until),
  weekdays: JSON.parse(r.weekdays) as Weekday[],
  windows: JSON.parse(r.windows) as string[],
  maxUses: r.max_uses === null ? null : Number(r.max_uses),
  usesCounted: Number(r.uses),
  validForMinutes: r.valid_for_minutes === null ? null : Number(r.valid_for_minutes),
  firstUsedAt: r.first_used_at === null ? null : Number(r.first_used_at),
  state: r.state as KeyState,
  refHash: r.ref_hash,
  reservationId: r.reservation_id,
  recipientPersonId: r.recipient_person_id,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

/** The row of a key; its use count is the counter's alone (use-counts.ts), never written from here. */
export function keyRow(k: AccessKey): Omit<AccessKeysTable, 'uses'> {
  return {
    id: k.id,
    kind: k.kind,
    holder_kind: k.holder.kind,
    holder_id: k.holder.id,
    sponsor: k.sponsor,
    label: k.label,
    doors: JSON.stringify(k.doors),
    areas: JSON.stringify(k.areas),
    valid_from: k.validFrom,
    valid_until: k.validUntil,
    weekdays: JSON.stringify(k.weekdays),
    windows: JSON.stringify(k.windows),
    max_uses: k.maxUses,
    valid_for_minutes: k.validForMinutes,
    first_used_at: k.firstUsedAt,
    state: k.state,
    ref_hash: k.refHash,
    reservation_id: k.reservationId,
    recipient_person_id: k.recipientPersonId,
    created_at: k.createdAt,
    updated_at: k.updatedAt,
    revoked_at: k.revokedAt,
  };
}

/** The end of a key's validity once first used (valid N minutes from first use), or its own end. */
export function effectiveUntil(k: Pick<AccessKey, 'validUntil' | 'validForMinutes' | 'firstUsedAt'>): number {
  if (k.validForMinutes === null || k.firstUsedAt === null) return k.validUntil;
  return Math.min(k.validUntil, k.firstUsedAt + k.validForMinutes * 60_000);
}

export class KeyStore {
  readonly db: KeyDb;
  constructor(db: Executor) {
    this.db = keyDb(db);
  }

  async guest(id: string): Promise<Guest | undefined> {
    const r = await this.db.selectFrom('guests').selectAll().where('id', '=', id).executeTakeFirst();
    return r && guestOf(r);
  }

  async key(id: string): Promise<AccessKey | undefined> {
    const r = await this.db.selectFrom('access_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r && keyOf(r);
  }

  async keyByRefHash(hash: string): Promise<AccessKey | undefined> {
    const r = await this.db
      .selectFrom('access_keys')
      .selectAll()
      .where('ref_hash', '=', hash)
      .executeTakeFirst();
    return r && keyOf(r);
  }

  async insertKey(k: AccessKey): Promise<void> {
    await this.db.insertInto('access_keys').values(keyRow(k)).execute();
  }

  async replaceKey(k: AccessKey): Promise<void> {
    const { id, ...rest } = keyRow(k);
    await this.db.updateTable('access_keys').set(rest).where('id', '=', id).execute();
  }

  /** Keys that may open something now or later (active and not past their end). */
  async liveKeys(now: number): Promise<AccessKey[]> {
    const rows = await this.db
      .selectFrom('access_keys')
      .selectAll()
      .where('state', '=', 'active')
      .where('valid_until', '>', now)
      .execute();
    return rows.map(keyOf).filter((k) => effectiveUntil(k) > now);
  }

  async usesOf(keyId: string): Promise<number> {
    const r = await this.db
      .selectFrom('key_uses')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('key_id', '=', keyId)
      .where('result', '=', 'grant')
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
