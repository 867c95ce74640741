// A big site straight into a server database, as the API would have stored it: one area, one door
// on each named controller, one access level on those doors, and `people` people holding it, each
// with one card `CARD-<n>`. Bulk INSERTs in one transaction (the API would take minutes), so a test
// can start a real server at DESIGN.md §7 size (100,000 people) in seconds.
import type { Store } from '../../src/server/storage/db.ts';

const CHUNK = 2_000;

async function insertAll(store: Store, table: string, rows: Record<string, unknown>[]): Promise<void> {
  // One statement takes at most 32,766 parameters in SQLite: chunks of rows well below that.
  const per = Math.max(1, Math.floor(30_000 / Object.keys(rows[0] ?? { a: 1 }).length));
  for (let i = 0; i < rows.length; i += Math.min(CHUNK, per))
    // biome-ignore lint/suspicious/noExplicitAny: one helper for every table of the seed
    await (store.db as any)
      .insertInto(table)
      .values(rows.slice(i, i + Math.min(CHUNK, per)))
      .execute();
}

export const personId = (n: number) => `p-${String(n).padStart(6, '0')}`;
export const cardOf = (n: number) => `CARD-${n}`;

export async function seedBigSite(
  store: Store,
  options: { people: number; controllers: string[]; now?: number },
): Promise<void> {
  const now = options.now ?? Date.now();
  const stamps = { created_at: now, updated_at: now };
  await store.db.transaction().execute(async (tx) => {
    const s = { ...store, db: tx } as unknown as Store;
    await insertAll(
      s,
      'controllers',
      options.controllers.map((id) => ({ id, name: id, site: null, description: null, ...stamps })),
    );
    await insertAll(s, 'areas', [
      {
        id: 'floor',
        name: 'Floor',
        parent_id: 'outside',
        site: null,
        max_occupancy: null,
        antipassback: null,
        offline_mode: 'local',
        rules: null,
        ...stamps,
      },
    ]);
    await insertAll(
      s,
      'doors',
      options.controllers.map((c) => ({
        id: `door-${c}`,
        name: c,
        from_area: 'outside',
        to_area: 'floor',
        controller_id: c,
        mode: 'card',
        strike_seconds: 5,
        held_open_seconds: 30,
        rules: null,
        ...stamps,
      })),
    );
    await insertAll(s, 'access_levels', [{ id: 'everyone', name: 'Everyone', schedule_id: null, ...stamps }]);
    await insertAll(
      s,
      'access_level_doors',
      options.controllers.map((c) => ({ level_id: 'everyone', door_id: `door-${c}` })),
    );
    const people = Array.from({ length: options.people }, (_, n) => n);
    await insertAll(
      s,
      'people',
      people.map((n) => ({
        id: personId(n),
        name: `Person ${n}`,
        department: null,
        site: null,
        active: 1,
        left_at: null,
        ...stamps,
      })),
    );
    await insertAll(
      s,
      'person_levels',
      people.map((n) => ({ person_id: personId(n), level_id: 'everyone' })),
    );
    await insertAll(
      s,
      'credentials',
      people.map((n) => ({
        id: `c-${n}`,
        person_id: personId(n),
        type: 'card',
        identifier: cardOf(n),
        pin_hash: null,
        duress_pin_hash: null,
        state: 'active',
        valid_from: null,
        valid_until: null,
        max_uses: null,
        uses: 0,
        label: null,
        ...stamps,
      })),
    );
  });
}
