// What an operator's credentials may do now, not when they were issued. An API token acts with the
// permissions it was given, but never beyond its creator's current role, scope and state: it is
// checked on every use (`tokenPrincipal`), and whatever lowers an operator's authority (demotion,
// a new scope, disabling, a password reset) ends their sessions and revokes their tokens at once
// (`endOperatorAuthority`), each revocation in the audit trail.

import type { FastifyRequest } from 'fastify';
import type { Principal, Scope } from '../http/principal.ts';
import type { SecurityContext } from './context.ts';
import { audit } from './http.ts';
import { type ApiTokenRecord, deleteSessionsOf, type Operator, revokeApiTokensOf } from './store.ts';

export type AuthorityChange = 'role_changed' | 'scope_changed' | 'disabled' | 'password_reset';

/** The narrower of two scopes; undefined when they have nothing in common. */
export function narrowScope(a: Scope | 'all', b: Scope | 'all'): Scope | 'all' | undefined {
  if (a === 'all') return b;
  if (b === 'all') return a;
  const both = (x: readonly string[], y: readonly string[]) =>
    x.length === 0 ? [...y] : y.length === 0 ? [...x] : x.filter((v) => y.includes(v));
  const departments = both(a.departments, b.departments);
  const sites = both(a.sites, b.sites);
  // An empty list means "no restriction": an empty intersection of two restrictions is nothing at all.
  if (a.departments.length + b.departments.length > 0 && departments.length === 0) return undefined;
  if (a.sites.length + b.sites.length > 0 && sites.length === 0) return undefined;
  return { departments, sites };
}

/**
 * The principal a token stands for, checked against its creator as they are now: a disabled creator,
 * or one whose role is no longer the one the token was issued under, makes it worthless; the scope is
 * the narrower of the token's and the creator's current one.
 */
export function tokenPrincipal(token: ApiTokenRecord, creator: Operator): Principal | undefined {
  if (creator.disabled || creator.role !== token.role) return undefined;
  const scope = narrowScope(token.scope, creator.scope);
  if (scope === undefined) return undefined;
  return { kind: 'token', id: token.id, role: creator.role, scope, tokenPermissions: token.permissions };
}

/** Ends every session and revokes every API token of an operator whose authority was lowered. */
export async function endOperatorAuthority(
  ctx: SecurityContext,
  request: FastifyRequest,
  operator: Pick<Operator, 'id' | 'username'>,
  reason: AuthorityChange,
  alreadyRevoked?: string[],
): Promise<void> {
  await deleteSessionsOf(ctx.db, operator.id);
  const revoked = alreadyRevoked ?? (await revokeApiTokensOf(ctx.db, operator.id, ctx.clock.now()));
  for (const id of revoked)
    await audit(ctx, request, 'token.revoke', `token:${id}`, {
      reason,
      operatorId: operator.id,
      operator: operator.username,
    });
}
