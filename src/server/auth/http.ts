// Helpers shared by the security routes: input validation with zod (in the API's one error shape,
// naming fields, never echoing input, which may hold a password or code), who the actor is, and the
// audit call every action goes through. Permission checks are the one guard's (http/guard.ts).

import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../audit/store.ts';
import { ApiError } from '../http/errors.ts';
import type { Principal } from '../http/principal.ts';
import { type SecurityContext, storageView } from './context.ts';
import type { ResolvedSession } from './sessions.ts';
import type { SessionStage } from './store.ts';

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
      field: issue.path.join('.') || 'body',
      reason: issue.message,
    }));
    const first = issues[0]!;
    throw new ApiError('INVALID_INPUT', `${first.field}: ${first.reason}`, { field: first.field, issues });
  }
  return result.data;
}

/** The cookie session at one of these stages, or a refusal (401 without one, 403 at another stage). */
export function sessionAt(request: FastifyRequest, stages: SessionStage[]): ResolvedSession {
  const session = request.authSession;
  if (!session) throw new ApiError('UNAUTHENTICATED', 'log in first');
  if (!stages.includes(session.stage))
    throw new ApiError(
      'FORBIDDEN',
      session.stage === 'mfa' ? 'complete the second factor first' : 'not at this step',
    );
  return session;
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

export const idParam = z.object({ id: z.string().min(1).max(128) });
