// Browser sessions: an opaque 256-bit id in a __Host- cookie (HttpOnly, Secure, SameSite=Strict,
// Path=/), stored only as its SHA-256. A fresh id at every login and every step up (password → second
// factor → full), so an id planted before login is worthless (no fixation). Idle and absolute timeouts.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecurityContext } from './context.ts';
import { csrfTokenFor, newSecretToken, sha256Hex } from './secrets.ts';
import {
  createSession,
  deleteSession,
  type FirstFactor,
  getOperator,
  getSession,
  type Operator,
  type SessionStage,
  touchSession,
} from './store.ts';

export interface ResolvedSession {
  raw: string;
  idHash: string;
  stage: SessionStage;
  operator: Operator;
  csrfToken: string;
  createdAt: number;
  firstFactor: FirstFactor;
}

export function sessionCookieName(ctx: SecurityContext): string {
  return ctx.settings.session.secureCookie ? '__Host-monban_session' : 'monban_session';
}

/** Touch the session at most this often, so reads do not each cost a write. */
const TOUCH_EVERY_MS = 60_000;

/** The valid session this request's cookie names, if any; expired ones are removed on sight. */
export async function resolveSession(
  ctx: SecurityContext,
  request: FastifyRequest,
): Promise<ResolvedSession | undefined> {
  const raw = request.cookies?.[sessionCookieName(ctx)];
  if (!raw || raw.length > 200) return undefined;
  const idHash = sha256Hex(raw);
  const stored = await getSession(ctx.db, idHash);
  if (!stored) return undefined;
  const now = ctx.clock.now();
  if (stored.expiresAt <= now || stored.lastSeenAt + ctx.settings.session.idleMs <= now) {
    await deleteSession(ctx.db, idHash);
    return undefined;
  }
  const operator = await getOperator(ctx.db, stored.operatorId);
  if (!operator || operator.disabled) {
    await deleteSession(ctx.db, idHash);
    return undefined;
  }
  if (now - stored.lastSeenAt >= TOUCH_EVERY_MS) await touchSession(ctx.db, idHash, now);
  return {
    raw,
    idHash,
    stage: stored.stage,
    operator,
    csrfToken: csrfTokenFor(raw),
    createdAt: stored.createdAt,
    firstFactor: stored.firstFactor,
  };
}

/**
 * Issues a new session id for this operator at this stage, replacing the request's current session (if
 * any) in the same transaction, and sets the cookie. Returns the CSRF token bound to the new id. A step
 * up keeps the first factor of the session it replaces; otherwise it is `firstFactor` (a password).
 */
export async function issueSession(
  ctx: SecurityContext,
  request: FastifyRequest,
  reply: FastifyReply,
  operator: Operator,
  stage: SessionStage,
  replaces?: ResolvedSession,
  firstFactor?: FirstFactor,
): Promise<string> {
  const now = ctx.clock.now();
  const raw = newSecretToken('');
  // A step up keeps the login's absolute deadline; a new login starts a new one.
  const started = replaces && replaces.operator.id === operator.id ? replaces.createdAt : now;
  const presented = request.cookies?.[sessionCookieName(ctx)];
  await createSession(ctx.db, {
    idHash: sha256Hex(raw),
    operatorId: operator.id,
    stage,
    now: started,
    expiresAt: started + ctx.settings.session.absoluteMs,
    source: request.ip,
    firstFactor: firstFactor ?? (replaces?.operator.id === operator.id ? replaces.firstFactor : 'password'),
    ...(presented && { replaces: sha256Hex(presented) }),
  });
  if (started !== now) await touchSession(ctx.db, sha256Hex(raw), now);
  reply.setCookie(sessionCookieName(ctx), raw, {
    path: '/',
    httpOnly: true,
    secure: ctx.settings.session.secureCookie,
    sameSite: 'strict',
  });
  return csrfTokenFor(raw);
}

export async function endSession(
  ctx: SecurityContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const presented = request.cookies?.[sessionCookieName(ctx)];
  if (presented) await deleteSession(ctx.db, sha256Hex(presented));
  reply.clearCookie(sessionCookieName(ctx), {
    path: '/',
    httpOnly: true,
    secure: ctx.settings.session.secureCookie,
    sameSite: 'strict',
  });
}
