// The error catalogue of the management API: every failure answers `{ error: { code, message, … } }`
// with a stable UPPER_SNAKE code from this table, so the console, scripts and tests can rely on the
// code while the message stays free to improve. Bad input names the field (`body.name`,
// `query.limit`, `body.groups[1]`) and the reason, never the value given (it may be a PIN).
// One catalogue for every route, the security ones (/api/auth, /api/operators, alarms) included.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DatabaseBusyError, type Resource, StorageError } from '../storage/errors.ts';

export const API_ERRORS = {
  // 400: the request is wrong; nothing was changed
  INVALID_INPUT: [400, 'a field is missing or not valid; `field` names it and `issues` lists every problem'],
  INVALID_JSON: [400, 'the body is not valid JSON'],
  INVALID_CURSOR: [400, 'the pagination cursor was not issued by this list'],
  UNKNOWN_REFERENCE: [400, 'a field names a record that does not exist (or is outside your scope)'],
  CSV_INVALID: [
    400,
    'the CSV file has errors; `rows` lists each (row, column, reason); nothing was imported',
  ],
  // 401/403: who you are and what you may do
  UNAUTHENTICATED: [401, 'log in or send an API token'],
  FORBIDDEN: [403, 'your role lacks the permission this endpoint needs'],
  OUT_OF_SCOPE: [403, 'the department or site given is outside your scope'],
  // 404: nothing there (records outside your scope answer the same)
  NOT_FOUND: [404, 'no such endpoint'],
  PERSON_NOT_FOUND: [404, 'no such person'],
  CREDENTIAL_NOT_FOUND: [404, 'no such credential'],
  GROUP_NOT_FOUND: [404, 'no such group'],
  ACCESS_LEVEL_NOT_FOUND: [404, 'no such access level'],
  SCHEDULE_NOT_FOUND: [404, 'no such schedule'],
  HOLIDAY_CALENDAR_NOT_FOUND: [404, 'no such holiday calendar'],
  AREA_NOT_FOUND: [404, 'no such area'],
  DOOR_NOT_FOUND: [404, 'no such door'],
  CONTROLLER_NOT_FOUND: [404, 'no such controller'],
  SITE_NOT_FOUND: [404, 'no such site'],
  GUEST_NOT_FOUND: [404, 'no such guest'],
  KEY_NOT_FOUND: [404, 'no such key'],
  RESERVATION_NOT_FOUND: [404, 'no such reservation'],
  WEBHOOK_NOT_FOUND: [404, 'no such webhook subscription or delivery'],
  KEY_LINK_GONE: [410, 'the key link has expired or was withdrawn; ask for a new one'],
  MOBILE_INVITATION_GONE: [410, 'the mobile key invitation has expired or was used; ask for a new one'],
  MOBILE_CHALLENGE_GONE: [
    410,
    'the challenge has expired, was answered already or is unknown; ask for a new one',
  ],
  MOBILE_DEVICE_NOT_FOUND: [404, 'no such mobile device (or it was removed)'],
  MOBILE_SIGNATURE_INVALID: [403, 'the token is not signed by the device key registered for it'],
  MOBILE_ACCESS_DENIED: [403, 'the door’s rules deny this device now; `reason` is the core’s reason'],
  ACTION_NOT_FOUND: [404, 'no such operator action'],
  IMPORT_JOB_NOT_FOUND: [404, 'no such import job (or not one you started)'],
  // 409: the request is fine but conflicts with what is stored
  PERSON_EXISTS: [409, 'a person with this id exists'],
  CREDENTIAL_EXISTS: [409, 'a credential with this id exists'],
  GROUP_EXISTS: [409, 'a group with this id exists'],
  ACCESS_LEVEL_EXISTS: [409, 'an access level with this id exists'],
  SCHEDULE_EXISTS: [409, 'a schedule with this id exists'],
  HOLIDAY_CALENDAR_EXISTS: [409, 'a holiday calendar with this id exists'],
  AREA_EXISTS: [409, 'an area with this id exists'],
  DOOR_EXISTS: [409, 'a door with this id exists'],
  CONTROLLER_EXISTS: [409, 'a controller with this id exists'],
  SITE_EXISTS: [409, 'a site with this id exists'],
  GUEST_EXISTS: [409, 'a guest with this id exists'],
  RESERVATION_EXISTS: [409, 'a reservation with this id exists'],
  IDEMPOTENCY_KEY_REUSED: [
    422,
    'this Idempotency-Key was used with another request; use a new key for a new request',
  ],
  CREDENTIAL_IDENTIFIER_TAKEN: [409, 'another credential holds this card number / identifier / PIN'],
  GROUP_IN_USE: [409, 'the group still has members'],
  ACCESS_LEVEL_IN_USE: [409, 'the access level is still granted to people or groups'],
  SCHEDULE_IN_USE: [409, 'the schedule is still used by access levels'],
  HOLIDAY_CALENDAR_IN_USE: [409, 'the holiday calendar is still used by schedules'],
  AREA_IN_USE: [409, 'the area still has sub-areas or doors'],
  DOOR_IN_USE: [409, 'the door is still in access levels'],
  CONTROLLER_IN_USE: [409, 'the controller still drives doors'],
  SITE_IN_USE: [409, 'controllers or areas still belong to the site, or enrolled controllers use its topic'],
  AREA_PROTECTED: [409, 'the built-in `outside` area cannot be changed or removed'],
  NOT_OPERABLE: [409, 'no enrolled controller drives what the action names (a door without a controller)'],
  // the security endpoints: login, second factors, sessions, setup, operators, tokens, alarms
  // (login failures share one code whatever went wrong, so answers never tell which usernames exist)
  LOGIN_FAILED: [401, 'username or password (or the second factor) is wrong'],
  LOGIN_LOCKED: [
    429,
    'too many failed logins: the account is locked for a while; `retryAfterSeconds` says how long',
  ],
  RATE_LIMITED: [429, 'too many attempts from this address; `retryAfterSeconds` says when to try again'],
  SECOND_FACTOR_REQUIRED: [403, 'complete the second factor first'],
  SECOND_FACTOR_FAILED: [401, 'the second factor is wrong'],
  MFA_ENROLMENT_REQUIRED: [403, 'enrol a second factor (TOTP or passkey) first'],
  CSRF_TOKEN_INVALID: [403, 'missing or wrong X-CSRF-Token for this session'],
  ADDRESS_NOT_ALLOWED: [403, 'this address may not reach the management server'],
  PASSWORD_TOO_SHORT: [400, 'the password is too short'],
  PASSWORD_TOO_LONG: [400, 'the password is too long'],
  PASSWORD_TOO_COMMON: [400, 'the password is a common one'],
  PASSWORD_TOO_WEAK: [400, 'the password is too easy to guess'],
  PASSWORD_INVALID: [400, 'the current password is wrong'],
  PASSWORD_IS_USERNAME: [400, 'the password must not be the username'],
  SETUP_TOKEN_INVALID: [401, 'the setup token is invalid or was used'],
  SETUP_ALREADY_DONE: [409, 'an administrator already exists'],
  OPERATOR_EXISTS: [409, 'an operator with this username exists'],
  OPERATOR_NOT_FOUND: [404, 'no such operator'],
  LAST_ADMIN: [409, 'the last enabled administrator cannot be demoted or disabled'],
  TOTP_ALREADY_ENROLLED: [409, 'a TOTP authenticator is already enrolled'],
  TOTP_NOT_PENDING: [409, 'no TOTP enrolment is in progress'],
  TOTP_CODE_INVALID: [400, 'the TOTP code is wrong'],
  WEBAUTHN_NO_CHALLENGE: [409, 'no passkey challenge is pending; ask for options first'],
  WEBAUTHN_VERIFICATION_FAILED: [400, 'the passkey answer did not verify'],
  TOKEN_NOT_FOUND: [404, 'no such API token'],
  ALARM_NOT_FOUND: [404, 'no such alarm'],
  ALARM_STATE_CONFLICT: [409, 'the alarm is not in a state that allows this'],
  OIDC_NOT_CONFIGURED: [404, 'single sign-on is not configured on this server'],
  OIDC_PROVIDER_UNAVAILABLE: [503, 'the single sign-on provider cannot be reached'],
  OIDC_STATE_INVALID: [
    400,
    'the sign-in was not started in this browser, was used, expired or tampered with',
  ],
  OIDC_LOGIN_FAILED: [401, 'the provider refused the sign-in, or its answer did not verify'],
  OIDC_NOT_ALLOWED: [403, 'no enabled operator is linked to this identity'],
  OIDC_LINK_TAKEN: [409, 'this identity is linked to another operator'],
  // transport
  PAYLOAD_TOO_LARGE: [413, 'the body is larger than the server accepts'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'send application/json (or text/csv to the import endpoints)'],
  UNAVAILABLE: [503, 'the database cannot be reached'],
  NO_CONTROLLER_LINK: [
    503,
    'this server runs without a controller link: door and area actions cannot be sent',
  ],
  INTERNAL: [500, 'an unexpected error; the server log has the details'],
} as const satisfies Record<string, readonly [number, string]>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export interface FieldIssue {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: { field?: string; issues?: FieldIssue[]; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = API_ERRORS[code][0];
  }
}

