// Credentials (認証情報): what a person presents. PINs (a card's PIN, a duress PIN, the digits of a
// PIN-only credential) are stored only as HMAC-SHA256 under the installation key and compared in
// constant time; reads never return them or their hashes. Use counts are consumed with one
// conditional UPDATE, so concurrent grants can never exceed maxUses. A credential is in its
// person's scope: outside it, it reads as absent.

import { timingSafeEqual } from 'node:crypto';
import type { Selectable } from 'kysely';
import { pinHash, siteCredentialKey } from '../../contracts/credential-key.ts';
import type { Page } from './cursor.ts';
import { type Executor, inTransaction } from './db.ts';
import { DuplicateCredentialError, isUniqueViolation, StorageError } from './errors.ts';
import { clampLimit, cursorId, pageOf } from './resource.ts';
import type { CredentialsTable } from './schema.ts';
import { type ScopeFilter, scopeAllows, scopeCondition } from './scope.ts';

export { DuplicateCredentialError };

export const CREDENTIAL_TYPES = ['card', 'pin', 'mobile', 'key', 'biometric'] as const;
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];
export const CREDENTIAL_STATES = ['active', 'suspended', 'lost', 'revoked'] as const;
export type CredentialState = (typeof CREDENTIAL_STATES)[number];

export interface NewCredential {
  id: string;
  personId: string;
  type: CredentialType;
  /** card number, mobile key id, key id or biometric template reference; none for `pin` */
  identifier?: string | undefined;
  /** the card's PIN, or the digits of a PIN-only credential: hashed, never stored */
  pin?: string | undefined;
  duressPin?: string | undefined;
  state?: CredentialState | undefined;
  validFrom?: number | null | undefined;
  validUntil?: number | null | undefined;
  maxUses?: number | null | undefined;
  label?: string | null | undefined;
}

export interface CredentialPatch {
  state?: CredentialState | undefined;
  validFrom?: number | null | undefined;
  validUntil?: number | null | undefined;
  maxUses?: number | null | undefined;
  label?: string | null | undefined;
  /** a new PIN; null removes a card's PIN (a PIN-only credential always has one) */
  pin?: string | null | undefined;
  duressPin?: string | null | undefined;
}

/** What reads return: no PIN, no hash. */
export interface CredentialView {
  id: string;
  personId: string;
  type: CredentialType;
  identifier: string | null;
  hasPin: boolean;
  hasDuressPin: boolean;
  state: CredentialState;
  validFrom: number | null;
  validUntil: number | null;
  maxUses: number | null;
  uses: number;
  label: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface CredentialFilter {
  personId?: string | undefined;
  type?: CredentialType | undefined;
  state?: CredentialState | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  scope?: ScopeFilter | undefined;
}

const num = (v: number | null) => (v === null ? null : Number(v));

const view = (row: Selectable<CredentialsTable>): CredentialView => ({
  id: row.id,
  personId: row.person_id,
  type: row.type as CredentialType,
  // A PIN-only credential's identifier is its PIN's hash: never shown.
  identifier: row.type === 'pin' ? null : row.identifier,
  hasPin: row.pin_hash !== null,
  hasDuressPin: row.duress_pin_hash !== null,
  state: row.state as CredentialState,
  validFrom: num(row.valid_from),
  validUntil: num(row.valid_until),
  maxUses: num(row.max_uses),
  uses: Number(row.uses),
  label: row.label,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at ?? row.created_at),
});

const invalid = (message: string, field: string) => new StorageError('invalid', 'credential', message, field);
const notFound = (id: string) => new StorageError('not_found', 'credential', `no credential '${id}'`);

function checkWindow(validFrom: number | null | undefined, validUntil: number | null | undefined): void {
  if (validFrom != null && validUntil != null && validUntil <= validFrom)
    throw invalid('validUntil must be after validFrom', 'validUntil');
}

export class CredentialStore {
  constructor(
    private readonly db: Executor,
    private readonly key: Uint8Array,
  ) {
    if (key.length < 32) throw new RangeError('the installation key must be at least 32 bytes');
    this.credentialKey = siteCredentialKey(key);
  }

  private readonly credentialKey: Uint8Array;

