// Helpers shared by the security routes: input validation with zod, permission checks, the audit
// call every action goes through, and the error handler that turns failures into the one error shape
// without echoing input (which may hold a password or code).

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../audit/store.ts';
import { hasPermission, type Permission, type Principal } from '../http/principal.ts';
import { type SecurityContext, storageView } from './context.ts';
import { AuthError, errorBody } from './errors.ts';
import type { ResolvedSession } from './sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** the browser session behind this request, at whatever stage (set by the security plugin) */
    authSession?: ResolvedSession;
    /** true once the handler has written its own audit record */
    audited?: boolean;
  }
}

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    // Paths and messages only: zod issues can carry the received value.
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.message,
    }));
    throw new AuthError('INVALID_INPUT', 'request is not valid', { issues });
  }
  return result.data;
}

export function requirePrincipal(request: FastifyRequest, permission?: Permission): Principal {
  const principal = request.principal;
  if (!principal) throw new AuthError('UNAUTHENTICATED', 'log in first');
  if (permission && !hasPermission(principal, permission))
    throw new AuthError('FORBIDDEN', `requires permission ${permission}`);
  return principal;
}

export function actorOf(request: FastifyRequest): string {
  const p = request.principal;
  if (p) return p.kind === 'token' ? `token:${p.id}` : p.id;
  if (request.authSession) return request.authSession.operator.id;
  return 'anonymous';
}

/** Appends one audit record for this request (actor, source address, time) and marks it audited. */
export async function audit(
  ctx: SecurityContext,
  request: FastifyRequest,
  action: string,
  target: string,
  detail: Record<string, unknown> = {},
  actor: string = actorOf(request),
): Promise<void> {
  request.audited = true;
  await recordAudit(storageView(ctx.db), ctx.anchorKeys.audit, {
    at: ctx.clock.now(),
    actor,
    source: request.ip,
    action,
    target,
    detail,
  });
}

export function installErrorHandler(app: FastifyInstance, ctx: SecurityContext): void {
  app.setErrorHandler((error: FastifyError | AuthError, request, reply: FastifyReply) => {
    if (error instanceof AuthError) {
      const retryAfter = error.extra?.retryAfterSeconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      reply.code(error.statusCode).send(errorBody(error.code, error.message, error.extra));
      return;
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      reply.code(status).send(errorBody('INVALID_INPUT', 'request is not valid'));
      return;
    }
    ctx.logger.error(
      { err: { message: error.message, name: error.name }, url: request.routeOptions.url },
      'request failed',
    );
    reply.code(500).send(errorBody('INTERNAL', 'internal error'));
  });
}

export const idParam = z.object({ id: z.string().min(1).max(128) });
