// What an API endpoint is: zod schemas for its input and output (validation and the OpenAPI
// document both come from them) and a thin handler: reads go to the repositories, writes to the
// service layer (src/server/services/), which validates, raises the domain events and so audits,
// revokes and pushes snapshots. The route table (routes.ts) says which method, path and permission
// each endpoint has. Sign-in is endpoints too, so an endpoint can also answer a browser navigation
// with a redirect (`status: 303`, its handler returns `seeOther(location)`), count against the
// per-address login limit before anything else (`loginLimit`), be reachable by a half-logged-in
// session (`halfSession`) and keep a credential in its query out of the log (`secretQuery`).

import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SecurityServices } from '../auth/plugin.ts';
import type { ControllerLink } from '../controllers/link.ts';
import type { Principal } from '../http/principal.ts';
import type { LiveDeps } from '../live/endpoints.ts';
import type { OperationsService } from '../operations/service.ts';
import type { Actor, Services } from '../services/index.ts';
import type { Repositories } from '../storage/index.ts';
import type { ScopeFilter } from '../storage/scope.ts';

export interface EndpointContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** undefined only on public endpoints (no permission in the route table) */
  principal: Principal;
  scope: ScopeFilter;
  /** for reads */
  repos: Repositories;
  /** for every write */
  services: Services;
  /** the caller as the service layer sees them (audit origin and scope) */
  actor: Actor;
  /** door and area actions (server/operations); undefined without a controller link */
  operations: OperationsService | undefined;
  /** live state and the push stream (server/live); undefined without a controller link */
  live: LiveDeps | undefined;
  /** the security services (sessions, audit, alarms) the security plugin set up */
  security: SecurityServices;
  /** the controller link (enrollment, status, restart); undefined without one */
  controllers: ControllerLink | undefined;
  now: number;
  request: FastifyRequest;
  reply: FastifyReply;
}

type AnyZod = z.ZodType;

export type SuccessStatus = 200 | 201 | 202 | 204 | 303;

/** The answer of a `status: 303` endpoint: 303 See Other, to this Location. */
export const seeOtherSchema = z.object({ location: z.string() });
export const seeOther = (location: string): z.input<typeof seeOtherSchema> => ({ location });

export interface Endpoint {
  /** unique name of the operation in the OpenAPI document: `listDoors`, `createPerson` */
  operationId?: string;
  summary: string;
  description?: string;
  params?: AnyZod;
  query?: AnyZod;
  body?: AnyZod;
  /** the success status and its body schema (none for 204; seeOtherSchema for 303) */
  status: SuccessStatus;
  response?: AnyZod;
  /** a 303 endpoint: where its Location leads, for the document (`the console (/)`) */
  redirect?: string;
  /** a body that is not JSON (CSV import) */
  consumes?: string[];
  /** the handler writes the answer itself (a stream): nothing is sent after it returns */
  raw?: boolean;
  /** request headers it reads (Idempotency-Key), validated and documented like the rest */
  headers?: AnyZod;
  /** a smaller body limit than the server's (bytes): integration writes are small */
  bodyLimit?: number;
  /** error statuses beyond the usual ones (422, 410) */
  errors?: number[];
  /**
   * Answers the caller's browser session, at the stages its handler accepts (MFA enrolment, backup
   * codes), not a permission: its row has a null permission and the document says it needs a session.
   */
  session?: boolean;
  /**
   * A sign-in attempt (setup, login, a second factor): counted against the per-address login limit
   * (auth/login-limit.ts) before the session, the body or anything else is looked at.
   */
  loginLimit?: boolean;
  /**
   * A session that has not passed every factor (stage `mfa` or `enrol`) may reach it: login and the
   * second factors, MFA enrolment, who am I, logout, single sign-on. The security plugin refuses a
   * half session on every other /api route (auth/plugin.ts).
   */
  halfSession?: boolean;
  /** its query holds a credential (the single sign-on callback's code): the request log shows the path only */
  secretQuery?: boolean;
  handle(ctx: EndpointContext<unknown, unknown, unknown>): Promise<unknown>;
}

export function endpoint<
  P extends AnyZod = z.ZodObject<Record<string, never>>,
  Q extends AnyZod = z.ZodObject<Record<string, never>>,
  B extends AnyZod = z.ZodUndefined,
  R extends AnyZod = z.ZodNull,
>(def: {
  operationId?: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  status?: SuccessStatus;
  response?: R;
  redirect?: string;
  consumes?: string[];
  raw?: boolean;
  headers?: AnyZod;
  bodyLimit?: number;
  errors?: number[];
  session?: boolean;
  loginLimit?: boolean;
  halfSession?: boolean;
  secretQuery?: boolean;
  handle(ctx: EndpointContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R> | undefined>;
}): Endpoint {
  if ((def.status === 303) !== (def.redirect !== undefined && (def.response as unknown) === seeOtherSchema))
    throw new Error(`${def.summary}: a 303 endpoint answers seeOtherSchema and says where it redirects`);
  return { ...def, status: def.status ?? 200 } as Endpoint;
}
