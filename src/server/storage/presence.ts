// Where each person is, for anti-passback across controllers: a compare-and-set keyed on a version,
// so two doors deciding at once cannot both move the same person.

import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface PresenceRecord {
  area: string | null;
  version: number;
}

export class PresenceStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Current presence; a person never seen is `outside` at version 0. */
  async get(personId: string): Promise<PresenceRecord> {
    const row = await this.db
      .selectFrom('presence')
      .select(['area', 'version'])
      .where('person_id', '=', personId)
      .executeTakeFirst();
    return row ?? { area: 'outside', version: 0 };
  }

  /**
   * Moves a person if their presence is still at `expectedVersion`; false when someone else moved
   * them first (the caller re-reads and decides again).
   */
  async transition(personId: string, expectedVersion: number, to: string | null): Promise<boolean> {
    if (expectedVersion === 0) {
      const result = await this.db
        .insertInto('presence')
        .values({ person_id: personId, area: to, version: 1 })
        .onConflict((oc) => oc.column('person_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const result = await this.db
      .updateTable('presence')
      .set({ area: to, version: expectedVersion + 1 })
      .where('person_id', '=', personId)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Anti-passback compare-and-set on the area itself: moves the person to `to` only if they are still
   * in `expectedFrom` (a person never seen is `outside`). Of two concurrent moves from the same
   * area, exactly one wins; the loser re-reads and decides again.
   */
  async transitionPresence(personId: string, expectedFrom: string, to: string): Promise<boolean> {
    const moved = await this.db
      .updateTable('presence')
      .set((eb) => ({ area: to, version: eb('version', '+', 1) }))
      .where('person_id', '=', personId)
      .where('area', '=', expectedFrom)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 1) return true;
    if (expectedFrom !== 'outside') return false;
    // Never seen: the first move creates the record; a concurrent first move finds it taken.
    const created = await this.db
      .insertInto('presence')
      .values({ person_id: personId, area: to, version: 1 })
      .onConflict((oc) => oc.column('person_id').doNothing())
      .executeTakeFirst();
    return Number(created.numInsertedOrUpdatedRows ?? 0) === 1;
  }
}