/** The one error body shape, for the OpenAPI document and the serializer. */
export const errorSchema = z
  .object({
    error: z
      .object({
        code: z.string().meta({ description: 'stable UPPER_SNAKE code; see docs/api.md' }),
        message: z.string(),
        field: z.string().optional(),
        issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
      })
      .catchall(z.unknown()),
  })
  .meta({ id: 'Error' });

export function errorBody(error: ApiError) {
  return { error: { code: error.code, message: error.message, ...error.extra } };
}

const RESOURCE_CODE: Record<Resource, string> = {
  person: 'PERSON',
  credential: 'CREDENTIAL',
  group: 'GROUP',
  access_level: 'ACCESS_LEVEL',
  schedule: 'SCHEDULE',
  holiday_calendar: 'HOLIDAY_CALENDAR',
  area: 'AREA',
  door: 'DOOR',
  controller: 'CONTROLLER',
  site: 'SITE',
  event: 'EVENT',
};

/** `cursor` is a query parameter; every other field a storage error names came in the body. */
function requestField(field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  return field === 'cursor' ? 'query.cursor' : `body.${field}`;
}

export function fromStorageError(error: StorageError): ApiError {
  const field = requestField(error.field);
  const extra = field === undefined ? {} : { field };
  const resource = RESOURCE_CODE[error.resource];
  const code = (suffix: string, fallback: ApiErrorCode): ApiErrorCode => {
    const candidate = `${resource}_${suffix}`;
    return candidate in API_ERRORS ? (candidate as ApiErrorCode) : fallback;
  };
  switch (error.kind) {
    case 'not_found':
      return new ApiError(code('NOT_FOUND', 'NOT_FOUND'), error.message);
    case 'exists':
      return new ApiError(code('EXISTS', 'INVALID_INPUT'), error.message, extra);
    case 'unknown_reference':
      return new ApiError('UNKNOWN_REFERENCE', field ? `${field}: ${error.message}` : error.message, extra);
    case 'in_use':
      return new ApiError(code('IN_USE', 'INVALID_INPUT'), error.message);
    case 'identifier_taken':
      return new ApiError('CREDENTIAL_IDENTIFIER_TAKEN', error.message, extra);
    case 'protected':
      return new ApiError(code('PROTECTED', 'INVALID_INPUT'), error.message);
    case 'out_of_scope':
      return new ApiError('OUT_OF_SCOPE', error.message, extra);
    case 'invalid':
      return new ApiError(
        'INVALID_INPUT',
        field ? `${field}: ${error.message}` : error.message,
        field ? { field, issues: [{ field, reason: error.message }] } : {},
      );
    case 'invalid_cursor':
      return new ApiError('INVALID_CURSOR', 'query.cursor: not a cursor issued by this list', {
        field: 'query.cursor',
      });
  }
}

