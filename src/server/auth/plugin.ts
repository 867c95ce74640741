// The security plugin of the management server. Registered once at the root of the app, it:
// - authenticates every request, by `Authorization: Bearer` API token or by session cookie, and sets
//   `request.principal` (only for a session that has passed every required factor);
// - refuses state-changing requests on a cookie session without the session's CSRF token;
// - answers 403 to a half-logged-in session (second factor pending, or an admin who must enrol MFA)
//   on every /api route but those whose endpoint says `halfSession` (login, second factors,
//   enrolment, who am I, logout, single sign-on: the route table declares them);
// - writes an audit record for every state-changing request that no handler audited itself.
// It serves no route: setup, login, password change and single sign-on are rows of the one route
// table (src/server/api/routes.ts) like every other. The security services it works with (sessions,
// audit, alarms, the per-address login limit, the single sign-on client) are made once by the
// composition root (createSecurityServices, src/server/compose.ts) and handed to it.

import cookie from '@fastify/cookie';
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { AlarmService, type AlarmSettings } from '../alarms/service.ts';
import { anchorKeys } from '../audit/anchors.ts';
import { ApiError, errorBody } from '../http/errors.ts';
import type { Principal } from '../http/principal.ts';
import type { Database } from '../storage/schema.ts';
import { tokenPrincipal } from './authority.ts';
import {
  type Clock,
  resolveSettings,
  type SecurityContext,
  type SettingsOverrides,
  securityDb,
  systemClock,
} from './context.ts';
import { audit } from './http.ts';
import { LoginRateLimit } from './login-limit.ts';
import { OidcClient } from './oidc-client.ts';
import type { OidcSettings } from './oidc-config.ts';
import { constantTimeEqual, SecretBox, sha256Hex } from './secrets.ts';
import { resolveSession } from './sessions.ts';
import { findActiveApiToken, touchApiToken } from './store.ts';

export interface SecurityServicesOptions {
  db: Kysely<Database>;
  logger: FastifyBaseLogger;
  /** the installation key (storage/installation-key.ts): encrypts TOTP secrets, keys backup-code hashes */
  installationKey: Uint8Array;
  clock?: Clock;
  settings?: SettingsOverrides;
  alarmSettings?: Partial<AlarmSettings>;
  /** share one alarm service with the rest of the server; created when absent */
  alarms?: AlarmService;
  /** the append-only file of signed chain checkpoints (audit/anchors.ts: anchorFileIn(dataDir)) */
  anchorFile?: string;
  /** OpenID Connect single sign-on (oidc-config.ts); undefined: off */
  oidc?: OidcSettings | undefined;
}

export interface SecurityServices {
  ctx: SecurityContext;
  box: SecretBox;
  alarms: AlarmService;
  /** OpenID Connect single sign-on; undefined: off */
  oidc: OidcSettings | undefined;
  /** the relying party of single sign-on (discovery kept); undefined: off. Closed with the app. */
  oidcClient: OidcClient | undefined;
  /** the per-address limit on sign-in attempts, one for the whole server (login-limit.ts) */
  loginLimit: LoginRateLimit;
}

