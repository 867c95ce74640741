// The management server's HTTP app: Fastify with zod schemas (fastify-type-provider-zod) for
// validation, serialization and the OpenAPI 3.1 document (served at /api/docs/json, browsable at
// /api/docs), one error handler with stable codes, and every route of the route table guarded by
// its permission — sign-in included: the route table is the only way an API route is declared (what
// else the server serves — the console, the phone pages, this document, SCIM — is listed in routes.ts
// OUTSIDE_THE_TABLE; `servedRoutes` records every route Fastify was given, for the test that holds
// this). Writes go to the service layer with the caller as its actor. Authentication is plugged in,
// not built in: `plugins` registers the security plugin (which sets request.principal);
// `authenticate` can name a caller the plugin did not (tests). The server is put together in one
// place, src/server/compose.ts.

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestHookHandler,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type EndpointContext, seeOtherSchema } from '../api/endpoint.ts';
import { apiRoutes, type Route } from '../api/routes.ts';
import { actorOf } from '../auth/http.ts';
import type { ControllerLink } from '../controllers/link.ts';
import type { LiveDeps } from '../live/endpoints.ts';
import type { OperationsService } from '../operations/service.ts';
import type { Actor, Services } from '../services/index.ts';
import type { Store } from '../storage/db.ts';
import { repositories } from '../storage/index.ts';
import { errorBody, installApiErrorHandler } from './errors.ts';
import { requirePermission, requireSession, scopeOf } from './guard.ts';
import { endpointErrors, errorResponses, OPENAPI_INFO, OPENAPI_SERVERS, OPENAPI_TAGS } from './openapi.ts';
import type { Principal } from './principal.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** every route Fastify was given (method and URL template), in order: see buildApp */
    servedRoutes: readonly ServedRoute[];
  }
}

export interface ServedRoute {
  method: string;
  url: string;
}

export interface AppDeps {
  store: Store;
  /** keys the PIN hashes (storage/installation-key.ts) */
  installationKey: Uint8Array;
  /** every write goes through these */
  services: Services;
  /** door and area actions (server/operations) */
  operations?: OperationsService | undefined;
  /** live state and the push stream (server/live) */
  live?: LiveDeps | undefined;
  /** the controller link: its enrollment, status, restart and baseline routes are served with it */
  controllers?: ControllerLink | undefined;
  /** a pino logger, or false for none (default) */
  logger?: FastifyBaseLogger | false;
  clock?: { now(): number };
  /** who is calling, when no plugin has set request.principal already */
  authenticate?: (request: FastifyRequest) => Principal | undefined | Promise<Principal | undefined>;
  /** registered before the routes: security headers, allow-list, the security plugin */
  plugins?: (app: FastifyInstance) => Promise<void>;
  /** serve HTTPS with this certificate */
  https?: { key: string | Buffer; cert: string | Buffer };
  /** largest request body in bytes (default 16 MiB, for CSV uploads) */
  bodyLimit?: number;
  /** serve the OpenAPI document and browser at /api/docs (default true) */
  docs?: boolean;
  trustProxy?: boolean;
}

export const API_VERSION = '0.1.0';

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const options = {
    bodyLimit: deps.bodyLimit ?? 16 * 1024 * 1024,
    trustProxy: deps.trustProxy ?? false,
    // Ids come in paths; keep them exact.
    routerOptions: { ignoreTrailingSlash: true },
  };
  const app = (deps.https
    ? Fastify({ ...options, https: deps.https, ...(deps.logger ? { loggerInstance: deps.logger } : {}) })
    : Fastify({ ...options, ...(deps.logger ? { loggerInstance: deps.logger } : {}) })
  ).withTypeProvider<ZodTypeProvider>() as unknown as FastifyInstance;

  // Before anything registers a route: which routes this server serves, whoever added them.
  const served: ServedRoute[] = [];
  app.decorate('servedRoutes', served);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) served.push({ method: String(method), url: route.url });
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installApiErrorHandler(app);
  app.addContentTypeParser(
    ['text/csv', 'application/octet-stream'],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  );

  if (deps.docs !== false) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { ...OPENAPI_INFO, version: API_VERSION },
        servers: OPENAPI_SERVERS,
        tags: OPENAPI_TAGS,
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'API token' },
            session: { type: 'apiKey', in: 'cookie', name: 'monban_session' },
          },
        },
        security: [{ bearer: [] }, { session: [] }],
      },
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/api/docs' });
  }

  await deps.plugins?.(app);
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', undefined);
  if (deps.authenticate) {
    const authenticate = deps.authenticate;
    app.addHook('onRequest', async (request) => {
      if (request.principal === undefined) request.principal = await authenticate(request);
    });
  }

  const clock = deps.clock ?? { now: () => Date.now() };
  const repos = repositories(deps.store.db, deps.installationKey);
  for (const route of apiRoutes(deps.store, { controllerLink: deps.controllers !== undefined }))
    registerRoute(app, route, deps, repos, clock);
  return app;
}

