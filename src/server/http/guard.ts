// Route guards: each endpoint names the one permission it needs; `requirePermission` answers 401
// when nobody is authenticated and 403 when the role (or API token) lacks it. It runs as an
// onRequest hook, before the body is parsed, so unauthenticated callers learn nothing from
// validation errors. `scopeOf` turns the principal into the storage scope filter that hides people
// and credentials outside an operator's departments/sites.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ScopeFilter } from '../storage/scope.ts';
import { ApiError } from './errors.ts';
import { hasPermission, type Permission, type Principal } from './principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** who is calling; set by the authentication hook (the security plugin, or buildApp's authenticate) */
    principal?: Principal;
  }
}

export function requirePermission(permission: Permission) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    principalWith(request, permission);
  };
}

/** onRequest hook of the routes that answer a browser session (MFA enrolment): 401 without one. */
export async function requireSession(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (!request.authSession) throw new ApiError('UNAUTHENTICATED', 'log in first');
}

/** Whoever is calling, whatever they may do (throws 401): for routes that answer every caller. */
export function signedIn(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw new ApiError('UNAUTHENTICATED', 'log in or send an API token');
  return principal;
}

/** The principal, checked for the permission (throws 401 / 403). */
export function principalWith(request: FastifyRequest, permission: Permission): Principal {
  const principal = signedIn(request);
  if (!hasPermission(principal, permission))
    throw new ApiError('FORBIDDEN', `this needs the permission ${permission}`);
  return principal;
}

export function scopeOf(principal: Principal): ScopeFilter {
  return principal.scope;
}
