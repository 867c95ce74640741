// Every report route in one table (added to the API's route table, src/server/api/routes.ts): the
// JSON form of each report, its CSV download, and the few writes reports have (settings). Who may
// read what: reports naming people need people:read (an operator sees only people inside their
// scope); occupancy counts need events:read; the My Number zone and incident reports, for auditors,
// need audit:read; the 棚卸 needs credentials:read (its operators section operators:read too);
// recording an access review checkpoint (which changes no access) is for auditors: audit:read.
// Every report that shows personal data leaves an audit record (report.<name>).

import type { Route } from '../api/routes.ts';
import type { Store } from '../storage/db.ts';
import { accessReviewReports } from './access-review.ts';
import { attendanceReports } from './attendance.ts';
import { eventReports } from './event-export.ts';
import { incidentReports } from './incident.ts';
import { inventoryReports } from './inventory.ts';
import { musterReports } from './muster.ts';
import { occupancyReports } from './occupancy.ts';
import { reportDb } from './tables.ts';
import { zoneAccessReports } from './zone-access.ts';

export function reportRoutes(store: Store): Route[] {
  const db = reportDb(store.db);
  const events = eventReports(db);
  const attendance = attendanceReports(db);
  const muster = musterReports(db);
  const occupancy = occupancyReports(db);
  const zones = zoneAccessReports(db);
  const incident = incidentReports(db);
  const inventory = inventoryReports(db);
  const review = accessReviewReports(db);
  const row = (
    method: Route['method'],
    url: string,
    permission: Route['permission'],
    endpoint: Route['endpoint'],
  ) => ({ method, url, permission, endpoint, tag: 'reports' }) satisfies Route;
  // biome-ignore format: aligned so the reports read as one table
  return [
    row('GET',  '/api/reports/events',                  'events:read', events.json),
    row('GET',  '/api/reports/events/csv',              'events:read', events.csv),
    row('GET',  '/api/reports/attendance',              'people:read', attendance.json),
    row('GET',  '/api/reports/attendance/csv',          'people:read', attendance.csv),
    row('GET',  '/api/reports/attendance/settings',     'people:read', attendance.getSettings),
    row('POST', '/api/reports/attendance/settings',     'site:write',  attendance.putSettings),
    row('GET',  '/api/reports/muster',                  'people:read', muster.json),
    row('GET',  '/api/reports/muster/csv',              'people:read', muster.csv),
    row('GET',  '/api/reports/muster/print',            'people:read', muster.print),
    row('GET',  '/api/reports/occupancy',               'events:read', occupancy.json),
    row('GET',  '/api/reports/occupancy/csv',           'events:read', occupancy.csv),
    row('GET',  '/api/reports/my-number/zones',         'site:read',   zones.zones),
    row('GET',  '/api/reports/my-number/access',        'audit:read',  zones.json),
    row('GET',  '/api/reports/my-number/access/csv',    'audit:read',  zones.csv),
    row('GET',  '/api/reports/incident',                'audit:read',  incident.json),
    row('GET',  '/api/reports/incident/csv',            'audit:read',  incident.csv),
    row('GET',  '/api/reports/inventory/:section',      'credentials:read', inventory.json),
    row('GET',  '/api/reports/inventory/:section/csv',  'credentials:read', inventory.csv),
    row('GET',  '/api/reports/access-review',           'people:read', review.json),
    row('GET',  '/api/reports/access-review/csv',       'people:read', review.csv),
    row('GET',  '/api/reports/access-review/changes',   'people:read', review.changes),
    row('GET',  '/api/reports/access-review/changes/csv', 'people:read', review.changesCsv),
    row('GET',  '/api/reports/access-review/checkpoints', 'people:read', review.checkpoints),
    row('POST', '/api/reports/access-review/checkpoints', 'audit:read', review.createCheckpoint),
  ];
}
