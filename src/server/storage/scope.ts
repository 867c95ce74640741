// Operator scope in storage terms: which people (by department and site) a caller may see. The same
// rule as `inScope` in src/server/http/principal.ts (test/server/storage/scope.test.ts holds them
// together), here also as a SQL filter so that list pages are filtered by the database, not after it.

import type { ExpressionBuilder, ExpressionWrapper, SqlBool } from 'kysely';

/** Empty lists mean "no restriction of that kind"; `all` for unscoped callers. */
export type ScopeFilter = 'all' | { departments: readonly string[]; sites: readonly string[] };

export function scopeAllows(
  scope: ScopeFilter | undefined,
  target: { department: string | null; site: string | null },
): boolean {
  if (scope === undefined || scope === 'all') return true;
  const departmentOk =
    scope.departments.length === 0 ||
    (target.department !== null && scope.departments.includes(target.department));
  const siteOk = scope.sites.length === 0 || (target.site !== null && scope.sites.includes(target.site));
  return departmentOk && siteOk;
}

/** A WHERE condition on a table (or join) that has `department` and `site` columns. */
export function scopeCondition<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  scope: ScopeFilter | undefined,
  columns: { department: string; site: string } = { department: 'department', site: 'site' },
): ExpressionWrapper<DB, TB, SqlBool> {
  const parts: ExpressionWrapper<DB, TB, SqlBool>[] = [];
  if (scope !== undefined && scope !== 'all') {
    // biome-ignore lint/suspicious/noExplicitAny: column names are given as strings for any joined table
    const ref = (c: string) => eb.ref(c as any);
    if (scope.departments.length > 0)
      parts.push(
        eb(ref(columns.department), 'in', [...scope.departments]) as ExpressionWrapper<DB, TB, SqlBool>,
      );
    if (scope.sites.length > 0)
      parts.push(eb(ref(columns.site), 'in', [...scope.sites]) as ExpressionWrapper<DB, TB, SqlBool>);
  }
  return eb.and(parts);
}
