// Every report route in one table (added to the API's route table, src/server/api/routes.ts): the
// JSON form of each report, its CSV download, and the few writes reports have (settings, review
// checkpoints). Permissions: reports showing people need people:read (operators see people inside
// their scope only); My Number zone and incident reports, for auditors, need audit:read.

import type { Route } from '../api/routes.ts';
import type { Store } from '../storage/db.ts';
import { attendanceReports } from './attendance.ts';
import { eventReports } from './event-export.ts';
import { reportDb } from './tables.ts';

export function reportRoutes(store: Store): Route[] {
  const db = reportDb(store.db);
  const events = eventReports(db);
  const attendance = attendanceReports(db);
  const row = (method: Route['method'], url: string, permission: Route['permission'], endpoint: Route['endpoint']) =>
    ({ method, url, permission, endpoint, tag: 'reports' }) satisfies Route;
  // biome-ignore format: aligned so the reports read as one table
  return [
    row('GET', '/api/reports/events',                 'events:read',   events.json),
    row('GET', '/api/reports/events/csv',             'events:read',   events.csv),
    row('GET', '/api/reports/attendance',             'people:read',   attendance.json),
    row('GET', '/api/reports/attendance/csv',         'people:read',   attendance.csv),
    row('GET', '/api/reports/attendance/settings',    'people:read',   attendance.getSettings),
    row('POST', '/api/reports/attendance/settings',   'site:write',    attendance.putSettings),
  ];
}
