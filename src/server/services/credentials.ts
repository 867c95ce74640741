// Credentials (認証情報): every write to a credential and the events it raises — created, updated,
// revoked (suspended, lost, revoked) and reinstated, deleted. A credential that stops working carries
// its key in the event, so controllers can be told at once even when the record is gone.

import type { CredentialKey } from '../domain/events.ts';
import type { CredentialPatch, CredentialView, NewCredential } from '../storage/credentials.ts';
import { StorageError } from '../storage/errors.ts';
import type { Repositories } from '../storage/index.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { type Actor, type Raise, type ServiceDeps, write } from './write.ts';

const notFound = (id: string) => new StorageError('not_found', 'credential', `no credential '${id}'`);

type KeyRow = NonNullable<Awaited<ReturnType<Repositories['credentials']['keyOf']>>>;
const keyOf = (row: KeyRow): CredentialKey | undefined =>
  row.identifier === null ? undefined : { type: row.type, identifier: row.identifier };

/** The events of a change from `before` to `after`: revoked or reinstated, and what else changed. */
function credentialChanged(
  before: KeyRow,
  after: KeyRow,
  person: string,
  credential: string,
  fields: string[],
  raise: Raise,
): void {
  const oldKey = keyOf(before);
  const key = keyOf(after);
  let stateEvent = false;
  if (before.state === 'active' && after.state !== 'active') {
    raise({
      type: 'credential.revoked',
      credential,
      person,
      state: after.state as Exclude<typeof after.state, 'active'>,
      ...(key && { key }),
    });
    stateEvent = true;
  } else if (before.state !== 'active' && after.state === 'active') {
    raise({ type: 'credential.reinstated', credential, person });
    stateEvent = true;
  }
  const others = fields.filter((f) => f !== 'state');
  if (others.length > 0 || !stateEvent)
    raise({
      type: 'credential.updated',
      credential,
      person,
      fields: stateEvent ? others : fields,
      // A new PIN for a PIN-only credential: its old PIN must stop opening doors at once.
      ...(oldKey && before.identifier !== after.identifier && { replacedKey: oldKey }),
    });
}

export const credentialWrites = {
  async create(repos: Repositories, input: NewCredential, now: number, scope: ScopeFilter, raise: Raise) {
    const credential = await repos.credentials.create(input, now, scope);
    raise({ type: 'credential.created', credential: credential.id, person: credential.personId });
    return credential;
  },

  async update(
    repos: Repositories,
    id: string,
    patch: CredentialPatch,
    now: number,
    scope: ScopeFilter,
    raise: Raise,
  ): Promise<CredentialView> {
    const before = await repos.credentials.keyOf(id, scope);
    if (!before) throw notFound(id);
    const after = await repos.credentials.update(id, patch, now, scope);
    const current = (await repos.credentials.keyOf(id))!;
    const fields = Object.entries(patch)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    credentialChanged(before, current, after.personId, id, fields, raise);
    return after;
  },

  /** Creates the credential, or updates an existing one of the same person and type (CSV import). */
  async upsert(repos: Repositories, input: NewCredential, now: number, raise: Raise) {
    const existing = await repos.credentials.keyOf(input.id);
    if (!existing) {
      await credentialWrites.create(repos, input, now, 'all', raise);
      return 'created' as const;
    }
    // The store checks that person, type and identifier stay; fields left undefined keep their value.
    await repos.credentials.upsert(input, now);
    const current = (await repos.credentials.keyOf(input.id))!;
    credentialChanged(existing, current, current.personId, input.id, ['import'], raise);
    return 'updated' as const;
  },

  async remove(repos: Repositories, id: string, scope: ScopeFilter, raise: Raise): Promise<boolean> {
    const before = await repos.credentials.keyOf(id, scope);
    if (!before || !(await repos.credentials.remove(id, scope))) return false;
    const key = keyOf(before);
    raise({ type: 'credential.deleted', credential: id, person: before.personId, ...(key && { key }) });
    return true;
  },
};

export class CredentialService {
  constructor(private readonly deps: ServiceDeps) {}

  create(input: NewCredential, actor: Actor): Promise<CredentialView> {
    return write(this.deps, actor, (repos, raise, now) =>
      credentialWrites.create(repos, input, now, actor.scope, raise),
    );
  }

  /** State (suspend, lost, revoke, back to active), validity, uses, label, PIN. */
  update(id: string, patch: CredentialPatch, actor: Actor): Promise<CredentialView> {
    return write(this.deps, actor, (repos, raise, now) =>
      credentialWrites.update(repos, id, patch, now, actor.scope, raise),
    );
  }

  /** Revokes a credential (kept on record); the controllers are told at once. */
  revoke(id: string, actor: Actor): Promise<CredentialView> {
    return this.update(id, { state: 'revoked' }, actor);
  }

  /** Deletes a credential (revoked at once on every controller); false when there is none (in scope). */
  remove(id: string, actor: Actor): Promise<boolean> {
    return write(this.deps, actor, (repos, raise) => credentialWrites.remove(repos, id, actor.scope, raise));
  }
}
