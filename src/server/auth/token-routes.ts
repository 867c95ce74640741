// /api/auth/tokens: API tokens for scripts and integrations. An admin (settings:write) lists them,
// creates one — shown once, stored only as a hash, never with more permissions than the creator has —
// and revokes one; revoked tokens stay listed, for the record. Endpoints of the one route table
// (src/server/api/routes.ts), which names their permission.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { isoOut } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { hasPermission, PERMISSIONS, ROLES } from '../http/principal.ts';
import { audit, idParam } from './http.ts';
import { API_TOKEN_PREFIX, operatorScope } from './schemas.ts';
import { newSecretToken, sha256Hex } from './secrets.ts';
import { type ApiTokenRecord, createApiToken, listApiTokens, revokeApiToken } from './store.ts';

const tokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  permissions: z.array(z.enum(PERMISSIONS)).min(1),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  scope: z
    .strictObject({
      departments: z.array(z.string().min(1).max(64)).max(100),
      sites: z.array(z.string().min(1).max(64)).max(100),
    })
    .optional()
    .meta({ description: 'narrower than the creator’s; default: the creator’s scope' }),
});

const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    createdBy: z.string(),
    role: z.enum(ROLES).meta({ description: 'the creator’s role when it was created' }),
    permissions: z.array(z.enum(PERMISSIONS)),
    scope: z.union([operatorScope, z.literal('all')]),
    createdAt: isoOut,
    expiresAt: isoOut.nullable(),
    revokedAt: isoOut.nullable().meta({ description: 'revoked tokens stay listed, for the record' }),
    lastUsedAt: isoOut.nullable(),
  })
  .meta({ id: 'ApiToken' });

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
/** An API token as the API shows it: times in ISO 8601. */
const tokenOut = (t: ApiTokenRecord) => ({
  ...t,
  createdAt: new Date(t.createdAt).toISOString(),
  expiresAt: isoOrNull(t.expiresAt),
  revokedAt: isoOrNull(t.revokedAt),
  lastUsedAt: isoOrNull(t.lastUsedAt),
});

const list = endpoint({
  operationId: 'listApiTokens',
  summary: 'List API tokens',
  response: z.object({
    items: z.array(tokenSchema),
    next: z.string().nullable().meta({ description: 'always null: every token fits on one page' }),
  }),
  handle: async ({ security }) => ({
    items: (await listApiTokens(security.ctx.db)).map(tokenOut),
    next: null,
  }),
});

const create = endpoint({
  operationId: 'createApiToken',
  summary: 'Create an API token (shown once)',
  body: tokenBody,
  status: 201,
  response: tokenSchema.extend({ token: z.string(), note: z.string() }).meta({ id: 'NewApiToken' }),
  handle: async ({ body, principal, security: { ctx }, request }) => {
    if (principal.kind !== 'operator') throw new ApiError('FORBIDDEN', 'API tokens cannot create API tokens');
    const notAllowed = body.permissions.filter((p) => !hasPermission(principal, p));
    if (notAllowed.length > 0) throw new ApiError('FORBIDDEN', `cannot grant ${notAllowed.join(', ')}`);
    const now = ctx.clock.now();
    const token = newSecretToken(API_TOKEN_PREFIX);
    const record = await createApiToken(ctx.db, {
      name: body.name,
      tokenHash: sha256Hex(token),
      createdBy: principal.id,
      role: principal.role,
      permissions: [...new Set(body.permissions)],
      scope: body.scope ?? principal.scope,
      createdAt: now,
      expiresAt: body.expiresInDays ? now + body.expiresInDays * 86_400_000 : null,
    });
    await audit(ctx, request, 'token.create', `token:${record.id}`, {
      name: record.name,
      permissions: record.permissions,
    });
    return { token, ...tokenOut(record), note: 'shown once: store it now' };
  },
});

const revoke = endpoint({
  operationId: 'revokeApiToken',
  summary: 'Revoke an API token',
  params: idParam,
  response: z.object({ revoked: z.boolean() }),
  handle: async ({ params: { id }, security: { ctx }, request }) => {
    if (!(await revokeApiToken(ctx.db, id, ctx.clock.now())))
      throw new ApiError('TOKEN_NOT_FOUND', 'no such active token');
    await audit(ctx, request, 'token.revoke', `token:${id}`);
    return { revoked: true };
  },
});

export const tokenEndpoints = { list, create, revoke };
