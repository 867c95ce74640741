// Every route of the management API in one table: method, path, the permission it needs (null:
// public, or a session route: see Endpoint.session), and the endpoint that serves it — sign-in
// included (setup, login and its second factors, password change, single sign-on). It is the only
// way an API route is declared: the OpenAPI document is generated from it, and what else the server
// serves (the web console, the phone pages, the API document itself, SCIM) is listed below in
// OUTSIDE_THE_TABLE; test/server/api/route-table.test.ts fails on any other route.

import { alarmEndpoints as al } from '../alarms/routes.ts';
import { auditEndpoints as au } from '../audit/routes.ts';
import { authEndpoints as auth } from '../auth/auth-routes.ts';
import { mfaEndpoints as mfa } from '../auth/mfa-routes.ts';
import { oidcLinkEndpoints as sso } from '../auth/oidc-link-routes.ts';
import { oidcEndpoints as oidc } from '../auth/oidc-routes.ts';
import { operatorEndpoints as op } from '../auth/operator-routes.ts';
import { sessionEndpoints as ses } from '../auth/session-routes.ts';
import { tokenEndpoints as tk } from '../auth/token-routes.ts';
import { controllerLinkEndpoints as cl } from '../controllers/routes.ts';
import { doorAccess, previewChange } from '../explain/endpoints.ts';
import type { Permission } from '../http/principal.ts';
import { keyEndpoints as k } from '../keys/routes.ts';
import {
  erasePerson,
  exportPersonData,
  exportPersonDataCsv,
  getRetention,
  listCertificates,
  purgeNow,
  setRetention,
} from '../lifecycle/api.ts';
import { liveControllers, liveDoors, liveMuster, liveOccupancy, liveStream } from '../live/endpoints.ts';
import { mobileEndpoints as m } from '../mobile/routes.ts';
import { getAction, listActions, performAction } from '../operations/endpoints.ts';
import { reportRoutes } from '../reports/routes.ts';
import { reservationEndpoints as rv } from '../reservations/routes.ts';
import { issueScimToken, revokeScimToken } from '../scim/token-api.ts';
import type { Store } from '../storage/db.ts';
import { webhookEndpoints as wh } from '../webhooks/routes.ts';
import { accessLevels } from './access-levels.ts';
import { areas } from './areas.ts';
import { controllers } from './controllers.ts';
import {
  createCredential,
  deleteCredential,
  getCredential,
  listCredentials,
  updateCredential,
} from './credentials.ts';
import { exportCredentialsCsv, exportPeopleCsv, importCredentialsCsv, importPeopleCsv } from './csv.ts';
import { doors } from './doors.ts';
import type { Endpoint } from './endpoint.ts';
import { searchEvents } from './events.ts';
import { groups } from './groups.ts';
import { health } from './health.ts';
import { holidays, listHolidayPresets } from './holidays.ts';
import { cancelImportJob, getImportJob, startCredentialsImport, startPeopleImport } from './import-jobs.ts';
import { createPerson, deletePerson, getPerson, listPeople, updatePerson } from './people.ts';
import { schedules } from './schedules.ts';
import { sites } from './sites.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  method: Method;
  url: string;
  permission: Permission | null;
  endpoint: Endpoint;
  tag: string;
}

const row = (
  method: Method,
  url: string,
  permission: Permission | null,
  endpoint: Endpoint,
  tag: string,
) => ({
  method,
  url,
  permission,
  endpoint,
  tag,
});

/**
 * What the server serves beside the route table, each for its reason; nothing else. Matched on the
 * route's URL template as Fastify has it.
 */
