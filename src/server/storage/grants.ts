// Which access levels and groups a scoped operator may grant (R-SEC-2: operators register people
// "within the departments or sites they are given"). A level is inside a site scope when every door
// it opens lies at the operator's sites: the sites of a door are those of the areas it joins (the
// built-in `outside` has none), and a door joining no area of a known site belongs to no scope. A
// group is inside when all of its levels are. An operator scoped by departments only is not limited
// in places (docs/security-model.md); admins are not scoped. Only what a change adds is checked:
// keeping or removing a level an admin granted is always allowed.

import type { Executor } from './db.ts';
import type { ScopeFilter } from './scope.ts';

function placeScope(scope: ScopeFilter | undefined): readonly string[] | undefined {
  if (scope === undefined || scope === 'all' || scope.sites.length === 0) return undefined;
  return scope.sites;
}

/** The levels of this list that open a door outside the caller's sites. */
export async function levelsBeyondScope(
  db: Executor,
  scope: ScopeFilter | undefined,
  levelIds: readonly string[],
): Promise<string[]> {
  const sites = placeScope(scope);
  if (sites === undefined || levelIds.length === 0) return [];
  const rows = await db
    .selectFrom('access_level_doors as ld')
    .innerJoin('doors as d', 'd.id', 'ld.door_id')
    .innerJoin('areas as f', 'f.id', 'd.from_area')
    .innerJoin('areas as t', 't.id', 'd.to_area')
    .select(['ld.level_id as level', 'f.site as fromSite', 't.site as toSite'])
    .where('ld.level_id', 'in', [...levelIds])
    .execute();
  const beyond = new Set<string>();
  for (const row of rows) {
    const doorSites = [row.fromSite, row.toSite].filter((s): s is string => s !== null);
    if (doorSites.length === 0 || doorSites.some((s) => !sites.includes(s))) beyond.add(row.level);
  }
  return levelIds.filter((id) => beyond.has(id));
}

/** The groups of this list that hold a level outside the caller's sites. */
export async function groupsBeyondScope(
  db: Executor,
  scope: ScopeFilter | undefined,
  groupIds: readonly string[],
): Promise<string[]> {
  if (placeScope(scope) === undefined || groupIds.length === 0) return [];
  const links = await db
    .selectFrom('group_levels')
    .select(['group_id', 'level_id'])
    .where('group_id', 'in', [...groupIds])
    .execute();
  const beyond = new Set(await levelsBeyondScope(db, scope, [...new Set(links.map((l) => l.level_id))]));
  const groups = new Set(links.filter((l) => beyond.has(l.level_id)).map((l) => l.group_id));
  return groupIds.filter((id) => groups.has(id));
}

/** What a change adds to a list (levels or groups granted). */
export function added(before: readonly string[] | undefined, after: readonly string[] | undefined): string[] {
  if (after === undefined) return [];
  const had = new Set(before ?? []);
  return after.filter((id) => !had.has(id));
}
