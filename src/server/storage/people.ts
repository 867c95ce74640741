// People (利用者): the storage operations the API and sync use, named after the domain.

import type { Kysely } from 'kysely';
import { decodeCursor, encodeCursor, type Page } from './cursor.ts';
import type { Database, PeopleTable } from './schema.ts';

export interface Person {
  id: string;
  name: string;
  department: string | null;
  site: string | null;
  active: boolean;
  groups: string[];
}

const toPerson = (row: PeopleTable, groups: string[]): Person => ({
  id: row.id,
  name: row.name,
  department: row.department,
  site: row.site,
  active: row.active === 1,
  groups,
});

export class PeopleStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Creates a person with group memberships, all or nothing. */
  async create(person: Omit<Person, 'active'> & { active?: boolean }, now: number): Promise<Person> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('people')
        .values({
          id: person.id,
          name: person.name,
          department: person.department,
          site: person.site,
          active: person.active === false ? 0 : 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      if (person.groups.length > 0)
        await tx
          .insertInto('person_groups')
          .values(person.groups.map((g) => ({ person_id: person.id, group_id: g })))
          .execute();
    });
    return (await this.get(person.id))!;
  }

  async get(id: string): Promise<Person | undefined> {
    const row = await this.db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const groups = await this.db
      .selectFrom('person_groups')
      .select('group_id')
      .where('person_id', '=', id)
      .orderBy('group_id')
      .execute();
    return toPerson(
      row,
      groups.map((g) => g.group_id),
    );
  }

  /** People in id order, filtered by department and site, a page at a time. */
  async list(filter: {
    department?: string;
    site?: string;
    cursor?: string;
    limit?: number;
  }): Promise<Page<Person>> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    let query = this.db
      .selectFrom('people')
      .selectAll()
      .orderBy('id')
      .limit(limit + 1);
    if (filter.department !== undefined) query = query.where('department', '=', filter.department);
    if (filter.site !== undefined) query = query.where('site', '=', filter.site);
    if (filter.cursor !== undefined) {
      const after = decodeCursor(filter.cursor);
      if (after === undefined) throw new RangeError('invalid cursor');
      query = query.where('id', '>', String(after[0]));
    }
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    const memberships = page.length
      ? await this.db
          .selectFrom('person_groups')
          .select(['person_id', 'group_id'])
          .where(
            'person_id',
            'in',
            page.map((r) => r.id),
          )
          .execute()
      : [];
    const items = page.map((r) =>
      toPerson(
        r,
        memberships
          .filter((m) => m.person_id === r.id)
          .map((m) => m.group_id)
          .sort(),
      ),
    );
    return { items, next: rows.length > limit ? encodeCursor([page.at(-1)!.id]) : undefined };
  }

  /** Marks a person as left (or back): takes effect at the next policy sync. */
  async setActive(id: string, active: boolean, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('people')
      .set({ active: active ? 1 : 0, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('people').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
