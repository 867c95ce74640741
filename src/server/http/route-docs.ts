// OpenAPI documentation of the routes still outside the endpoint table: the security plugin's
// /api/auth/* login and session routes (setup, login and second factors, logout, session, password,
// MFA enrolment, single sign-on), served by src/server/auth/auth-routes.ts and oidc-routes.ts. Nothing
// stops them being endpoints (the reply sets the cookies; the plugin's half-session rule works on
// paths); they are simply not moved yet. Those handlers validate their own input (auth/http.ts parse)
// and answer in the one error shape; what is here only describes them — operation ids, summaries,
// tags, request and response schemas and their 4xx answers — so the document covers every route. It
// is attached when a route is added (an onRoute hook), without changing how the route validates or
// serializes. A route of these prefixes without an entry here fails
// test/server/api/openapi-lint.test.ts. Every other route is a row of src/server/api/routes.ts.

import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { operatorSchema as operator } from '../auth/operator-routes.ts';
import { errorResponses } from './openapi.ts';

interface RouteDoc {
  operationId: string;
  summary: string;
  tag: string;
  description?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** success status → body */
  responses: Record<number, z.ZodType>;
  errors: number[];
  /** public: no API token or session needed */
  public?: boolean;
}

const _id = z.object({ id: z.string().min(1).max(128) });
const _iso = z.iso.datetime();
const anyObject = z.record(z.string(), z.unknown());
/** The API's one list shape. */
const _page = (item: z.ZodType) =>
  z.object({
    items: z.array(item),
    next: z.string().nullable().meta({ description: 'cursor of the next page; null on the last page' }),
  });

const loginAnswer = z
  .object({
    stage: z.enum(['full', 'mfa', 'enrol']),
    csrfToken: z.string().meta({ description: 'send as X-CSRF-Token with state-changing requests' }),
    operator,
    secondFactors: z.array(z.enum(['totp', 'webauthn', 'backup_code'])).optional(),
  })
  .meta({ id: 'LoginAnswer' });
const password = z.string().min(1).max(1024).meta({ format: 'password' });
const code = z.object({ code: z.string().min(1).max(32) });
const webauthnResponse = z.object({ response: anyObject, name: z.string().max(100).optional() });
const AUTH = [400, 401, 403, 429];
/** A browser navigation answered with a redirect (no body). */
const redirect = (where: string) => z.null().meta({ description: `303 See Other: Location is ${where}` });
const SSO_REFUSAL =
  'A refused sign-in also answers 303, to `/sign-in?ssoError=<code>`: OIDC_STATE_INVALID (not started in this browser, used, expired or tampered), OIDC_LOGIN_FAILED (the provider refused, or its answer did not verify), OIDC_NOT_ALLOWED (no enabled operator is linked to this identity), OIDC_PROVIDER_UNAVAILABLE, LOGIN_LOCKED, RATE_LIMITED.';
const _SIGNED_IN = [401, 403];

// biome-ignore format: one line per route reads as a table
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'POST /api/auth/setup': { operationId: 'setupFirstAdmin', summary: 'Create the first administrator with the one-time setup token', tag: 'auth', public: true,
    body: z.object({ token: z.string(), username: z.string(), password, displayName: z.string().optional(), email: z.email().optional() }),
    responses: { 201: z.object({ operator, next: z.string() }) }, errors: [400, 401, 409, 429] },
  'POST /api/auth/login': { operationId: 'login', summary: 'Log in with username and password', tag: 'auth', public: true,
    description: 'Sets the session cookie. `stage` says what comes next: a second factor (`mfa`), enrolling one (`enrol`), or nothing (`full`).',
    body: z.object({ username: z.string(), password }), responses: { 200: loginAnswer }, errors: AUTH },
  'POST /api/auth/login/totp': { operationId: 'loginTotp', summary: 'Second factor: a TOTP code', tag: 'auth', public: true, body: code, responses: { 200: loginAnswer }, errors: AUTH },
  'POST /api/auth/login/backup-code': { operationId: 'loginBackupCode', summary: 'Second factor: a one-time backup code', tag: 'auth', public: true, body: code, responses: { 200: loginAnswer }, errors: AUTH },
  'POST /api/auth/login/webauthn/options': { operationId: 'loginPasskeyOptions', summary: 'Second factor: options for a passkey assertion', tag: 'auth', public: true, responses: { 200: anyObject }, errors: [401, 403, 429] },
  'POST /api/auth/login/webauthn/verify': { operationId: 'loginPasskey', summary: 'Second factor: a passkey assertion', tag: 'auth', public: true, body: webauthnResponse, responses: { 200: loginAnswer }, errors: AUTH },
  'GET /api/auth/config': { operationId: 'getAuthConfig', summary: 'How operators can sign in here (is single sign-on offered?)', tag: 'auth', public: true,
    responses: { 200: z.object({ sso: z.object({ enabled: z.boolean() }) }) }, errors: [403] },
  'GET /api/auth/oidc/start': { operationId: 'startSingleSignOn', summary: 'Single sign-on: go to the OpenID Connect provider', tag: 'auth', public: true,
    description: `A browser navigation. Sets a short-lived cookie bound to this sign-in (state, nonce and PKCE verifier are kept on the server) and redirects to the provider. ${SSO_REFUSAL}`,
    responses: { 303: redirect('the provider’s authorization endpoint') }, errors: [404, 429] },
  'GET /api/auth/oidc/callback': { operationId: 'finishSingleSignOn', summary: 'Single sign-on: the provider’s answer', tag: 'auth', public: true,
    description: `Where the provider sends the browser back. Checks the answer (the state against this browser’s sign-in, taken once; the ID token by openid-client), finds the linked operator and sets a new session: full when the provider proved MFA (amr/acr as configured), else stage mfa or enrol, as after a password. ${SSO_REFUSAL}`,
    query: z.object({ code: z.string().optional(), state: z.string().optional(), error: z.string().optional() }),
    responses: { 303: redirect('the console (`/`)') }, errors: [404] },
  'POST /api/auth/password': { operationId: 'changePassword', summary: 'Change your password (ends your other sessions)', tag: 'auth',
    body: z.object({ currentPassword: password, newPassword: password }), responses: { 200: z.object({ changed: z.boolean(), csrfToken: z.string() }) }, errors: [400, 401, 403] },

};

/** Prefixes whose routes must be documented here (the rest are in the endpoint table). */
export const DOCUMENTED_PREFIXES = ['/api/auth'];

const keyOf = (method: string, url: string) => `${method} ${url.replace(/:(\w+)/g, '{$1}')}`;

/** onRoute hook: attaches the documentation, keeping the handler's own validation and output. */
export function documentRoute(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const doc = ROUTE_DOCS[keyOf(String(methods[0]), route.url)];
  if (!doc || route.schema?.operationId !== undefined) return;
  const responses: Record<string, z.ZodType> = errorResponses(doc.errors);
  for (const [status, schema] of Object.entries(doc.responses))
    responses[status] = schema.describe('Success');
  route.schema = {
    operationId: doc.operationId,
    summary: doc.summary,
    ...(doc.description && { description: doc.description }),
    tags: [doc.tag],
    ...(doc.params && { params: doc.params }),
    ...(doc.query && { querystring: doc.query }),
    ...(doc.body && { body: doc.body }),
    ...(doc.public && { security: [] }),
    response: responses,
  } as never;
  route.validatorCompiler = () => (data: unknown) => ({ value: data });
  route.serializerCompiler = () => (data: unknown) => JSON.stringify(data);
}