  /**
   * Keyed hash of a PIN under the site credential key (derived from the installation key; see
   * contracts/credential-key.ts): a stolen database gives away no PIN, and controllers, which hold
   * the credential key, check typed PINs against the same hashes.
   */
  hash(secret: string): string {
    return pinHash(this.credentialKey, secret);
  }

  private withStore(db: Executor): CredentialStore {
    return new CredentialStore(db, this.key);
  }

  private async personInScope(db: Executor, personId: string, scope?: ScopeFilter): Promise<void> {
    const person = await db
      .selectFrom('people')
      .select(['department', 'site'])
      .where('id', '=', personId)
      .executeTakeFirst();
    if (!person || !scopeAllows(scope, person))
      throw new StorageError('unknown_reference', 'person', `no person '${personId}'`, 'personId');
  }

  private async readRow(db: Executor, id: string, scope?: ScopeFilter) {
    return db
      .selectFrom('credentials')
      .innerJoin('people', 'people.id', 'credentials.person_id')
      .selectAll('credentials')
      .where('credentials.id', '=', id)
      .where((eb) => scopeCondition(eb, scope, { department: 'people.department', site: 'people.site' }))
      .executeTakeFirst();
  }

  async create(c: NewCredential, now: number, scope?: ScopeFilter): Promise<CredentialView> {
    if (c.type === 'pin') {
      if (c.pin === undefined) throw invalid('a PIN credential needs its PIN', 'pin');
      if (c.identifier !== undefined) throw invalid('a PIN credential has no identifier', 'identifier');
    } else if (c.identifier === undefined) {
      throw invalid(`a ${c.type} credential needs an identifier`, 'identifier');
    }
    if (c.maxUses != null && c.maxUses < 1) throw invalid('maxUses must be at least 1', 'maxUses');
    checkWindow(c.validFrom, c.validUntil);
    return inTransaction(this.db, async (tx) => {
      await this.personInScope(tx, c.personId, scope);
      if (await tx.selectFrom('credentials').select('id').where('id', '=', c.id).executeTakeFirst())
        throw new StorageError('exists', 'credential', `credential '${c.id}' already exists`, 'id');
      // PIN-only credentials are found by their PIN, so its keyed hash is also their identifier.
      const identifier = c.type === 'pin' ? this.hash(c.pin!) : c.identifier!;
      try {
        await tx
          .insertInto('credentials')
          .values({
            id: c.id,
            person_id: c.personId,
            type: c.type,
            identifier,
            pin_hash: c.pin === undefined ? null : this.hash(c.pin),
            duress_pin_hash: c.duressPin === undefined ? null : this.hash(c.duressPin),
            state: c.state ?? 'active',
            valid_from: c.validFrom ?? null,
            valid_until: c.validUntil ?? null,
            max_uses: c.maxUses ?? null,
            uses: 0,
            label: c.label ?? null,
            created_at: now,
            updated_at: now,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new DuplicateCredentialError(c.type === 'pin' ? 'pin' : 'identifier');
        throw error;
      }
      return view((await this.readRow(tx, c.id))!);
    });
  }

  async get(id: string, scope?: ScopeFilter): Promise<CredentialView | undefined> {
    const row = await this.readRow(this.db, id, scope);
    return row && view(row);
  }

  async list(filter: CredentialFilter = {}): Promise<Page<CredentialView>> {
    const limit = clampLimit(filter.limit);
    const after = cursorId(filter.cursor, 'credential');
    let query = this.db
      .selectFrom('credentials')
      .innerJoin('people', 'people.id', 'credentials.person_id')
      .selectAll('credentials')
      .where((eb) =>
        scopeCondition(eb, filter.scope, { department: 'people.department', site: 'people.site' }),
      )
      .orderBy('credentials.id')
      .limit(limit + 1);
    if (filter.personId !== undefined) query = query.where('credentials.person_id', '=', filter.personId);
    if (filter.type !== undefined) query = query.where('credentials.type', '=', filter.type);
    if (filter.state !== undefined) query = query.where('credentials.state', '=', filter.state);
    if (after !== undefined) query = query.where('credentials.id', '>', after);
    return pageOf((await query.execute()).map(view), limit);
  }

  async update(
    id: string,
    patch: CredentialPatch,
    now: number,
    scope?: ScopeFilter,
  ): Promise<CredentialView> {
    return inTransaction(this.db, async (tx) => {
      const row = await this.readRow(tx, id, scope);
      if (!row) throw notFound(id);
      const validFrom = patch.validFrom !== undefined ? patch.validFrom : num(row.valid_from);
      const validUntil = patch.validUntil !== undefined ? patch.validUntil : num(row.valid_until);
      checkWindow(validFrom, validUntil);
      if (patch.maxUses != null && patch.maxUses < 1) throw invalid('maxUses must be at least 1', 'maxUses');
      const set: Partial<CredentialsTable> = {
        updated_at: now,
        valid_from: validFrom,
        valid_until: validUntil,
      };
      if (patch.state !== undefined) set.state = patch.state;
      if (patch.maxUses !== undefined) set.max_uses = patch.maxUses;
      if (patch.label !== undefined) set.label = patch.label;
      if (patch.duressPin !== undefined)
        set.duress_pin_hash = patch.duressPin === null ? null : this.hash(patch.duressPin);
      if (patch.pin !== undefined) {
        if (row.type === 'pin') {
          if (patch.pin === null) throw invalid('a PIN credential always has a PIN', 'pin');
          set.identifier = this.hash(patch.pin);
        }
        set.pin_hash = patch.pin === null ? null : this.hash(patch.pin);
      }
      try {
        await tx.updateTable('credentials').set(set).where('id', '=', id).execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new DuplicateCredentialError('pin');
        throw error;
      }
      return view((await this.readRow(tx, id))!);
    });
  }

  /** Creates the credential, or updates an existing one of the same person and type (CSV import). */
  async upsert(c: NewCredential, now: number): Promise<'created' | 'updated'> {
    return inTransaction(this.db, async (tx) => {
      const existing = await tx
        .selectFrom('credentials')
        .selectAll()
        .where('id', '=', c.id)
        .executeTakeFirst();
      const store = this.withStore(tx);
      if (!existing) {
        await store.create(c, now);
        return 'created';
      }
      if (existing.person_id !== c.personId)
        throw invalid('this credential belongs to another person', 'personId');
      if (existing.type !== c.type) throw invalid('the type of a credential cannot change', 'type');
      if (c.type !== 'pin' && c.identifier !== existing.identifier)
        throw invalid('the identifier of a credential cannot change', 'identifier');
      // Fields left undefined keep their value; null clears them.
      await store.update(
        c.id,
        {
          state: c.state,
          validFrom: c.validFrom,
          validUntil: c.validUntil,
          maxUses: c.maxUses,
          label: c.label,
          pin: c.pin,
          duressPin: c.duressPin,
        },
        now,
      );
      return 'updated';
    });
  }

  async remove(id: string, scope?: ScopeFilter): Promise<boolean> {
    return inTransaction(this.db, async (tx) => {
      if (!(await this.readRow(tx, id, scope))) return false;
      const result = await tx.deleteFrom('credentials').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  /**
   * How controllers know a credential (type and identifier; a PIN-only credential's identifier is
   * its keyed PIN hash), with its person and state: what revoking it needs. Never returned by the API.
   */
  async keyOf(
    id: string,
    scope?: ScopeFilter,
  ): Promise<
    { personId: string; type: CredentialType; identifier: string | null; state: CredentialState } | undefined
  > {
    const row = await this.readRow(this.db, id, scope);
    if (!row) return undefined;
    return {
      personId: row.person_id,
      type: row.type as CredentialType,
      identifier: row.identifier,
      state: row.state as CredentialState,
    };
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

  async setState(id: string, state: CredentialState, now = Date.now()): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set({ state, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Uses one use if any is left: true when consumed. One conditional UPDATE: atomic on both engines. */
  async consumeCredentialUse(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set((eb) => ({ uses: eb('uses', '+', 1) }))
      .where('id', '=', id)
      .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** @deprecated use consumeCredentialUse */
  consumeUse(id: string): Promise<boolean> {
    return this.consumeCredentialUse(id);
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
