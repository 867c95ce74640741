// Credentials: PINs are stored only as HMAC-SHA256 under the installation key, compared in constant
// time; use counts are consumed with a single conditional UPDATE, so concurrent grants can never
// exceed maxUses.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CredentialsTable, Database } from './schema.ts';

export type CredentialType = 'card' | 'pin' | 'mobile' | 'key' | 'biometric';
export type CredentialState = 'active' | 'suspended' | 'lost' | 'revoked';

export interface NewCredential {
  id: string;
  personId: string;
  type: CredentialType;
  /** card, mobile, key or biometric identifier */
  identifier?: string;
  /** the card's PIN, or the digits of a PIN-only credential: hashed, never stored */
  pin?: string;
  duressPin?: string;
  validFrom?: number;
  validUntil?: number;
  maxUses?: number;
}

/** What reads return: no PIN, no hash. */
export interface CredentialView {
  id: string;
  personId: string;
  type: CredentialType;
  identifier: string | null;
  hasPin: boolean;
  state: CredentialState;
  validFrom: number | null;
  validUntil: number | null;
  maxUses: number | null;
  uses: number;
}

export class DuplicateCredentialError extends Error {
  constructor() {
    super('a credential with this identifier is already held');
    this.name = 'DuplicateCredentialError';
  }
}

const view = (row: CredentialsTable): CredentialView => ({
  id: row.id,
  personId: row.person_id,
  type: row.type as CredentialType,
  identifier: row.type === 'pin' ? null : row.identifier,
  hasPin: row.pin_hash !== null,
  state: row.state as CredentialState,
  validFrom: row.valid_from,
  validUntil: row.valid_until,
  maxUses: row.max_uses,
  uses: row.uses,
});

function isUniqueViolation(error: unknown): boolean {
  const text = String((error as { code?: string }).code ?? '') + String(error);
  return text.includes('UNIQUE') || text.includes('23505');
}

export class CredentialStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly key: Uint8Array,
  ) {}

  /** Keyed hash: without the installation key, a stolen database gives away no PIN. */
  hash(secret: string): string {
    return createHmac('sha256', this.key).update(secret).digest('hex');
  }

  async create(c: NewCredential, now: number): Promise<CredentialView> {
    if (c.type === 'pin' ? c.pin === undefined : c.identifier === undefined) {
      throw new RangeError(
        c.type === 'pin' ? 'a PIN credential needs its PIN' : `a ${c.type} credential needs an identifier`,
      );
    }
    // PIN-only credentials are found by their PIN, so its keyed hash is also their identifier.
    const identifier = c.type === 'pin' ? this.hash(c.pin!) : c.identifier!;
    try {
      await this.db
        .insertInto('credentials')
        .values({
          id: c.id,
          person_id: c.personId,
          type: c.type,
          identifier,
          pin_hash: c.pin === undefined ? null : this.hash(c.pin),
          duress_pin_hash: c.duressPin === undefined ? null : this.hash(c.duressPin),
          state: 'active',
          valid_from: c.validFrom ?? null,
          valid_until: c.validUntil ?? null,
          max_uses: c.maxUses ?? null,
          uses: 0,
          created_at: now,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateCredentialError();
      throw error;
    }
    return (await this.get(c.id))!;
  }

  async get(id: string): Promise<CredentialView | undefined> {
    const row = await this.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return row && view(row);
  }

  /** Finds a credential as presented: `card`/`mobile`/`key`/`biometric` by identifier, `pin` by PIN. */
  async findPresented(type: CredentialType, value: string): Promise<CredentialView | undefined> {
    const identifier = type === 'pin' ? this.hash(value) : value;
    const row = await this.db
      .selectFrom('credentials')
      .selectAll()
      .where('type', '=', type)
      .where('identifier', '=', identifier)
      .executeTakeFirst();
    return row && view(row);
  }

  async verifyPin(id: string, pin: string): Promise<'ok' | 'duress' | 'wrong'> {
    const row = await this.db
      .selectFrom('credentials')
      .select(['pin_hash', 'duress_pin_hash'])
      .where('id', '=', id)
      .executeTakeFirst();
    const typed = Buffer.from(this.hash(pin), 'hex');
    const same = (stored: string | null | undefined) =>
      stored != null && timingSafeEqual(Buffer.from(stored, 'hex'), typed);
    if (same(row?.pin_hash)) return 'ok';
    if (same(row?.duress_pin_hash)) return 'duress';
    return 'wrong';
  }

  async setState(id: string, state: CredentialState): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set({ state })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Uses one use if any is left: true when consumed. Atomic under concurrency on both engines. */
  async consumeUse(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set((eb) => ({ uses: eb('uses', '+', 1) }))
      .where('id', '=', id)
      .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async ofPerson(personId: string): Promise<CredentialView[]> {
    return (
      await this.db
        .selectFrom('credentials')
        .selectAll()
        .where('person_id', '=', personId)
        .orderBy('id')
        .execute()
    ).map(view);
  }
}
