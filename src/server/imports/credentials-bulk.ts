// The credentials of an import written in bulk (the switch of an import job, issue 11 §3): the same
// outcome and the same domain events as writing each row with credentialWrites.upsert
// (services/credentials.ts) — created; or, for a stored credential of the same person, type and
// identifier, every given field replaced and the others kept; revoked, reinstated, updated — but two
// statements per slice of rows (read what is stored, one multi-row upsert) instead of about eight
// queries per row. PINs are hashed here, under the site credential key (HMAC-SHA256, as the store
// does), in the import's worker thread. The rows were checked before (csv/credentials.ts); what
// changed since (a credential moved, a window that no longer fits) refuses the switch with the row.

import type { Selectable } from 'kysely';
import { credentialIdHash, pinHash } from '../../contracts/credential-key.ts';
import type { CredentialKey } from '../domain/events.ts';
import type { Raise } from '../services/write.ts';
import { type BulkColumn, bulkInsert, selectByKeys } from '../storage/bulk.ts';
import type { NewCredential } from '../storage/credentials.ts';
import type { Executor } from '../storage/db.ts';
import type { CredentialsTable } from '../storage/schema.ts';
import type { SliceWrite } from './people-bulk.ts';

/** Rows of one slice (read together, written together): few round trips, an IN list well below limits. */
export const CREDENTIALS_SLICE = 2_000;

/** A row the switch cannot write (what the service's store would have refused), by its index. */
export class CredentialRowRefused extends Error {
  constructor(
    readonly index: number,
    readonly field: string | null,
    reason: string,
  ) {
    super(reason);
  }
}

type Row = Selectable<CredentialsTable>;

const CREDENTIAL_COLUMNS: readonly BulkColumn[] = [
  ...['id', 'person_id', 'type', 'identifier', 'ref_hash', 'pin_hash', 'duress_pin_hash', 'state'].map(
    (name) => ({ name, pg: 'text' as const }),
  ),
  ...['valid_from', 'valid_until', 'max_uses', 'uses'].map((name) => ({ name, pg: 'bigint' as const })),
  { name: 'label', pg: 'text' },
  { name: 'created_at', pg: 'bigint' },
  { name: 'updated_at', pg: 'bigint' },
];

