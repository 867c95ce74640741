// /api/directory/scim-token: an administrator issues the SCIM endpoint's dedicated token (shown once;
// the one before it stops working) or revokes it. Both are audited.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { audit } from '../auth/http.ts';

export const issueScimToken = endpoint({
  operationId: 'issueScimToken',
  summary: 'Issue the SCIM endpoint’s bearer token (shown once; the previous one stops working)',
  description: 'The identity provider (Entra ID, Okta) provisions people and groups at /scim/v2 with it.',
  status: 201,
  response: z.object({ id: z.string(), token: z.string(), endpoint: z.string() }),
  async handle({ request, principal, now }) {
    const { id, token } = await request.server.directoryParts.tokens.issue(principal.id, now);
    await audit(request.server.security.ctx, request, 'scim.token_issue', `scim_token:${id}`);
    return { id, token, endpoint: `${request.protocol}://${request.host}/scim/v2` };
  },
});

export const revokeScimToken = endpoint({
  operationId: 'revokeScimToken',
  summary: 'Revoke the SCIM endpoint’s bearer token',
  status: 204,
  async handle({ request, now }) {
    const revoked = await request.server.directoryParts.tokens.revoke(now);
    await audit(request.server.security.ctx, request, 'scim.token_revoke', 'scim_token', { revoked });
    return undefined;
  },
});