export interface SecurityPluginOptions {
  /** made once by the composition root (createSecurityServices) */
  services: SecurityServices;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the security services, for routes that audit, raise alarms or feed the ID-change detector */
    security: SecurityServices;
  }
  interface FastifyContextConfig {
    /** a session that has not passed every factor may reach this route (Endpoint.halfSession) */
    halfSession?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** API tokens touch last-used at most this often. */
const TOKEN_TOUCH_MS = 60_000;

export function createSecurityServices(options: SecurityServicesOptions): SecurityServices {
  const ctx: SecurityContext = {
    db: securityDb(options.db),
    logger: options.logger,
    clock: options.clock ?? systemClock,
    settings: resolveSettings(options.settings),
    anchorKeys: anchorKeys(options.installationKey),
    anchorFile: options.anchorFile,
  };
  return {
    ctx,
    box: new SecretBox(options.installationKey),
    oidc: options.oidc,
    oidcClient: options.oidc && new OidcClient(options.oidc),
    loginLimit: new LoginRateLimit(ctx.settings.loginRateLimit, ctx.clock),
    alarms:
      options.alarms ??
      new AlarmService(ctx.db, ctx.logger, ctx.clock, {
        failedLoginBurst: ctx.settings.failedLoginBurst,
        ...options.alarmSettings,
      }),
  };
}

async function principalFromToken(services: SecurityServices, token: string): Promise<Principal | undefined> {
  if (token.length < 20 || token.length > 200) return undefined;
  const { ctx } = services;
  const now = ctx.clock.now();
  const found = await findActiveApiToken(ctx.db, sha256Hex(token), now);
  if (!found) return undefined;
  // Checked against the creator's current role, scope and state on every use (authority.ts).
  const principal = tokenPrincipal(found.token, found.creator);
  if (!principal) return undefined;
  const record = found.token;
  if (record.lastUsedAt === null || now - record.lastUsedAt >= TOKEN_TOUCH_MS)
    await touchApiToken(ctx.db, record.id, now);
  return principal;
}

/** What a request's credentials prove; answers 401/403 itself when they prove something bad. */
async function authenticateRequest(
  services: SecurityServices,
  request: FastifyRequest,
): Promise<ApiError | undefined> {
  // /scim/v2 has its own dedicated bearer token (src/server/scim/tokens.ts) and checks it itself.
  if (request.url.startsWith('/scim/')) return undefined;
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    // An explicit credential, not sent by the browser on its own: no CSRF check needed.
    if (!/^Bearer /i.test(authorization))
      return new ApiError('UNAUTHENTICATED', 'unsupported authorization scheme');
    const principal = await principalFromToken(services, authorization.slice('Bearer '.length).trim());
    if (!principal) return new ApiError('UNAUTHENTICATED', 'token invalid, expired or revoked');
    request.principal = principal;
    return undefined;
  }
  const session = await resolveSession(services.ctx, request);
  if (!session) return undefined;
  request.authSession = session;
  if (!SAFE_METHODS.has(request.method)) {
    const presented = request.headers['x-csrf-token'];
    if (typeof presented !== 'string' || !constantTimeEqual(presented, session.csrfToken))
      return new ApiError('CSRF_TOKEN_INVALID', 'missing or wrong X-CSRF-Token for this session');
  }
  if (session.stage === 'full') {
    const { operator } = session;
    request.principal = { kind: 'operator', id: operator.id, role: operator.role, scope: operator.scope };
    return undefined;
  }
  // Only the routes the table lets a half session reach (the route this request matched says so; an
  // unknown /api path is refused like any other).
  const path = request.url.split('?')[0] ?? '';
  if (path.startsWith('/api/') && request.routeOptions.config?.halfSession !== true)
    return session.stage === 'enrol'
      ? new ApiError('MFA_ENROLMENT_REQUIRED', 'enrol a second factor (TOTP or passkey) first')
      : new ApiError('SECOND_FACTOR_REQUIRED', 'complete the second factor first');
  return undefined;
}

const plugin: FastifyPluginAsync<SecurityPluginOptions> = async (app: FastifyInstance, { services }) => {
  const { ctx } = services;
  if (!app.hasRequestDecorator('cookies')) await app.register(cookie);
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', undefined);
  app.decorateRequest('authSession', undefined);
  app.decorateRequest('audited', false);
  app.decorate('security', services);
  const { oidc, oidcClient } = services;
  if (oidc)
    ctx.logger.info(
      { issuer: oidc.issuer, clientId: oidc.clientId, claim: oidc.claim },
      'OpenID Connect single sign-on configured',
    );
  if (oidcClient) app.addHook('onClose', () => oidcClient.close());

  app.addHook('onRequest', async (request, reply) => {
    const failure = await authenticateRequest(services, request);
    if (failure) return reply.code(failure.statusCode).send(errorBody(failure));
  });

  // Every operator action is audited: handlers that know better write their own record; anything
  // else that tried to change something gets a generic one, refused attempts included.
  app.addHook('onResponse', async (request, reply) => {
    if (request.audited || SAFE_METHODS.has(request.method)) return;
    if (!request.principal && !request.authSession) return;
    try {
      await audit(
        ctx,
        request,
        `api.${request.method.toLowerCase()}`,
        request.routeOptions.url ?? request.url.split('?')[0]!,
        {
          status: reply.statusCode,
          params: request.params ?? {},
        },
      );
    } catch (error) {
      ctx.logger.error({ err: { message: (error as Error).message } }, 'audit append failed');
    }
  });
};

// Hooks and decorations apply to the whole app, not only inside this plugin (what fastify-plugin does).
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'monban-security';

export const securityPlugin = plugin;

/** For an app factory that asks for `authenticate(req)`: the principal this plugin already set. */
export function authenticate(request: FastifyRequest): Principal | undefined {
  return request.principal;
}