export const OUTSIDE_THE_TABLE: readonly { what: string; why: string; matches(url: string): boolean }[] = [
  {
    what: 'the web console: its page for / and every client route, and its static assets (dist/web)',
    why: 'static files of the single-page app (http/console.ts), not API operations',
    matches: (url) => url === '/' || url === '/*' || CONSOLE_ASSET.test(url),
  },
  {
    what: 'the key link’s phone page (/k/)',
    why: 'a page, its script, style sheet and manifest (keys/page.ts, http/phone-page.ts)',
    matches: (url) => url.startsWith('/k/'),
  },
  {
    what: 'the mobile-key phone page (/m/)',
    why: 'a page, its script, style sheet and manifest (mobile/page.ts, http/phone-page.ts)',
    matches: (url) => url.startsWith('/m/'),
  },
  {
    what: 'the API document and its browser (/api/docs)',
    why: 'generated from this table (@fastify/swagger, @fastify/swagger-ui)',
    matches: (url) => url === '/api/docs' || url.startsWith('/api/docs/'),
  },
  {
    what: 'SCIM 2.0 provisioning (/scim/v2)',
    why: 'another protocol (RFC 7644): its own bearer token, schemas, content type and error shape (scim/routes.ts)',
    matches: (url) => url === '/scim/v2' || url.startsWith('/scim/v2/'),
  },
];

/** A file of the console build at the top level or under /assets (never under /api). */
const CONSOLE_ASSET = /^\/(?!api\/|api$|scim\/|k\/|m\/)(assets\/)?[\w.@-]+\.[a-z0-9]{1,12}$/i;

export interface RouteOptions {
  /** the server has a controller link: serve its enrollment, status, restart and baseline routes */
  controllerLink: boolean;
}

