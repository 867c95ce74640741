// People (利用者): the storage operations the API, CSV import and sync use, named after the domain.
// Every read and write takes the caller's scope: a record outside it reads as absent (so existence
// does not leak), and no write may create a person outside it or move one out of it.

import type { Selectable } from 'kysely';
import type { Page } from './cursor.ts';
import { type Executor, inTransaction } from './db.ts';
import { isUniqueViolation, StorageError } from './errors.ts';
import {
  assertExists,
  clampLimit,
  cursorId,
  type Db,
  type LinkSpec,
  loadLinks,
  pageOf,
  replaceLinks,
} from './resource.ts';
import type { PeopleTable } from './schema.ts';
import { type ScopeFilter, scopeAllows, scopeCondition } from './scope.ts';

export interface Person {
  id: string;
  name: string;
  department: string | null;
  site: string | null;
  /** false once the person has left (or is suspended): their credentials stop working everywhere */
  active: boolean;
  /** when they were marked as left; null while active */
  leftAt: number | null;
  groups: string[];
  levels: string[];
  createdAt: number;
  updatedAt: number;
}

export interface PersonInput {
  id: string;
  name: string;
  department?: string | null;
  site?: string | null;
  active?: boolean;
  groups?: string[];
  levels?: string[];
}

export type PersonPatch = Partial<Omit<PersonInput, 'id'>>;

export interface PeopleFilter {
  department?: string | undefined;
  site?: string | undefined;
  active?: boolean | undefined;
  group?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  scope?: ScopeFilter | undefined;
}

const GROUPS: LinkSpec = {
  field: 'groups',
  table: 'person_groups',
  owner: 'person_id',
  target: 'group_id',
  refTable: 'groups',
  refResource: 'group',
};
const LEVELS: LinkSpec = {
  field: 'levels',
  table: 'person_levels',
  owner: 'person_id',
  target: 'level_id',
  refTable: 'access_levels',
  refResource: 'access_level',
};

const outOfScope = (field: string) =>
  new StorageError('out_of_scope', 'person', 'this department or site is outside your scope', field);
const notFound = (id: string) => new StorageError('not_found', 'person', `no person '${id}'`);

export class PeopleStore {
  constructor(private readonly db: Executor) {}

