// People (利用者): every write to a person, whoever makes it, and the events it raises — created,
// updated, left (or suspended) and back, group and level memberships changed, deleted.

import { StorageError } from '../storage/errors.ts';
import type { Repositories } from '../storage/index.ts';
import type { Person, PersonInput, PersonPatch } from '../storage/people.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { type Actor, listDiff, type Raise, type ServiceDeps, write } from './write.ts';

const notFound = (id: string) => new StorageError('not_found', 'person', `no person '${id}'`);

/** The writes themselves, inside a caller's transaction (the services below, CSV import). */
export const personWrites = {
  async create(repos: Repositories, input: PersonInput, now: number, scope: ScopeFilter, raise: Raise) {
    const person = await repos.people.create(input, now, scope);
    raise({ type: 'person.created', person: person.id });
    return person;
  },

  async update(
    repos: Repositories,
    id: string,
    patch: PersonPatch,
    now: number,
    scope: ScopeFilter,
    raise: Raise,
  ): Promise<Person> {
    const before = await repos.people.get(id, scope);
    if (!before) throw notFound(id);
    const after = await repos.people.update(id, patch, now, scope);
    const events: Parameters<Raise>[0][] = [];
    if (before.active && !after.active) events.push({ type: 'person.left', person: id });
    if (!before.active && after.active) events.push({ type: 'person.returned', person: id });
    const groups = listDiff(before.groups, after.groups);
    if (groups.added.length + groups.removed.length > 0)
      events.push({ type: 'person.groups.changed', person: id, ...groups });
    const levels = listDiff(before.levels, after.levels);
    if (levels.added.length + levels.removed.length > 0)
      events.push({ type: 'person.levels.changed', person: id, ...levels });
    // Name, department, site — or a change that changed nothing, which is still on record.
    const fields = (['name', 'department', 'site'] as const).filter((f) => patch[f] !== undefined);
    if (fields.length > 0 || events.length === 0) raise({ type: 'person.updated', person: id, fields });
    for (const event of events) raise(event);
    return after;
  },

  /** Creates the person, or replaces every given field of an existing one (CSV import). */
  async upsert(repos: Repositories, input: PersonInput, now: number, raise: Raise) {
    if (await repos.people.get(input.id)) {
      const { id, ...patch } = input;
      await personWrites.update(repos, id, patch, now, 'all', raise);
      return 'updated' as const;
    }
    await personWrites.create(repos, input, now, 'all', raise);
    return 'created' as const;
  },

  async remove(repos: Repositories, id: string, scope: ScopeFilter, raise: Raise): Promise<boolean> {
    if (!(await repos.people.remove(id, scope))) return false;
    raise({ type: 'person.deleted', person: id });
    return true;
  },
};

export class PeopleService {
  constructor(private readonly deps: ServiceDeps) {}

  create(input: PersonInput, actor: Actor): Promise<Person> {
    return write(this.deps, actor, (repos, raise, now) =>
      personWrites.create(repos, input, now, actor.scope, raise),
    );
  }

  /** Changes the given fields; `groups` and `levels` replace the old lists whole. */
  update(id: string, patch: PersonPatch, actor: Actor): Promise<Person> {
    return write(this.deps, actor, (repos, raise, now) =>
      personWrites.update(repos, id, patch, now, actor.scope, raise),
    );
  }

  /** Marks a person as left (false) or back (true). */
  setActive(id: string, active: boolean, actor: Actor): Promise<Person> {
    return this.update(id, { active }, actor);
  }

  /** Deletes a person with their credentials and memberships; false when there is none (in scope). */
  remove(id: string, actor: Actor): Promise<boolean> {
    return write(this.deps, actor, (repos, raise) => personWrites.remove(repos, id, actor.scope, raise));
  }
}
