// Provisioning from an identity provider: SCIM users are people, SCIM groups are groups. Every change
// goes through the service layer's writes (services/people.ts personWrites, the group store with its
// group.changed event) in one transaction and publishes its domain events once committed, so it is
// audited, revoked at every controller at once (a user set inactive or deleted: person.left /
// person.deleted → revoke-person) and pushed in snapshots like any other write. The identity provider
// sees and changes only what it provisioned (people and groups listed in scim_users / scim_groups).

import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { DomainEvent } from '../domain/events.ts';
import { lifecycleDb } from '../lifecycle/tables.ts';
import { PersonVault } from '../lifecycle/vault.ts';
import { personWrites } from '../services/people.ts';
import { type Actor, publish, type ServiceDeps } from '../services/write.ts';
import { inTransaction } from '../storage/db.ts';
import { StorageError } from '../storage/errors.ts';
import { type Repositories, repositories } from '../storage/index.ts';
import type { Database } from '../storage/schema.ts';
import { invalidValue, notFound, ScimError } from './errors.ts';
import type { Condition } from './filter.ts';
import { applyPatch, type PatchOp } from './patch.ts';
import {
  displayNameOf,
  type GroupData,
  groupDocument,
  parseGroup,
  parseUser,
  type UserData,
  userDocument,
} from './resources.ts';

export interface StoredUser {
  id: string;
  data: UserData;
  groups: { value: string; display: string }[];
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface StoredGroup {
  id: string;
  data: GroupData;
  /** member display names by person id */
  names: Map<string, string>;
  version: number;
  createdAt: number;
  updatedAt: number;
}

type Raise = (event: DomainEvent) => void;
type Tx = Transaction<Database>;

const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex')}`;

/** Storage's refusals in SCIM's words. */
function translate(error: unknown): unknown {
  if (!(error instanceof StorageError)) return error;
  switch (error.kind) {
    case 'not_found':
      return notFound(error.resource === 'group' ? 'group' : 'user');
    case 'exists':
    case 'identifier_taken':
      return new ScimError(409, error.message, 'uniqueness');
    default:
      return invalidValue(error.message);
  }
}

export class Directory {
  readonly vault: PersonVault;

  constructor(private readonly deps: ServiceDeps) {
    this.vault = new PersonVault(deps.installationKey);
  }

  /** One transaction; its events are published once it is committed (like services/write.ts). */
  private async write<T>(
    actor: Actor,
    fn: (tx: Tx, repos: Repositories, raise: Raise, now: number) => Promise<T>,
  ) {
    const events: DomainEvent[] = [];
    const now = this.deps.clock.now();
    let result: T;
    try {
      result = await inTransaction(this.deps.store.db, (tx) =>
        fn(tx, repositories(tx, this.deps.installationKey), (e) => events.push(e), now),
      );
    } catch (error) {
      throw translate(error);
    }
    await publish(this.deps, actor, events);
    return result;
  }

  private userNameHash(userName: string): string {
    return this.vault.lookup('scim userName', userName.normalize('NFKC').toLowerCase());
  }

  private externalIdHash(externalId: string | undefined): string | null {
    return externalId === undefined ? null : this.vault.lookup('scim externalId', externalId);
  }

  // ---------------------------------------------------------------- users

