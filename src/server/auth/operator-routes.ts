// /api/operators/*: admins create operators with a role and scope, change or disable them, and recover
// a locked-out operator or admin (lift the lock, reset MFA, set a new password). There is no delete:
// a disabled operator keeps their name in the audit trail.

import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/errors.ts';
import { ROLES } from '../http/principal.ts';
import { displayNameSchema, publicOperator, usernameSchema } from './auth-routes.ts';
import { type AuthorityChange, endOperatorAuthority } from './authority.ts';
import { audit, idParam, parse, requirePrincipal } from './http.ts';
import { getOidcLink } from './oidc-store.ts';
import { checkPasswordPolicy, hashPassword, MAX_PASSWORD_LENGTH } from './passwords.ts';
import type { SecurityServices } from './plugin.ts';
import {
  countEnabledAdmins,
  createOperator,
  getOperator,
  listOperators,
  lockedUntil,
  mfaStatus,
  type Operator,
  resetOperatorSecurity,
  updateOperator,
} from './store.ts';

const scopeSchema = z
  .object({
    departments: z.array(z.string().min(1).max(64)).max(100).default([]),
    sites: z.array(z.string().min(1).max(64)).max(100).default([]),
  })
  .strict();
const password = z
  .string()
  .min(1)
  .max(MAX_PASSWORD_LENGTH * 4);

const createBody = z
  .object({
    username: usernameSchema,
    email: z.email().max(254).optional(),
    displayName: displayNameSchema.optional(),
    role: z.enum(ROLES),
    scope: scopeSchema.optional(),
    password,
  })
  .strict();
const patchBody = z
  .object({
    displayName: displayNameSchema.optional(),
    email: z.email().max(254).nullable().optional(),
    role: z.enum(ROLES).optional(),
    scope: scopeSchema.optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
const recoverBody = z
  .object({
    unlock: z.boolean().default(true),
    resetMfa: z.boolean().default(true),
    newPassword: password.optional(),
  })
  .strict();

/** Which lowering of authority a change is, if any: each ends the operator's sessions and tokens. */
function authorityChange(
  before: Operator,
  patch: { role?: string; scope?: unknown; disabled?: boolean },
): AuthorityChange | undefined {
  if (patch.disabled === true && !before.disabled) return 'disabled';
  if (patch.role !== undefined && patch.role !== before.role) return 'role_changed';
  if (patch.scope !== undefined && JSON.stringify(patch.scope) !== JSON.stringify(before.scope))
    return 'scope_changed';
  return undefined;
}

function checkScope(role: string, scope: { departments: string[]; sites: string[] } | undefined) {
  if (role === 'operator' && (!scope || scope.departments.length + scope.sites.length === 0))
    throw new ApiError('INVALID_INPUT', 'an operator needs a scope: at least one department or site');
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const operatorRoutes: FastifyPluginAsync<{ services: SecurityServices }> = async (
  app,
  { services },
) => {
  const { ctx } = services;
  const { db } = ctx;

  async function describe(operator: Operator) {
    const link = await getOidcLink(db, operator.id);
    return {
      ...publicOperator(operator),
      mfa: await mfaStatus(db, operator.id),
      lockedUntil: isoOrNull((await lockedUntil(db, operator.username, ctx.clock.now())) ?? null),
      /** the single sign-on identity linked by an admin (PUT /api/operators/:id/oidc) */
      oidc: link ? { issuer: link.issuer, subject: link.subject } : null,
    };
  }

  async function mustGet(id: string): Promise<Operator> {
    const operator = await getOperator(db, id);
    if (!operator) throw new ApiError('OPERATOR_NOT_FOUND', 'no such operator');
    return operator;
  }

  app.get('/api/operators', async (request) => {
    requirePrincipal(request, 'operators:read');
    // The API's one list shape; every operator fits on one page.
    return { items: await Promise.all((await listOperators(db)).map(describe)), next: null };
  });

  app.get('/api/operators/:id', async (request) => {
    requirePrincipal(request, 'operators:read');
    return describe(await mustGet(parse(idParam, request.params).id));
  });

  app.post('/api/operators', async (request, reply) => {
    requirePrincipal(request, 'operators:write');
    const body = parse(createBody, request.body);
    checkScope(body.role, body.scope);
    const problem = checkPasswordPolicy(body.password, {
      username: body.username,
      email: body.email ?? null,
    });
    if (problem) throw new ApiError(problem, 'password does not meet the policy');
    const operator = await createOperator(
      db,
      {
        username: body.username,
        email: body.email ?? null,
        ...(body.displayName && { displayName: body.displayName }),
        role: body.role,
        ...(body.role === 'operator' && body.scope && { scope: body.scope }),
        passwordHash: await hashPassword(body.password),
      },
      ctx.clock.now(),
    );
    await audit(ctx, request, 'operator.create', `operator:${operator.username}`, {
      operatorId: operator.id,
      role: operator.role,
      scope: operator.scope,
    });
    return reply.code(201).send(await describe(operator));
  });

  app.patch('/api/operators/:id', async (request) => {
    const principal = requirePrincipal(request, 'operators:write');
    const { id } = parse(idParam, request.params);
    const body = parse(patchBody, request.body);
    const before = await mustGet(id);
    const role = body.role ?? before.role;
    checkScope(
      role,
      body.scope ??
        (before.scope === 'all'
          ? undefined
          : { departments: [...before.scope.departments], sites: [...before.scope.sites] }),
    );
    if (id === principal.id && (body.disabled === true || (body.role && body.role !== 'admin')))
      throw new ApiError('FORBIDDEN', 'you cannot disable or demote yourself');
    const losesAdmin =
      before.role === 'admin' &&
      !before.disabled &&
      (body.disabled === true || (body.role !== undefined && body.role !== 'admin'));
    if (losesAdmin && (await countEnabledAdmins(db)) <= 1)
      throw new ApiError('LAST_ADMIN', 'the last enabled admin stays');
    const operator = await updateOperator(db, id, body, ctx.clock.now());
    await audit(ctx, request, 'operator.update', `operator:${operator.username}`, {
      operatorId: id,
      changes: body,
    });
    const lowered = authorityChange(before, body);
    if (lowered) await endOperatorAuthority(ctx, request, operator, lowered);
    return describe(operator);
  });

  app.post('/api/operators/:id/recover', async (request) => {
    const principal = requirePrincipal(request, 'operators:write');
    const { id } = parse(idParam, request.params);
    const body = parse(recoverBody, request.body);
    if (id === principal.id) throw new ApiError('FORBIDDEN', 'another admin must recover your account');
    const operator = await mustGet(id);
    let passwordHash: string | undefined;
    if (body.newPassword !== undefined) {
      const problem = checkPasswordPolicy(body.newPassword, operator);
      if (problem) throw new ApiError(problem, 'password does not meet the policy');
      passwordHash = await hashPassword(body.newPassword);
    }
    const { revokedTokens } = await resetOperatorSecurity(
      db,
      operator,
      { unlock: body.unlock, resetMfa: body.resetMfa, ...(passwordHash && { passwordHash }) },
      ctx.clock.now(),
    );
    await audit(ctx, request, 'operator.recover', `operator:${operator.username}`, {
      operatorId: id,
      unlock: body.unlock,
      resetMfa: body.resetMfa,
      passwordReset: passwordHash !== undefined,
    });
    if (passwordHash !== undefined)
      await endOperatorAuthority(ctx, request, operator, 'password_reset', revokedTokens);
    return describe(operator);
  });
};
