// The end of every successful sign-in, whichever way it went (password and second factor, an
// enrolment, or OpenID Connect): the failure count is cleared, a new full session id is issued (no
// fixation), the success is audited, and a first login from a new address raises an alarm.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { audit } from './http.ts';
import type { SecurityServices } from './plugin.ts';
import { issueSession, type ResolvedSession } from './sessions.ts';
import { clearLoginFailures, type FirstFactor, noteLoginAddress, type Operator } from './store.ts';

export function publicOperator(operator: Operator) {
  const { id, username, email, displayName, role, scope, disabled } = operator;
  return { id, username, email, displayName, role, scope, disabled };
}

export async function completeLogin(
  services: SecurityServices,
  request: FastifyRequest,
  reply: FastifyReply,
  login: {
    operator: Operator;
    /** as audited: `password`, `password+totp`, `oidc`, `oidc+webauthn`, … */
    method: string;
    extra?: Record<string, unknown>;
    /** the half session this completes: it keeps the login's absolute deadline */
    stepUp?: ResolvedSession | undefined;
    /** for a fresh login (no step up): how it began */
    firstFactor?: FirstFactor;
  },
) {
  const { ctx, alarms } = services;
  const { operator } = login;
  await clearLoginFailures(ctx.db, operator.username);
  const csrfToken = await issueSession(
    ctx,
    request,
    reply,
    operator,
    'full',
    login.stepUp,
    login.stepUp ? undefined : login.firstFactor,
  );
  await audit(
    ctx,
    request,
    'login.success',
    `operator:${operator.username}`,
    { method: login.method, ...login.extra },
    operator.id,
  );
  const seen = await noteLoginAddress(ctx.db, operator.id, request.ip, ctx.clock.now());
  if (seen.isNew && !seen.firstLogin)
    await alarms.newLoginAddress(operator.id, operator.username, request.ip);
  return { stage: 'full' as const, csrfToken, operator: publicOperator(operator) };
}