  private async readUser(db: Tx | ServiceDeps['store']['db'], id: string): Promise<StoredUser | undefined> {
    const ldb = lifecycleDb(db);
    const row = await ldb.selectFrom('scim_users').selectAll().where('person_id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const person = await repositories(db, this.deps.installationKey).people.get(id);
    if (!person) return undefined;
    const sealed = await this.vault.open<Omit<UserData, 'active'>>(db, id, row.attributes);
    if (!sealed) return undefined;
    const scimGroups = person.groups.length
      ? await ldb
          .selectFrom('scim_groups')
          .innerJoin('groups', 'groups.id', 'scim_groups.group_id')
          .select(['groups.id', 'groups.name'])
          .where('scim_groups.group_id', 'in', person.groups)
          .execute()
      : [];
    return {
      id,
      data: { ...sealed, active: person.active },
      groups: scimGroups.map((g) => ({ value: g.id, display: g.name })),
      version: Number(row.version),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }

  getUser(id: string): Promise<StoredUser | undefined> {
    return this.readUser(this.deps.store.db, id);
  }

  async listUsers(
    conditions: readonly Condition[],
    startIndex: number,
    count: number,
  ): Promise<{ total: number; items: StoredUser[] }> {
    let query = lifecycleDb(this.deps.store.db).selectFrom('scim_users');
    for (const c of conditions) {
      if (typeof c.value !== 'string')
        throw new ScimError(400, `filter: ${c.path} must be compared with a string`, 'invalidFilter');
      if (c.path === 'username') query = query.where('user_name_hash', '=', this.userNameHash(c.value));
      else if (c.path === 'externalid')
        query = query.where('external_id_hash', '=', this.vault.lookup('scim externalId', c.value));
      else if (c.path === 'id') query = query.where('person_id', '=', c.value);
      else throw new ScimError(400, `filter: users cannot be filtered by ${c.path}`, 'invalidFilter');
    }
    const total = Number(
      (await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0,
    );
    const rows = await query
      .select('person_id')
      .orderBy('person_id')
      .offset(startIndex - 1)
      .limit(count)
      .execute();
    const items: StoredUser[] = [];
    for (const row of rows) {
      const user = await this.getUser(row.person_id);
      if (user) items.push(user);
    }
    return { total, items };
  }

  private async assertUserNameFree(tx: Tx, userName: string, except?: string): Promise<void> {
    const taken = await lifecycleDb(tx)
      .selectFrom('scim_users')
      .select('person_id')
      .where('user_name_hash', '=', this.userNameHash(userName))
      .executeTakeFirst();
    if (taken && taken.person_id !== except)
      throw new ScimError(409, 'a user with this userName exists', 'uniqueness');
  }

  private personFields(data: UserData) {
    return { name: displayNameOf(data), department: data.department ?? null, active: data.active };
  }

  private async sealUser(tx: Tx, id: string, data: UserData, now: number): Promise<string> {
    const { active: _active, ...attributes } = data;
    return this.vault.seal(tx, id, attributes, now);
  }

  async createUser(body: unknown, actor: Actor): Promise<StoredUser> {
    const data = parseUser(body);
    const id = newId('scim');
    await this.write(actor, async (tx, repos, raise, now) => {
      await this.assertUserNameFree(tx, data.userName);
      await personWrites.create(repos, { id, ...this.personFields(data) }, now, actor.scope, raise);
      await lifecycleDb(tx)
        .insertInto('scim_users')
        .values({
          person_id: id,
          user_name_hash: this.userNameHash(data.userName),
          external_id_hash: this.externalIdHash(data.externalId),
          attributes: await this.sealUser(tx, id, data, now),
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
    });
    return (await this.getUser(id))!;
  }

  private async storeUser(
    tx: Tx,
    repos: Repositories,
    id: string,
    data: UserData,
    actor: Actor,
    raise: Raise,
    now: number,
  ) {
    const before = await this.readUser(tx, id);
    if (!before) throw notFound('user');
    await this.assertUserNameFree(tx, data.userName, id);
    await personWrites.update(repos, id, this.personFields(data), now, actor.scope, raise);
    await lifecycleDb(tx)
      .updateTable('scim_users')
      .set({
        user_name_hash: this.userNameHash(data.userName),
        external_id_hash: this.externalIdHash(data.externalId),
        attributes: await this.sealUser(tx, id, data, now),
        version: before.version + 1,
        updated_at: now,
      })
      .where('person_id', '=', id)
      .execute();
  }

  async replaceUser(id: string, body: unknown, actor: Actor): Promise<StoredUser> {
    const data = parseUser(body);
    await this.write(actor, (tx, repos, raise, now) =>
      this.storeUser(tx, repos, id, data, actor, raise, now),
    );
    return (await this.getUser(id))!;
  }

  async patchUser(id: string, ops: readonly PatchOp[], actor: Actor): Promise<StoredUser> {
    await this.write(actor, async (tx, repos, raise, now) => {
      const before = await this.readUser(tx, id);
      if (!before) throw notFound('user');
      const data = parseUser(applyPatch(userDocument(before.data), ops));
      await this.storeUser(tx, repos, id, data, actor, raise, now);
    });
    return (await this.getUser(id))!;
  }

  /** Deletes the person (credentials, memberships, data key): revoked everywhere at once. */
  async deleteUser(id: string, actor: Actor): Promise<void> {
    await this.write(actor, async (tx, repos, raise) => {
      if (!(await this.readUser(tx, id))) throw notFound('user');
      await personWrites.remove(repos, id, actor.scope, raise);
    });
  }

  // ---------------------------------------------------------------- groups

  private async readGroup(db: Tx | ServiceDeps['store']['db'], id: string): Promise<StoredGroup | undefined> {
    const ldb = lifecycleDb(db);
    const row = await ldb
      .selectFrom('scim_groups')
      .innerJoin('groups', 'groups.id', 'scim_groups.group_id')
      .select([
        'groups.id',
        'groups.name',
        'scim_groups.external_id',
        'scim_groups.version',
        'scim_groups.created_at',
        'scim_groups.updated_at',
      ])
      .where('scim_groups.group_id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const members = await ldb
      .selectFrom('person_groups')
      .innerJoin('scim_users', 'scim_users.person_id', 'person_groups.person_id')
      .innerJoin('people', 'people.id', 'person_groups.person_id')
      .select(['people.id', 'people.name'])
      .where('person_groups.group_id', '=', id)
      .orderBy('people.id')
      .execute();
    return {
      id: row.id,
      data: {
        displayName: row.name,
        ...(row.external_id !== null && { externalId: row.external_id }),
        members: members.map((m) => m.id),
      },
      names: new Map(members.map((m) => [m.id, m.name])),
      version: Number(row.version),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }

  getGroup(id: string): Promise<StoredGroup | undefined> {
    return this.readGroup(this.deps.store.db, id);
  }

  async listGroups(
    conditions: readonly Condition[],
    startIndex: number,
    count: number,
  ): Promise<{ total: number; items: StoredGroup[] }> {
    let query = lifecycleDb(this.deps.store.db)
      .selectFrom('scim_groups')
      .innerJoin('groups', 'groups.id', 'scim_groups.group_id');
    for (const c of conditions) {
      if (typeof c.value !== 'string')
        throw new ScimError(400, `filter: ${c.path} must be compared with a string`, 'invalidFilter');
      const value = c.value;
      if (c.path === 'displayname') query = query.where('groups.name', '=', value);
      else if (c.path === 'externalid') query = query.where('scim_groups.external_id', '=', value);
      else if (c.path === 'id') query = query.where('scim_groups.group_id', '=', value);
      else if (c.path === 'members.value' || c.path === 'members')
        query = query.where('scim_groups.group_id', 'in', (eb) =>
          eb.selectFrom('person_groups').select('group_id').where('person_id', '=', value),
        );
      else throw new ScimError(400, `filter: groups cannot be filtered by ${c.path}`, 'invalidFilter');
    }
    const total = Number(
      (await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0,
    );
    const rows = await query
      .select('scim_groups.group_id')
      .orderBy('scim_groups.group_id')
      .offset(startIndex - 1)
      .limit(count)
      .execute();
    const items: StoredGroup[] = [];
    for (const row of rows) {
      const group = await this.getGroup(row.group_id);
      if (group) items.push(group);
    }
    return { total, items };
  }

  /** Makes the group's SCIM members exactly `members`, one membership write per person changed. */
  private async setMembers(
    tx: Tx,
    repos: Repositories,
    groupId: string,
    before: readonly string[],
    members: readonly string[],
    actor: Actor,
    raise: Raise,
    now: number,
  ): Promise<void> {
    const had = new Set(before);
    const want = new Set(members);
    const changed = [...members.filter((m) => !had.has(m)), ...before.filter((m) => !want.has(m))];
    if (changed.length === 0) return;
    const known = new Set(
      (
        await lifecycleDb(tx)
          .selectFrom('scim_users')
          .select('person_id')
          .where('person_id', 'in', changed)
          .execute()
      ).map((r) => r.person_id),
    );
    for (const personId of changed) {
      if (!known.has(personId))
        throw invalidValue(`members: '${personId.slice(0, 64)}' is not a provisioned user`);
      const person = await repos.people.get(personId);
      if (!person) throw invalidValue(`members: '${personId.slice(0, 64)}' is not a provisioned user`);
      const groups = want.has(personId)
        ? [...person.groups.filter((g) => g !== groupId), groupId]
        : person.groups.filter((g) => g !== groupId);
      await personWrites.update(repos, personId, { groups }, now, actor.scope, raise);
    }
  }

  async createGroup(body: unknown, actor: Actor): Promise<StoredGroup> {
    const data = parseGroup(body);
    const id = newId('scimg');
    await this.write(actor, async (tx, repos, raise, now) => {
      await repos.groups.create(
        {
          id,
          name: data.displayName,
          description: 'provisioned by the identity provider (SCIM)',
          levels: [],
        },
        now,
      );
      raise({ type: 'group.changed', group: id, action: 'created', levelsRemoved: [] });
      await lifecycleDb(tx)
        .insertInto('scim_groups')
        .values({
          group_id: id,
          external_id: data.externalId ?? null,
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await this.setMembers(tx, repos, id, [], data.members, actor, raise, now);
    });
    return (await this.getGroup(id))!;
  }

  private async storeGroup(
    tx: Tx,
    repos: Repositories,
    id: string,
    data: GroupData,
    actor: Actor,
    raise: Raise,
    now: number,
  ) {
    const before = await this.readGroup(tx, id);
    if (!before) throw notFound('group');
    if (before.data.displayName !== data.displayName) {
      await repos.groups.update(id, { name: data.displayName }, now);
      raise({ type: 'group.changed', group: id, action: 'updated', levelsRemoved: [] });
    }
    await this.setMembers(tx, repos, id, before.data.members, data.members, actor, raise, now);
    await lifecycleDb(tx)
      .updateTable('scim_groups')
      .set({ external_id: data.externalId ?? null, version: before.version + 1, updated_at: now })
      .where('group_id', '=', id)
      .execute();
  }

  async replaceGroup(id: string, body: unknown, actor: Actor): Promise<StoredGroup> {
    const data = parseGroup(body);
    await this.write(actor, (tx, repos, raise, now) =>
      this.storeGroup(tx, repos, id, data, actor, raise, now),
    );
    return (await this.getGroup(id))!;
  }

  async patchGroup(id: string, ops: readonly PatchOp[], actor: Actor): Promise<StoredGroup> {
    await this.write(actor, async (tx, repos, raise, now) => {
      const before = await this.readGroup(tx, id);
      if (!before) throw notFound('group');
      const data = parseGroup(applyPatch(groupDocument(before.data), ops));
      await this.storeGroup(tx, repos, id, data, actor, raise, now);
    });
    return (await this.getGroup(id))!;
  }

  /** Takes every member out, then deletes the group (what it granted is revoked with the memberships). */
  async deleteGroup(id: string, actor: Actor): Promise<void> {
    await this.write(actor, async (tx, repos, raise, now) => {
      const before = await this.readGroup(tx, id);
      if (!before) throw notFound('group');
      await this.setMembers(tx, repos, id, before.data.members, [], actor, raise, now);
      const others = await repos.people.membersOf(id);
      if (others.length > 0)
        throw new ScimError(
          409,
          'the group has members the identity provider did not provision',
          'mutability',
        );
      const group = await repos.groups.get(id);
      await repos.groups.remove(id);
      raise({ type: 'group.changed', group: id, action: 'deleted', levelsRemoved: group?.levels ?? [] });
    });
  }
}
