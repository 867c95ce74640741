// The benchmark site (bench/site-generator.ts) written into a server database, as the management API
// would have stored it: areas, doors spread over controllers, schedules, levels, groups, people with
// memberships and cards. Rows go in with bulk INSERTs in one transaction (the API would take minutes
// for 100,000 people); the benchmarks then drive the server's own code over that database.

import type { SiteDef } from '../src/core/model.ts';
import type { Store } from '../src/server/storage/db.ts';
import { generateSite, type SiteSize } from './site-generator.ts';

const CHUNK = 500;

async function insertAll(
  store: Store,
  table: string,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK)
    // biome-ignore lint/suspicious/noExplicitAny: one helper for every table of the seed
    await (store.db as any)
      .insertInto(table)
      .values(rows.slice(i, i + CHUNK))
      .execute();
}

export interface SeededSite {
  site: SiteDef;
  controllers: string[];
}

/** Seeds `size` with the doors spread round-robin over `controllers` controllers. */
export async function seedServerSite(store: Store, size: SiteSize, controllers: number): Promise<SeededSite> {
  const site = generateSite(size);
  const now = Date.parse('2026-01-05T00:00:00Z');
  const stamps = { created_at: now, updated_at: now };
  const controllerIds = Array.from({ length: controllers }, (_, i) => `ctl-${i}`);
  await store.db.transaction().execute(async (tx) => {
    const s = { ...store, db: tx } as unknown as Store;
    await insertAll(
      s,
      'controllers',
      controllerIds.map((id) => ({ id, name: id, site: null, description: null, ...stamps })),
    );
    // Parents first: the generator's parents are the first 20 areas.
    await insertAll(
      s,
      'areas',
      site.areas.map((a) => ({
        id: a.id,
        name: a.id,
        parent_id: a.parent ?? 'outside',
        site: null,
        max_occupancy: a.maxOccupancy ?? null,
        antipassback: a.antipassback ? JSON.stringify(a.antipassback) : null,
        offline_mode: 'local',
        rules: JSON.stringify({
          ...(a.twoPerson && { twoPerson: a.twoPerson }),
          ...(a.route && { route: a.route }),
          ...(a.fireZone && { fireZone: a.fireZone }),
        }),
        ...stamps,
      })),
    );
    await insertAll(
      s,
      'doors',
      site.doors.map((d, i) => ({
        id: d.id,
        name: d.id,
        from_area: d.from,
        to_area: d.to,
        controller_id: controllerIds[i % controllers]!,
        mode: d.mode ?? 'card',
        strike_seconds: 5,
        held_open_seconds: 30,
        rules: JSON.stringify({
          ...(d.interlock && { interlock: d.interlock }),
          ...(d.antipassback === 'local' && { localAntipassback: true }),
        }),
        ...stamps,
      })),
    );
    await insertAll(s, 'holiday_calendars', [{ id: 'jp-2026', name: 'Japan 2026', ...stamps }]);
    await insertAll(
      s,
      'holiday_dates',
      (site.holidayCalendars ?? [])[0]!.dates.map((date) => ({ calendar_id: 'jp-2026', date, name: date })),
    );
    await insertAll(
      s,
      'schedules',
      site.schedules.map((sc) => ({
        id: sc.id,
        name: sc.id,
        timezone: 'Asia/Tokyo',
        weekly: JSON.stringify(sc.weekly),
        ...stamps,
      })),
    );
    await insertAll(
      s,
      'schedule_holidays',
      site.schedules
        .filter((sc) => (sc.calendars ?? []).length > 0)
        .map((sc) => ({ schedule_id: sc.id, calendar_id: 'jp-2026' })),
    );
    await insertAll(
      s,
      'access_levels',
      site.levels.map((l) => ({ id: l.id, name: l.id, schedule_id: l.schedule ?? null, ...stamps })),
    );
    await insertAll(
      s,
      'access_level_doors',
      site.levels.flatMap((l) => l.doors.map((door) => ({ level_id: l.id, door_id: door }))),
    );
    await insertAll(
      s,
      'groups',
      site.groups.map((g) => ({ id: g.id, name: g.id, description: null, ...stamps })),
    );
    await insertAll(
      s,
      'group_levels',
      site.groups.flatMap((g) =>
        [...new Set(g.levels)].map((level) => ({ group_id: g.id, level_id: level })),
      ),
    );
    await insertAll(
      s,
      'people',
      site.people.map((p) => ({
        id: p.id,
        name: p.id,
        department: null,
        site: null,
        active: p.active === false ? 0 : 1,
        left_at: p.active === false ? now : null,
        ...stamps,
      })),
    );
    await insertAll(
      s,
      'person_groups',
      site.people.flatMap((p) =>
        [...new Set(p.groups)].map((group) => ({ person_id: p.id, group_id: group })),
      ),
    );
    await insertAll(
      s,
      'person_levels',
      site.people.flatMap((p) =>
        [...new Set(p.levels)].map((level) => ({ person_id: p.id, level_id: level })),
      ),
    );
    await insertAll(
      s,
      'credentials',
      site.people.flatMap((p) =>
        p.credentials.map((c, i) => ({
          id: `${p.id}-${i}`,
          person_id: p.id,
          type: c.type,
          identifier: c.id ?? null,
          pin_hash: null,
          duress_pin_hash: null,
          state: c.state ?? 'active',
          valid_from: null,
          valid_until: null,
          max_uses: null,
          uses: 0,
          label: null,
          ...stamps,
        })),
      ),
    );
  });
  return { site, controllers: controllerIds };
}