/** The stored credentials of an import's rows, read at the switch's start, inside it. */
export async function credentialsBefore(tx: Executor, ids: readonly string[]): Promise<Map<string, Row>> {
  const rows = await selectByKeys(tx, ids, (match) =>
    tx.selectFrom('credentials').selectAll().where(match('id')).execute(),
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Creates or updates one slice of credentials (at most CREDENTIALS_SLICE) inside the caller's
 * transaction, against what `stored` (credentialsBefore) read. A row the store would refuse throws
 * CredentialRowRefused here, before anything of the slice is sent; the writes are sent and left
 * running (SliceWrite), so the caller hashes the next slice while the database writes this one.
 */
export function upsertCredentialsSlice(
  tx: Executor,
  credentialKey: Uint8Array,
  inputs: readonly NewCredential[],
  stored: ReadonlyMap<string, Row>,
  now: number,
  raise: Raise,
): SliceWrite {
  const hash = (secret: string) => pinHash(credentialKey, secret);
  const outcomes: ('created' | 'updated')[] = [];
  const rows: Row[] = [];
  inputs.forEach((c, index) => {
    const refuse = (field: string | null, reason: string) => new CredentialRowRefused(index, field, reason);
    if (c.maxUses != null && c.maxUses < 1) throw refuse('maxUses', 'maxUses must be at least 1');
    const before = stored.get(c.id);
    if (!before) {
      if (c.type === 'pin') {
        if (c.pin === undefined) throw refuse('pin', 'a PIN credential needs its PIN');
        if (c.identifier !== undefined) throw refuse('identifier', 'a PIN credential has no identifier');
      } else if (c.identifier === undefined)
        throw refuse('identifier', `a ${c.type} credential needs an identifier`);
      if (c.validFrom != null && c.validUntil != null && c.validUntil <= c.validFrom)
        throw refuse('validUntil', 'validUntil must be after validFrom');
      const identifier = c.type === 'pin' ? hash(c.pin!) : c.identifier!;
      outcomes.push('created');
      rows.push({
        id: c.id,
        person_id: c.personId,
        type: c.type,
        identifier,
        ref_hash: c.type === 'pin' ? null : credentialIdHash(credentialKey, c.type, identifier),
        pin_hash: c.pin === undefined ? null : hash(c.pin),
        duress_pin_hash: c.duressPin === undefined ? null : hash(c.duressPin),
        state: c.state ?? 'active',
        valid_from: c.validFrom ?? null,
        valid_until: c.validUntil ?? null,
        max_uses: c.maxUses ?? null,
        uses: 0,
        label: c.label ?? null,
        created_at: now,
        updated_at: now,
      });
      return;
    }
    if (before.person_id !== c.personId)
      throw refuse('personId', 'this credential belongs to another person');
    if (before.type !== c.type) throw refuse('type', 'the type of a credential cannot change');
    if (c.type !== 'pin' && c.identifier !== before.identifier)
      throw refuse('identifier', 'the identifier of a credential cannot change');
    // Fields left undefined keep their value; null clears them.
    const validFrom = c.validFrom !== undefined ? c.validFrom : num(before.valid_from);
    const validUntil = c.validUntil !== undefined ? c.validUntil : num(before.valid_until);
    if (validFrom != null && validUntil != null && validUntil <= validFrom)
      throw refuse('validUntil', 'validUntil must be after validFrom');
    outcomes.push('updated');
    rows.push({
      ...before,
      identifier: c.type === 'pin' && c.pin !== undefined ? hash(c.pin) : before.identifier,
      pin_hash: c.pin !== undefined ? hash(c.pin) : before.pin_hash,
      duress_pin_hash: c.duressPin !== undefined ? hash(c.duressPin) : before.duress_pin_hash,
      state: c.state ?? before.state,
      valid_from: validFrom,
      valid_until: validUntil,
      max_uses: c.maxUses !== undefined ? c.maxUses : num(before.max_uses),
      label: c.label !== undefined ? c.label : before.label,
      updated_at: now,
    });
  });

  const values = (wanted: 'created' | 'updated') =>
    rows
      .filter((_, i) => outcomes[i] === wanted)
      .map((r) => CREDENTIAL_COLUMNS.map((c) => r[c.name as keyof Row] ?? null));
  const created = values('created');
  const updated = values('updated');
  const written = (async () => {
    // New credentials are plain inserts (read as absent inside this transaction): an upsert's
    // conflict check would cost every row another index probe.
    await bulkInsert(tx, 'credentials', CREDENTIAL_COLUMNS, created);
    // What an update may change; id, person, type, card identifier, uses and created_at stay.
    await bulkInsert(tx, 'credentials', CREDENTIAL_COLUMNS, updated, {
      key: ['id'],
      update: [
        'identifier',
        'pin_hash',
        'duress_pin_hash',
        'state',
        'valid_from',
        'valid_until',
        'max_uses',
        'label',
        'updated_at',
      ],
    });
  })();

  // The events credentialWrites.create / credentialWrites.upsert raise, in the same order.
  for (const after of rows) {
    const before = stored.get(after.id);
    if (!before) {
      raise({ type: 'credential.created', credential: after.id, person: after.person_id });
      continue;
    }
    const key = keyOf(after);
    if (before.state === 'active' && after.state !== 'active') {
      raise({
        type: 'credential.revoked',
        credential: after.id,
        person: after.person_id,
        state: after.state as 'suspended' | 'lost' | 'revoked',
        ...(key && { key }),
      });
    } else if (before.state !== 'active' && after.state === 'active')
      raise({ type: 'credential.reinstated', credential: after.id, person: after.person_id });
    // The import names no single field: always an update besides any change of state.
    const oldKey = keyOf(before);
    raise({
      type: 'credential.updated',
      credential: after.id,
      person: after.person_id,
      fields: ['import'],
      // A new PIN for a PIN-only credential: its old PIN must stop opening doors at once.
      ...(oldKey && before.identifier !== after.identifier && { replacedKey: oldKey }),
    });
  }
  return { outcomes, written };
}

const num = (v: number | null) => (v === null ? null : Number(v));

const keyOf = (row: Row): CredentialKey | undefined =>
  row.identifier === null
    ? undefined
    : { type: row.type as CredentialKey['type'], identifier: row.identifier };
