// Which alarms a scoped caller sees: alarms carry a site, never a department, so a caller scoped to
// departments sees none and one scoped to sites sees those sites' alarms. One rule for the list, one
// alarm (routes.ts) and the push stream (live/stream.ts), so the stream never shows an alarm the
// console could not then open, nor hides one the list shows.

import type { ScopeFilter } from '../storage/scope.ts';

/** The sites whose alarms the caller sees; undefined: every alarm. */
export function alarmSites(scope: ScopeFilter): readonly string[] | undefined {
  if (scope === 'all') return undefined;
  return scope.departments.length > 0 ? [] : scope.sites;
}

export function alarmVisible(scope: ScopeFilter, site: string | null): boolean {
  const sites = alarmSites(scope);
  return sites === undefined || (site !== null && sites.includes(site));
}
