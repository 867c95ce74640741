// /api/operators/:id/oidc: an admin links an operator to their single sign-on identity at the
// configured OpenID Connect provider (by the value of its identifying claim, MONBAN_OIDC_CLAIM) or
// removes the link. One identity per operator, each to one operator; both are audited. Endpoints of
// the one route table (src/server/api/routes.ts); the sign-in itself is oidc-routes.ts.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { ApiError } from '../http/errors.ts';
import { audit, idParam } from './http.ts';
import { deleteOidcLink, getOidcLink, setOidcLink } from './oidc-store.ts';
import { getOperator } from './store.ts';

const linkBody = z.strictObject({ subject: z.string().trim().min(1).max(255) });
const linkSchema = z.object({ issuer: z.string(), subject: z.string() }).meta({ id: 'OidcLink' });

const link = endpoint({
  operationId: 'linkOperatorSso',
  summary: 'Link an operator to a single sign-on identity',
  description:
    'The identity at the configured provider, by the value of its identifying claim (MONBAN_OIDC_CLAIM, `sub` by default). One identity per operator, each to one operator.',
  params: idParam,
  body: linkBody,
  response: linkSchema,
  errors: [409],
  handle: async ({ params: { id }, body: { subject }, security, request }) => {
    const { ctx, oidc } = security;
    if (!oidc) throw new ApiError('OIDC_NOT_CONFIGURED', 'single sign-on is not configured');
    const operator = await getOperator(ctx.db, id);
    if (!operator) throw new ApiError('OPERATOR_NOT_FOUND', 'no such operator');
    await setOidcLink(ctx.db, id, { issuer: oidc.issuer, subject }, ctx.clock.now());
    await audit(ctx, request, 'operator.oidc_link', `operator:${operator.username}`, {
      operatorId: id,
      issuer: oidc.issuer,
      subject,
    });
    return { issuer: oidc.issuer, subject };
  },
});

const unlink = endpoint({
  operationId: 'unlinkOperatorSso',
  summary: 'Remove an operator’s single sign-on link',
  params: idParam,
  response: z.object({ unlinked: z.boolean() }),
  handle: async ({ params: { id }, security: { ctx }, request }) => {
    const operator = await getOperator(ctx.db, id);
    if (!operator) throw new ApiError('OPERATOR_NOT_FOUND', 'no such operator');
    const existing = await getOidcLink(ctx.db, id);
    if (!(await deleteOidcLink(ctx.db, id))) throw new ApiError('NOT_FOUND', 'this operator has no SSO link');
    await audit(ctx, request, 'operator.oidc_unlink', `operator:${operator.username}`, {
      operatorId: id,
      ...(existing && { issuer: existing.issuer, subject: existing.subject }),
    });
    return { unlinked: true };
  },
});

export const oidcLinkEndpoints = { link, unlink };
