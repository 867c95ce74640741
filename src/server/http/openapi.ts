// What the OpenAPI document says beyond each route's own schemas: the document's info, servers and
// tags, and the error answers every operation can give, status by status (all in the one error
// shape, `{ error: { code, message, … } }`, with the codes of docs/api.md). The document is linted in
// the tests with Redocly's recommended rules (test/server/api/openapi-lint.test.ts).

import { z } from 'zod';
import { errorSchema } from './errors.ts';

export const OPENAPI_INFO = {
  title: 'Monban management API',
  description:
    'Physical access control: people, credentials, the site model, events, controllers, alarms, audit and operator security. Errors are `{ error: { code, message } }` with stable codes (docs/api.md). Lists answer `{ items, next }`; pass `next` back as `cursor`. Times are ISO 8601.',
  license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
};

/** Relative to where the document is served: the same server. */
export const OPENAPI_SERVERS = [{ url: '/', description: 'the server that serves this document' }];

export const OPENAPI_TAGS: { name: string; description: string }[] = [
  { name: 'health', description: 'Liveness and readiness' },
  { name: 'people', description: 'Cardholders (利用者), scoped to an operator’s departments and sites' },
  {
    name: 'credentials',
    description: 'Cards, PINs (write-only), mobile keys, keys and biometric references',
  },
  { name: 'csv', description: 'CSV import and export (UTF-8 and Shift_JIS), all or nothing' },
  { name: 'sites', description: 'Sites (拠点): time zone, holiday calendars and controller topic' },
  { name: 'groups', description: 'Groups of people carrying access levels' },
  { name: 'access levels', description: 'Doors × schedule' },
  { name: 'schedules', description: 'Weekly, overnight and holiday intervals in the site’s local time' },
  { name: 'holidays', description: 'Holiday calendars, and presets such as the Japanese public holidays' },
  {
    name: 'areas',
    description:
      'Areas and their rules: anti-passback, two-person, route, priority, escort, occupancy, fire zone',
  },
  { name: 'doors', description: 'Doors, their modes and rules' },
  {
    name: 'controllers',
    description: 'Door controllers: registry, enrollment, link status, restart, baseline',
  },
  { name: 'events', description: 'Access decisions, alarms and door changes reported by controllers' },
  {
    name: 'explain',
    description: 'Who can pass a door and why not; what a rule change would do before it is saved',
  },
  {
    name: 'operations',
    description:
      'Running the site: door and area actions sent to the controllers concerned, with each one’s outcome',
  },
  {
    name: 'live',
    description: 'Live state: doors, controllers, occupancy, the muster list, and the push stream',
  },
  {
    name: 'auth',
    description: 'First-admin setup, login with a second factor, sessions, MFA enrolment, API tokens',
  },
  { name: 'operators', description: 'Operator accounts, roles and scopes' },
  { name: 'alarms', description: 'The alarm queue: acknowledge, resolve, comment' },
  { name: 'audit', description: 'The tamper-evident audit trail' },
  { name: 'guests', description: 'Guests who are not people of the directory: name, company, contact, host' },
  {
    name: 'keys',
    description:
      'Time-limited keys (時限キー) and delivery access (置き配): doors or areas, dates, weekday windows, uses, revocation, delivery links',
  },
  {
    name: 'mobile keys',
    description:
      'Mobile keys (R-KEY-2): invitations, a person’s phones and their removal, and the phone’s own calls — register its device key, challenges, the doors it may open, open online',
  },
  {
    name: 'reservations',
    description: 'Bookings from a booking or property-management system: the key follows the reservation',
  },
  { name: 'webhooks', description: 'Signed event deliveries to integrations, with a delivery log' },
  {
    name: 'reports',
    description:
      'Reports for managers and auditors (events, attendance, muster, occupancy, My Number zones, incidents, 棚卸, access review), JSON and CSV (UTF-8 with BOM or Shift_JIS)',
  },
  { name: 'directory', description: 'Directory integration: the SCIM token, OpenID Connect sign-in' },
  { name: 'lifecycle', description: 'Retention and purge, a person’s own data export, erasure certificates' },
];

const detail = errorSchema.shape.error.meta({ id: 'ErrorDetail' });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid (INVALID_INPUT, INVALID_JSON, INVALID_CURSOR, UNKNOWN_REFERENCE, …): `field` names the problem; nothing was changed',
  401: 'Not authenticated (UNAUTHENTICATED, LOGIN_FAILED, …): log in or send an API token',
  403: 'Not allowed (FORBIDDEN, OUT_OF_SCOPE, CSRF_TOKEN_INVALID, SECOND_FACTOR_REQUIRED, …)',
  404: 'No such record (…_NOT_FOUND), or outside your scope',
  409: 'Conflicts with what is stored (…_EXISTS, …_IN_USE, …)',
  413: 'The body is larger than the server accepts (PAYLOAD_TOO_LARGE)',
  410: 'Gone (KEY_LINK_GONE): the link expired or was withdrawn',
  415: 'Unsupported content type (UNSUPPORTED_MEDIA_TYPE)',
  422: 'The Idempotency-Key was used with another request (IDEMPOTENCY_KEY_REUSED); nothing was changed',
  429: 'Too many attempts (RATE_LIMITED, LOGIN_LOCKED): see Retry-After',
  503: 'The database does not answer (UNAVAILABLE)',
};

const errorAt = new Map(
  Object.entries(ERROR_DESCRIPTIONS).map(([status, text]) => [
    Number(status),
    z.object({ error: detail }).describe(text),
  ]),
);

/** Error responses for these statuses, each described, plus any 5xx. */
export function errorResponses(statuses: Iterable<number>): Record<string, z.ZodType> {
  const responses: Record<string, z.ZodType> = {};
  for (const status of [...new Set(statuses)].sort()) responses[String(status)] = errorAt.get(status)!;
  responses['5XX'] = errorSchema.describe('Unexpected (INTERNAL); the server log has the details');
  return responses;
}

/** The 4xx a route of the endpoint table can answer, from what it takes and whether it is guarded. */
export function endpointErrors(route: {
  method: string;
  guarded: boolean;
  params: boolean;
  query: boolean;
  body: boolean;
  status: number;
}): number[] {
  const statuses: number[] = [];
  if (route.query || route.body || route.params) statuses.push(400);
  if (route.guarded) statuses.push(401, 403);
  if (route.params) statuses.push(404);
  if (route.method === 'POST' || route.method === 'PATCH' || route.method === 'DELETE') statuses.push(409);
  if (route.body) statuses.push(413, 415);
  if (!route.guarded) statuses.push(503);
  return statuses;
}
