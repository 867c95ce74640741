// /api/operators/*: admins create operators with a role and scope, change or disable them, and recover
// a locked-out operator or admin (lift the lock, reset MFA, set a new password). There is no delete:
// a disabled operator keeps their name in the audit trail. Endpoints of the one route table
// (src/server/api/routes.ts), which names their permissions (operators:read, operators:write).

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { isoOut } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { ROLES } from '../http/principal.ts';
import { type AuthorityChange, endOperatorAuthority } from './authority.ts';
import type { SecurityContext } from './context.ts';
import { audit, idParam } from './http.ts';
import { publicOperator } from './login.ts';
import { getOidcLink } from './oidc-store.ts';
import { checkPasswordPolicy, hashPassword, MAX_PASSWORD_LENGTH } from './passwords.ts';
import { displayNameSchema, operatorSchema, usernameSchema } from './schemas.ts';
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
// An empty PATCH changes nothing; a recovery without a body lifts the lock and resets MFA.
const patchBody = z
  .object({
    displayName: displayNameSchema.optional(),
    email: z.email().max(254).nullable().optional(),
    role: z.enum(ROLES).optional(),
    scope: scopeSchema.optional(),
    disabled: z.boolean().optional(),
  })
  .strict()
  .optional();
const recoverBody = z
  .object({
    unlock: z.boolean().default(true),
    resetMfa: z.boolean().default(true),
    newPassword: password.optional(),
  })
  .strict()
  .optional();

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

const operatorDetail = operatorSchema
  .extend({
    mfa: z
      .object({ totp: z.boolean(), webauthn: z.number().int(), backupCodes: z.number().int() })
      .meta({ description: 'enrolled factors: TOTP, passkeys, unused backup codes' }),
    lockedUntil: isoOut.nullable().meta({ description: 'when a lockout ends' }),
    oidc: z
      .object({ issuer: z.string(), subject: z.string() })
      .nullable()
      .meta({ description: 'the single sign-on identity an admin linked (PUT /api/operators/{id}/oidc)' }),
  })
  .meta({ id: 'OperatorDetail' });

async function describe(ctx: SecurityContext, operator: Operator) {
  const link = await getOidcLink(ctx.db, operator.id);
  return {
    ...publicOperator(operator),
    mfa: await mfaStatus(ctx.db, operator.id),
    lockedUntil: isoOrNull((await lockedUntil(ctx.db, operator.username, ctx.clock.now())) ?? null),
    oidc: link ? { issuer: link.issuer, subject: link.subject } : null,
  };
}

async function mustGet(ctx: SecurityContext, id: string): Promise<Operator> {
  const operator = await getOperator(ctx.db, id);
  if (!operator) throw new ApiError('OPERATOR_NOT_FOUND', 'no such operator');
  return operator;
}

const list = endpoint({
  operationId: 'listOperators',
  summary: 'List operators',
  response: z.object({
    items: z.array(operatorDetail),
    next: z.string().nullable().meta({ description: 'always null: every operator fits on one page' }),
  }),
  handle: async ({ security: { ctx } }) => ({
    // The API's one list shape; every operator fits on one page.
    items: await Promise.all((await listOperators(ctx.db)).map((o) => describe(ctx, o))),
    next: null,
  }),
});

const get = endpoint({
  operationId: 'getOperator',
  summary: 'Get an operator',
  params: idParam,
  response: operatorDetail,
  handle: async ({ params, security: { ctx } }) => describe(ctx, await mustGet(ctx, params.id)),
});

const create = endpoint({
  operationId: 'createOperator',
  summary: 'Create an operator with a role and scope',
  body: createBody,
  status: 201,
  response: operatorDetail,
  handle: async ({ body, security: { ctx }, request }) => {
    checkScope(body.role, body.scope);
    const problem = checkPasswordPolicy(body.password, {
      username: body.username,
      email: body.email ?? null,
    });
    if (problem) throw new ApiError(problem, 'password does not meet the policy');
    const operator = await createOperator(
      ctx.db,
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
    return describe(ctx, operator);
  },
});

const update = endpoint({
  operationId: 'updateOperator',
  summary: 'Change an operator’s name, email, role, scope or disable it',
  params: idParam,
  body: patchBody,
  response: operatorDetail,
  handle: async ({ params: { id }, body: given, principal, security: { ctx }, request }) => {
    const body = given ?? {};
    const before = await mustGet(ctx, id);
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
    if (losesAdmin && (await countEnabledAdmins(ctx.db)) <= 1)
      throw new ApiError('LAST_ADMIN', 'the last enabled admin stays');
    const operator = await updateOperator(ctx.db, id, body, ctx.clock.now());
    await audit(ctx, request, 'operator.update', `operator:${operator.username}`, {
      operatorId: id,
      changes: body,
    });
    const lowered = authorityChange(before, body);
    if (lowered) await endOperatorAuthority(ctx, request, operator, lowered);
    return describe(ctx, operator);
  },
});

const recover = endpoint({
  operationId: 'recoverOperator',
  summary: 'Lift a lockout, reset second factors, set a new password',
  params: idParam,
  body: recoverBody,
  response: operatorDetail,
  handle: async ({ params: { id }, body: given, principal, security: { ctx }, request }) => {
    const body = given ?? { unlock: true, resetMfa: true };
    if (id === principal.id) throw new ApiError('FORBIDDEN', 'another admin must recover your account');
    const operator = await mustGet(ctx, id);
    let passwordHash: string | undefined;
    if (body.newPassword !== undefined) {
      const problem = checkPasswordPolicy(body.newPassword, operator);
      if (problem) throw new ApiError(problem, 'password does not meet the policy');
      passwordHash = await hashPassword(body.newPassword);
    }
    const { revokedTokens } = await resetOperatorSecurity(
      ctx.db,
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
    return describe(ctx, operator);
  },
});

export const operatorEndpoints = { list, get, create, update, recover };