/** `/groups/1/name` in the body → `body.groups[1].name`. */
function fieldName(context: string | undefined, instancePath: string, keys?: unknown): string {
  let path = context === 'querystring' ? 'query' : (context ?? 'body');
  for (const part of instancePath.split('/').filter((p) => p !== '')) {
    path += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  }
  // An unknown key is reported on the object holding it: name the key itself.
  if (Array.isArray(keys) && keys.length > 0) path += `.${String(keys[0])}`;
  return path;
}

export function fromValidationError(
  context: string | undefined,
  validation: readonly {
    instancePath: string;
    message?: string | undefined;
    params?: Record<string, unknown>;
  }[],
): ApiError {
  const issues = validation.map((v) => ({
    field: fieldName(context, v.instancePath, v.params?.keys),
    // zod names the unknown key in its message; the field already says which.
    reason: Array.isArray(v.params?.keys) ? 'is not a known field' : (v.message ?? 'is not valid'),
  }));
  const first = issues[0]!;
  return new ApiError('INVALID_INPUT', `${first.field}: ${first.reason}`, { field: first.field, issues });
}

/** One handler for the whole API: known errors to their code, the rest logged and hidden. */
export function installApiErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(
    (error: FastifyError | ApiError | StorageError, request: FastifyRequest, reply: FastifyReply) => {
      let api: ApiError;
      if (error instanceof ApiError) api = error;
      else if (error instanceof StorageError) api = fromStorageError(error);
      else if (error instanceof DatabaseBusyError)
        api = new ApiError('UNAVAILABLE', 'the database is busy with another writer; try again', {
          retryAfterSeconds: 5,
        });
      else if (hasZodFastifySchemaValidationErrors(error))
        api = fromValidationError(error.validationContext, error.validation);
      else if (isResponseSerializationError(error)) {
        request.log.error(
          { err: { message: error.message }, url: request.routeOptions.url },
          'response did not match its schema',
        );
        api = new ApiError('INTERNAL', 'internal error');
      } else api = fromFastifyError(error as FastifyError, request);
      if (api.statusCode >= 500 && api.code === 'INTERNAL' && !isResponseSerializationError(error))
        request.log.error(
          {
            err: {
              name: (error as Error).name,
              message: (error as Error).message,
              stack: (error as Error).stack,
            },
          },
          'request failed',
        );
      // Lockouts and rate limits say when to come back.
      const retryAfter = api.extra.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      reply.code(api.statusCode).send(errorBody(api));
    },
  );
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(
        errorBody(new ApiError('NOT_FOUND', `no endpoint ${request.method} ${request.url.split('?')[0]}`)),
      );
  });
}

function fromFastifyError(error: FastifyError, _request: FastifyRequest): ApiError {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content type');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', 'request body too large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('INVALID_JSON', 'body: a JSON body is required', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('INVALID_INPUT', 'content-length does not match the body');
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return new ApiError('INVALID_JSON', 'body: not valid JSON', { field: 'body' });
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return new ApiError('INVALID_INPUT', 'request is not valid');
  return new ApiError('INTERNAL', 'internal error');
}
