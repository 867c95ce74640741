// The management server's HTTP app: Fastify with zod schemas (fastify-type-provider-zod) for
// validation, serialization and the OpenAPI 3.1 document (served at /api/docs/json, browsable at
// /api/docs), one error handler with stable codes, and every route of the route table guarded by
// its permission. Writes go to the service layer with the caller as its actor. Authentication is
// plugged in, not built in: `plugins` registers the security plugin (which sets
// request.principal); `authenticate` can name a caller the plugin did not (tests). The server is
// put together in one place, src/server/compose.ts.

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EndpointContext } from '../api/endpoint.ts';
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
import { documentRoute } from './route-docs.ts';

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

  // Routes outside the endpoint table (the security plugin's /api/auth) get their documentation here.
  app.addHook('onRoute', documentRoute);
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
      .concat(endpoint.errors ?? []),
  );
  if (endpoint.response) response[String(endpoint.status)] = endpoint.response;
  else if (endpoint.status === 204) response['204'] = z.null().describe('No content');
  else response[String(endpoint.status)] = z.string().describe('A CSV file (text/csv)');
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
    ...(route.permission !== null && { onRequest: requirePermission(route.permission) }),
    // A session route refuses a caller without one before reading the body, as the guard does.
    ...(route.permission === null && endpoint.session && { onRequest: requireSession }),
    ...(endpoint.bodyLimit !== undefined && { bodyLimit: endpoint.bodyLimit }),
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
      return reply.code(endpoint.status).send(result);
    },
  });
}

export { errorBody };