/** The request log of a route whose query holds a credential: the path only. */
const withoutQuery = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: request.url.split('?')[0],
    remoteAddress: request.ip,
  }),
};

function registerRoute(
  app: FastifyInstance,
  route: Route,
  deps: AppDeps,
  repos: ReturnType<typeof repositories>,
  clock: { now(): number },
): void {
  const { endpoint } = route;
  const response: Record<string, unknown> = errorResponses(
    endpointErrors({
      method: route.method,
      guarded: route.permission !== null,
      params: endpoint.params !== undefined,
      query: endpoint.query !== undefined,
      body: endpoint.body !== undefined || endpoint.consumes !== undefined,
      status: endpoint.status,
    })
      .concat(endpoint.session ? [401, 403] : [])
      .concat(endpoint.loginLimit ? [429] : [])
      .concat(endpoint.errors ?? []),
  );
  if (endpoint.status === 303) response['303'] = seeOtherResponse(endpoint.redirect ?? 'elsewhere');
  else if (endpoint.response) response[String(endpoint.status)] = endpoint.response;
  else if (endpoint.status === 204) response['204'] = z.null().describe('No content');
  else response[String(endpoint.status)] = z.string().describe('A CSV file (text/csv)');
  // In this order: the login limit before anything else, then who may call.
  const onRequest: onRequestHookHandler[] = [];
  if (endpoint.loginLimit) onRequest.push(countLoginAttempt);
  if (route.permission !== null) onRequest.push(requirePermission(route.permission));
  // A session route refuses a caller without one before reading the body, as the guard does.
  else if (endpoint.session) onRequest.push(requireSession);
  app.route({
    method: route.method,
    url: route.url,
    schema: {
      ...(endpoint.operationId && { operationId: endpoint.operationId }),
      summary: endpoint.summary,
      ...(endpoint.description && { description: endpoint.description }),
      tags: [route.tag],
      ...(endpoint.params && { params: endpoint.params }),
      ...(endpoint.query && { querystring: endpoint.query }),
      ...(endpoint.headers && { headers: endpoint.headers }),
      ...(endpoint.body && { body: endpoint.body }),
      ...(endpoint.consumes && { consumes: endpoint.consumes }),
      ...(route.permission === null && { security: endpoint.session ? [{ session: [] }] : [] }),
      response,
    } as never,
    ...(onRequest.length > 0 && { onRequest }),
    // What the security plugin reads before this route's own hooks: may a half session reach it?
    config: { halfSession: endpoint.halfSession === true },
    ...(endpoint.bodyLimit !== undefined && { bodyLimit: endpoint.bodyLimit }),
    ...(endpoint.secretQuery && { logSerializers: withoutQuery }),
    handler: async (request, reply) => {
      const principal = request.principal as Principal;
      const scope = principal ? scopeOf(principal) : 'all';
      const actor: Actor = {
        origin: { actor: actorOf(request), source: request.ip, via: 'api' },
        scope,
        // The write's events are audited (audit/domain-audit.ts): no generic record for this request.
        onPublished: () => {
          request.audited = true;
        },
      };
      const ctx: EndpointContext<unknown, unknown, unknown> = {
        params: request.params,
        query: request.query,
        body: request.body,
        principal,
        scope,
        repos,
        services: deps.services,
        actor,
        operations: deps.operations,
        live: deps.live,
        // Decorated by the security plugin, which every server has (compose.ts).
        security: app.security,
        controllers: deps.controllers,
        now: clock.now(),
        request,
        reply,
      };
      const result = await endpoint.handle(ctx);
      if (endpoint.raw) return reply;
      if (endpoint.status === 204) return reply.code(204).send();
      if (endpoint.status === 303) return reply.redirect(seeOtherSchema.parse(result).location, 303);
      return reply.code(endpoint.status).send(result);
    },
  });
}

/** onRequest hook of a sign-in route: one attempt against the per-address login limit. */
async function countLoginAttempt(request: FastifyRequest, _reply: FastifyReply) {
  request.server.security.loginLimit.attempt('password', request.ip);
}

/** A browser navigation's answer: no body, a Location. */
function seeOtherResponse(where: string): z.ZodType {
  return z.null().meta({
    description: `See Other: the browser goes on to ${where}`,
    headers: { Location: { type: 'string', description: where } },
  });
}

export { errorBody };