export function apiRoutes(store: Store, options: RouteOptions = { controllerLink: false }): Route[] {
  // biome-ignore format: aligned so the whole API reads as one table
  const routes: Route[] = [
    row('GET',    '/api/health',                null,                health(store),         'health'),

    row('GET',    '/api/people',                'people:read',       listPeople,            'people'),
    row('POST',   '/api/people',                'people:write',      createPerson,          'people'),
    row('GET',    '/api/people/:id',            'people:read',       getPerson,             'people'),
    row('PATCH',  '/api/people/:id',            'people:write',      updatePerson,          'people'),
    row('DELETE', '/api/people/:id',            'people:write',      deletePerson,          'people'),
    row('POST',   '/api/csv/people',            'people:write',      importPeopleCsv,       'csv'),
    row('GET',    '/api/csv/people',            'people:read',       exportPeopleCsv,       'csv'),
    row('POST',   '/api/import-jobs/people',    'people:write',      startPeopleImport,     'csv'),
    row('GET',    '/api/import-jobs/:id',       'people:read',       getImportJob,          'csv'),
    row('POST',   '/api/import-jobs/:id/cancel', 'people:write',     cancelImportJob,       'csv'),

    row('GET',    '/api/credentials',           'credentials:read',  listCredentials,       'credentials'),
    row('POST',   '/api/credentials',           'credentials:write', createCredential,      'credentials'),
    row('GET',    '/api/credentials/:id',       'credentials:read',  getCredential,         'credentials'),
    row('PATCH',  '/api/credentials/:id',       'credentials:write', updateCredential,      'credentials'),
    row('DELETE', '/api/credentials/:id',       'credentials:write', deleteCredential,      'credentials'),
    row('POST',   '/api/csv/credentials',       'credentials:write', importCredentialsCsv,  'csv'),
    row('GET',    '/api/csv/credentials',       'credentials:read',  exportCredentialsCsv,  'csv'),
    row('POST',   '/api/import-jobs/credentials', 'credentials:write', startCredentialsImport, 'csv'),

    row('GET',    '/api/groups',                'site:read',         groups.list,           'groups'),
    row('POST',   '/api/groups',                'site:write',        groups.create,         'groups'),
    row('GET',    '/api/groups/:id',            'site:read',         groups.get,            'groups'),
    row('PATCH',  '/api/groups/:id',            'site:write',        groups.update,         'groups'),
    row('DELETE', '/api/groups/:id',            'site:write',        groups.remove,         'groups'),

    row('GET',    '/api/access-levels',         'site:read',         accessLevels.list,     'access levels'),
    row('POST',   '/api/access-levels',         'site:write',        accessLevels.create,   'access levels'),
    row('GET',    '/api/access-levels/:id',     'site:read',         accessLevels.get,      'access levels'),
    row('PATCH',  '/api/access-levels/:id',     'site:write',        accessLevels.update,   'access levels'),
    row('DELETE', '/api/access-levels/:id',     'site:write',        accessLevels.remove,   'access levels'),

    row('GET',    '/api/schedules',             'site:read',         schedules.list,        'schedules'),
    row('POST',   '/api/schedules',             'site:write',        schedules.create,      'schedules'),
    row('GET',    '/api/schedules/:id',         'site:read',         schedules.get,         'schedules'),
    row('PATCH',  '/api/schedules/:id',         'site:write',        schedules.update,      'schedules'),
    row('DELETE', '/api/schedules/:id',         'site:write',        schedules.remove,      'schedules'),

    row('GET',    '/api/holidays',              'site:read',         holidays.list,         'holidays'),
    row('POST',   '/api/holidays',              'site:write',        holidays.create,       'holidays'),
    row('GET',    '/api/holidays/:id',          'site:read',         holidays.get,          'holidays'),
    row('PATCH',  '/api/holidays/:id',          'site:write',        holidays.update,       'holidays'),
    row('DELETE', '/api/holidays/:id',          'site:write',        holidays.remove,       'holidays'),

    row('GET',    '/api/holiday-presets',       'site:read',         listHolidayPresets,    'holidays'),

    row('GET',    '/api/sites',                 'site:read',         sites.list,            'sites'),
    row('POST',   '/api/sites',                 'site:write',        sites.create,          'sites'),
    row('GET',    '/api/sites/:id',             'site:read',         sites.get,             'sites'),
    row('PATCH',  '/api/sites/:id',             'site:write',        sites.update,          'sites'),
    row('DELETE', '/api/sites/:id',             'site:write',        sites.remove,          'sites'),

    row('GET',    '/api/areas',                 'site:read',         areas.list,            'areas'),
    row('POST',   '/api/areas',                 'site:write',        areas.create,          'areas'),
    row('GET',    '/api/areas/:id',             'site:read',         areas.get,             'areas'),
    row('PATCH',  '/api/areas/:id',             'site:write',        areas.update,          'areas'),
    row('DELETE', '/api/areas/:id',             'site:write',        areas.remove,          'areas'),

    row('GET',    '/api/doors',                 'site:read',         doors.list,            'doors'),
    row('POST',   '/api/doors',                 'site:write',        doors.create,          'doors'),
    row('GET',    '/api/doors/:id',             'site:read',         doors.get,             'doors'),
    row('PATCH',  '/api/doors/:id',             'site:write',        doors.update,          'doors'),
    row('DELETE', '/api/doors/:id',             'site:write',        doors.remove,          'doors'),

    row('GET',    '/api/controllers',           'controllers:read',  controllers.list,      'controllers'),
    row('POST',   '/api/controllers',           'controllers:write', controllers.create,    'controllers'),
    row('GET',    '/api/controllers/:id',       'controllers:read',  controllers.get,       'controllers'),
    row('PATCH',  '/api/controllers/:id',       'controllers:write', controllers.update,    'controllers'),
    row('DELETE', '/api/controllers/:id',       'controllers:write', controllers.remove,    'controllers'),

    ...(options.controllerLink ? [
    row('POST',   '/api/controllers/:id/enrollment', 'controllers:write', cl.issueEnrollment, 'controllers'),
    row('POST',   '/api/controllers/enroll',    null,                cl.enroll,             'controllers'),
    row('GET',    '/api/controllers/:id/status', 'controllers:read', cl.status,             'controllers'),
    row('POST',   '/api/controllers/:id/restart', 'controllers:write', cl.restart,          'controllers'),
    row('POST',   '/api/controllers/:id/baseline', 'controllers:write', cl.baseline,        'controllers'),
    ] : []),

    row('GET',    '/api/events',                'events:read',       searchEvents,          'events'),

    row('GET',    '/api/alarms',                'alarms:read',       al.list,               'alarms'),
    row('GET',    '/api/alarms/:id',            'alarms:read',       al.get,                'alarms'),
    row('POST',   '/api/alarms/:id/acknowledge', 'alarms:write',     al.acknowledge,        'alarms'),
    row('POST',   '/api/alarms/:id/resolve',    'alarms:write',      al.resolve,            'alarms'),
    row('POST',   '/api/alarms/:id/comments',   'alarms:write',      al.comment,            'alarms'),

    // Sign-in: public (setup, login, single sign-on) or answering the browser session at the stage
    // each accepts (the second factors, the password change); each counts against the login limit.
    row('POST',   '/api/auth/setup',            null,                auth.setup,            'auth'),
    row('POST',   '/api/auth/login',            null,                auth.login,            'auth'),
    row('POST',   '/api/auth/login/totp',       null,                auth.loginTotp,        'auth'),
    row('POST',   '/api/auth/login/backup-code', null,               auth.loginBackupCode,  'auth'),
    row('POST',   '/api/auth/login/webauthn/options', null,          auth.loginPasskeyOptions, 'auth'),
    row('POST',   '/api/auth/login/webauthn/verify', null,           auth.loginPasskey,     'auth'),
    row('POST',   '/api/auth/password',         null,                auth.changePassword,   'auth'),
    row('GET',    '/api/auth/config',           null,                oidc.config,           'auth'),
    row('GET',    '/api/auth/oidc/start',       null,                oidc.start,            'auth'),
    row('GET',    '/api/auth/oidc/callback',    null,                oidc.callback,         'auth'),
    row('GET',    '/api/auth/session',          null,                ses.whoAmI,            'auth'),
    row('POST',   '/api/auth/logout',           null,                ses.logout,            'auth'),
    // Answer the caller's session (at the stages each accepts), not a permission.
    row('POST',   '/api/auth/totp/enrol',       null,                mfa.startTotp,         'auth'),
    row('POST',   '/api/auth/totp/verify',      null,                mfa.confirmTotp,       'auth'),
    row('POST',   '/api/auth/webauthn/register/options', null,       mfa.passkeyOptions,    'auth'),
    row('POST',   '/api/auth/webauthn/register/verify', null,        mfa.registerPasskey,   'auth'),
    row('POST',   '/api/auth/backup-codes',     null,                mfa.replaceCodes,      'auth'),
    row('GET',    '/api/auth/tokens',           'settings:write',    tk.list,               'auth'),
    row('POST',   '/api/auth/tokens',           'settings:write',    tk.create,             'auth'),
    row('DELETE', '/api/auth/tokens/:id',       'settings:write',    tk.revoke,             'auth'),

    row('GET',    '/api/operators',             'operators:read',    op.list,               'operators'),
    row('POST',   '/api/operators',             'operators:write',   op.create,             'operators'),
    row('GET',    '/api/operators/:id',         'operators:read',    op.get,                'operators'),
    row('PATCH',  '/api/operators/:id',         'operators:write',   op.update,             'operators'),
    row('POST',   '/api/operators/:id/recover', 'operators:write',   op.recover,            'operators'),
    row('PUT',    '/api/operators/:id/oidc',    'operators:write',   sso.link,              'operators'),
    row('DELETE', '/api/operators/:id/oidc',    'operators:write',   sso.unlink,            'operators'),

    row('GET',    '/api/audit',                 'audit:read',        au.list,               'audit'),
    row('GET',    '/api/audit/verify',          'settings:write',    au.verify,             'audit'),

    row('GET',    '/api/guests',                'people:read',       k.listGuests,          'guests'),
    row('POST',   '/api/guests',                'people:write',      k.createGuest,         'guests'),
    row('GET',    '/api/guests/:id',            'people:read',       k.getGuest,            'guests'),
    row('PATCH',  '/api/guests/:id',            'people:write',      k.updateGuest,         'guests'),
    row('DELETE', '/api/guests/:id',            'people:write',      k.deleteGuest,         'guests'),

    row('GET',    '/api/keys',                  'credentials:read',  k.listKeys,            'keys'),
    row('POST',   '/api/keys',                  'credentials:write', k.issueKey,            'keys'),
    row('GET',    '/api/keys/:id',              'credentials:read',  k.getKey,              'keys'),
    row('PATCH',  '/api/keys/:id',              'credentials:write', k.updateKey,           'keys'),
    row('POST',   '/api/keys/:id/revoke',       'credentials:write', k.revokeKey,           'keys'),
    row('POST',   '/api/keys/:id/link',         'credentials:write', k.relinkKey,           'keys'),
    row('GET',    '/api/keys/:id/uses',         'credentials:read',  k.keyUses,             'keys'),
    row('POST',   '/api/key-links/open',        null,                k.openLink,            'keys'),
    row('POST',   '/api/deliveries',            'credentials:write', k.issueDelivery,       'keys'),

    row('POST',   '/api/people/:id/mobile-invitations', 'credentials:write', m.invite,          'mobile keys'),
    row('GET',    '/api/people/:id/mobile-devices', 'credentials:read', m.listDevices,          'mobile keys'),
    row('GET',    '/api/mobile-devices/:id',    'credentials:read',  m.getDevice,           'mobile keys'),
    row('DELETE', '/api/mobile-devices/:id',    'credentials:write', m.removeDevice,        'mobile keys'),
    row('POST',   '/api/mobile/register',       null,                m.register,            'mobile keys'),
    row('POST',   '/api/mobile/challenges',     null,                m.challenge,           'mobile keys'),
    row('POST',   '/api/mobile/doors',          null,                m.doors,               'mobile keys'),
    row('POST',   '/api/mobile/open',           null,                m.open,                'mobile keys'),

    row('GET',    '/api/reservations',          'credentials:read',  rv.list,               'reservations'),
    row('POST',   '/api/reservations',          'credentials:write', rv.create,             'reservations'),
    row('GET',    '/api/reservations/:id',      'credentials:read',  rv.get,                'reservations'),
    row('PATCH',  '/api/reservations/:id',      'credentials:write', rv.update,             'reservations'),
    row('POST',   '/api/reservations/:id/cancel', 'credentials:write', rv.cancel,           'reservations'),

    row('GET',    '/api/webhooks',              'settings:write',    wh.list,               'webhooks'),
    row('POST',   '/api/webhooks',              'settings:write',    wh.create,             'webhooks'),
    row('GET',    '/api/webhooks/:id',          'settings:write',    wh.get,                'webhooks'),
    row('PATCH',  '/api/webhooks/:id',          'settings:write',    wh.update,             'webhooks'),
    row('DELETE', '/api/webhooks/:id',          'settings:write',    wh.remove,             'webhooks'),
    row('POST',   '/api/webhooks/:id/secret',   'settings:write',    wh.rotate,             'webhooks'),
    row('GET',    '/api/webhooks/:id/deliveries', 'settings:write',  wh.deliveries,         'webhooks'),
    row('POST',   '/api/webhooks/:id/deliveries/:delivery/redeliver', 'settings:write', wh.redeliver, 'webhooks'),

    row('GET',    '/api/doors/:id/access',      'site:read',         doorAccess,            'explain'),
    row('POST',   '/api/explain/preview',       'site:write',        previewChange,         'explain'),

    row('POST',   '/api/actions',               'operations:write',  performAction,         'operations'),
    row('GET',    '/api/actions',               'events:read',       listActions,           'operations'),
    row('GET',    '/api/actions/:id',           'events:read',       getAction,             'operations'),

    row('GET',    '/api/live/doors',            'site:read',         liveDoors,             'live'),
    row('GET',    '/api/live/controllers',      'site:read',         liveControllers,       'live'),
    row('GET',    '/api/live/occupancy',        'site:read',         liveOccupancy,         'live'),
    row('GET',    '/api/live/muster',           'people:read',       liveMuster,            'live'),
    row('GET',    '/api/live/stream',           'events:read',       liveStream,            'live'),
    row('POST',   '/api/directory/scim-token',  'settings:write',    issueScimToken,        'directory'),
    row('DELETE', '/api/directory/scim-token',  'settings:write',    revokeScimToken,       'directory'),

    row('GET',    '/api/lifecycle/retention',   'audit:read',        getRetention,          'lifecycle'),
    row('PATCH',  '/api/lifecycle/retention',   'settings:write',    setRetention,          'lifecycle'),
    row('POST',   '/api/lifecycle/purge',       'settings:write',    purgeNow,              'lifecycle'),
    row('GET',    '/api/lifecycle/people/:id/export', 'people:read', exportPersonData,      'lifecycle'),
    row('GET',    '/api/lifecycle/people/:id/export.csv', 'people:read', exportPersonDataCsv, 'lifecycle'),
    row('POST',   '/api/lifecycle/people/:id/erasure', 'settings:write', erasePerson,       'lifecycle'),
    row('GET',    '/api/lifecycle/certificates', 'audit:read',       listCertificates,      'lifecycle'),
    ...reportRoutes(store),
  ];
  return routes;
}