  private async assemble(db: Executor, rows: Selectable<PeopleTable>[]): Promise<Person[]> {
    const ids = rows.map((r) => r.id);
    const [groups, levels] = await Promise.all([
      loadLinks(db as unknown as Db, GROUPS, ids),
      loadLinks(db as unknown as Db, LEVELS, ids),
    ]);
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      department: row.department,
      site: row.site,
      active: Number(row.active) === 1,
      leftAt: row.left_at === null ? null : Number(row.left_at),
      groups: groups.get(row.id) ?? [],
      levels: levels.get(row.id) ?? [],
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    }));
  }

  private async read(db: Executor, id: string, scope?: ScopeFilter): Promise<Person | undefined> {
    const row = await db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !scopeAllows(scope, row)) return undefined;
    return (await this.assemble(db, [row]))[0];
  }

  private async checkLinks(db: Executor, input: { groups?: string[]; levels?: string[] }): Promise<void> {
    const d = db as unknown as Db;
    if (input.groups) await assertExists(d, 'groups', input.groups, 'groups', 'group', true);
    if (input.levels) await assertExists(d, 'access_levels', input.levels, 'levels', 'access_level', true);
  }

  private async writeLinks(db: Executor, id: string, input: { groups?: string[]; levels?: string[] }) {
    const d = db as unknown as Db;
    if (input.groups) await replaceLinks(d, GROUPS, id, input.groups);
    if (input.levels) await replaceLinks(d, LEVELS, id, input.levels);
  }

  /** Creates a person with group and level memberships, all or nothing. */
  async create(input: PersonInput, now: number, scope?: ScopeFilter): Promise<Person> {
    const department = input.department ?? null;
    const site = input.site ?? null;
    if (!scopeAllows(scope, { department, site })) throw outOfScope('department');
    return inTransaction(this.db, async (tx) => {
      await this.checkLinks(tx, input);
      try {
        await tx
          .insertInto('people')
          .values({
            id: input.id,
            name: input.name,
            department,
            site,
            active: input.active === false ? 0 : 1,
            left_at: input.active === false ? now : null,
            created_at: now,
            updated_at: now,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new StorageError('exists', 'person', `person '${input.id}' already exists`, 'id');
        throw error;
      }
      await this.writeLinks(tx, input.id, input);
      return (await this.read(tx, input.id))!;
    });
  }

  async get(id: string, scope?: ScopeFilter): Promise<Person | undefined> {
    return this.read(this.db, id, scope);
  }

  /** People in id order, filtered, a page at a time; only those inside the scope. */
  async list(filter: PeopleFilter = {}): Promise<Page<Person>> {
    const limit = clampLimit(filter.limit);
    const after = cursorId(filter.cursor, 'person');
    let query = this.db
      .selectFrom('people')
      .selectAll()
      .where((eb) => scopeCondition(eb, filter.scope))
      .orderBy('id')
      .limit(limit + 1);
    if (filter.department !== undefined) query = query.where('department', '=', filter.department);
    if (filter.site !== undefined) query = query.where('site', '=', filter.site);
    if (filter.active !== undefined) query = query.where('active', '=', filter.active ? 1 : 0);
    if (filter.group !== undefined) {
      const group = filter.group;
      query = query.where('id', 'in', (eb) =>
        eb.selectFrom('person_groups').select('person_id').where('group_id', '=', group),
      );
    }
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.execute();
    return pageOf(await this.assemble(this.db, rows), limit);
  }

  /** Changes the given fields (lists replace the old ones whole), inside the scope before and after. */
  async update(id: string, patch: PersonPatch, now: number, scope?: ScopeFilter): Promise<Person> {
    return inTransaction(this.db, async (tx) => {
      const before = await this.read(tx, id, scope);
      if (!before) throw notFound(id);
      const department = patch.department !== undefined ? patch.department : before.department;
      const site = patch.site !== undefined ? patch.site : before.site;
      if (!scopeAllows(scope, { department, site }))
        throw outOfScope(patch.department !== undefined ? 'department' : 'site');
      await this.checkLinks(tx, patch);
      const active = patch.active ?? before.active;
      await tx
        .updateTable('people')
        .set({
          name: patch.name ?? before.name,
          department,
          site,
          active: active ? 1 : 0,
          left_at: active ? null : (before.leftAt ?? now),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      await this.writeLinks(tx, id, patch);
      return (await this.read(tx, id))!;
    });
  }

  /** Creates the person, or replaces every given field of an existing one (CSV import). */
  async upsert(input: PersonInput, now: number): Promise<'created' | 'updated'> {
    return inTransaction(this.db, async (tx) => {
      const exists = await tx.selectFrom('people').select('id').where('id', '=', input.id).executeTakeFirst();
      const store = new PeopleStore(tx);
      if (exists) {
        const { id, ...patch } = input;
        await store.update(id, patch, now);
        return 'updated';
      }
      await store.create(input, now);
      return 'created';
    });
  }

  /** Marks a person as left (or back): takes effect at the next policy sync. */
  async setActive(id: string, active: boolean, now: number, scope?: ScopeFilter): Promise<boolean> {
    try {
      await this.update(id, { active }, now, scope);
      return true;
    } catch (error) {
      if (error instanceof StorageError && error.kind === 'not_found') return false;
      throw error;
    }
  }

  /** Removes a person with their credentials and memberships; their events stay. */
  async remove(id: string, scope?: ScopeFilter): Promise<boolean> {
    return inTransaction(this.db, async (tx) => {
      if (!(await this.read(tx, id, scope))) return false;
      await tx.deleteFrom('presence').where('person_id', '=', id).execute();
      const result = await tx.deleteFrom('people').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  /**
   * The controllers each of these people may pass a door of (through a level granted directly or
   * by a group), whatever the schedule: where they still have access after a change.
   */
  async controllersOf(personIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>(personIds.map((id) => [id, new Set()]));
    const ids = [...new Set(personIds)];
    for (let i = 0; i < ids.length; i += 1000) {
      const slice = ids.slice(i, i + 1000);
      const direct = this.db
        .selectFrom('person_levels as pl')
        .innerJoin('access_level_doors as ald', 'ald.level_id', 'pl.level_id')
        .innerJoin('doors as d', 'd.id', 'ald.door_id')
        .select(['pl.person_id as person', 'd.controller_id as controller'])
        .where('pl.person_id', 'in', slice)
        .where('d.controller_id', 'is not', null);
      const viaGroups = this.db
        .selectFrom('person_groups as pg')
        .innerJoin('group_levels as gl', 'gl.group_id', 'pg.group_id')
        .innerJoin('access_level_doors as ald', 'ald.level_id', 'gl.level_id')
        .innerJoin('doors as d', 'd.id', 'ald.door_id')
        .select(['pg.person_id as person', 'd.controller_id as controller'])
        .where('pg.person_id', 'in', slice)
        .where('d.controller_id', 'is not', null);
      for (const row of await direct.union(viaGroups).execute()) result.get(row.person)?.add(row.controller!);
    }
    return result;
  }

  /** The members of a group (ids). */
  async membersOf(groupId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('person_groups')
      .select('person_id')
      .where('group_id', '=', groupId)
      .execute();
    return rows.map((r) => r.person_id);
  }

  /** The people an access level is granted to, directly or through a group (ids). */
  async holdersOf(levelId: string): Promise<string[]> {
    const direct = this.db.selectFrom('person_levels').select('person_id').where('level_id', '=', levelId);
    const viaGroups = this.db
      .selectFrom('person_groups as pg')
      .innerJoin('group_levels as gl', 'gl.group_id', 'pg.group_id')
      .select('pg.person_id')
      .where('gl.level_id', '=', levelId);
    return (await direct.union(viaGroups).execute()).map((r) => r.person_id);
  }
}
