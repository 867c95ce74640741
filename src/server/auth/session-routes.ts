// /api/auth/session and /api/auth/logout: who is calling (the browser session at whatever stage, or
// the API token), and ending the session. Both answer any caller — a half-logged-in session too (the
// security plugin lets it reach them) — so their rows have no permission. Endpoints of the one route
// table (src/server/api/routes.ts).

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { signedIn } from '../http/guard.ts';
import { permissionsOf } from '../http/principal.ts';
import { audit } from './http.ts';
import { publicOperator } from './login.ts';
import { endSession } from './sessions.ts';
import { mfaStatus } from './store.ts';

const logout = endpoint({
  operationId: 'logout',
  summary: 'End the session',
  halfSession: true,
  response: z.object({ loggedOut: z.boolean() }),
  errors: [403],
  handle: async ({ security: { ctx }, request, reply }) => {
    const session = request.authSession;
    await endSession(ctx, request, reply);
    if (session)
      await audit(ctx, request, 'logout', `operator:${session.operator.username}`, {}, session.operator.id);
    return { loggedOut: true };
  },
});

const whoAmI = endpoint({
  operationId: 'getSession',
  summary: 'Who is calling: the session or API token',
  halfSession: true,
  response: z.record(z.string(), z.unknown()).meta({
    description:
      'A session (`kind` is `operator`): its `stage`, `csrfToken`, `operator`, `mfa` and `permissions` (what the role allows; empty until signed in fully). An API token (`kind` is `token`): `id`, `role`, `scope` and `permissions`.',
  }),
  errors: [401],
  handle: async ({ security: { ctx }, request }) => {
    const session = request.authSession;
    if (!session) {
      const principal = signedIn(request);
      return {
        kind: principal.kind,
        id: principal.id,
        role: principal.role,
        scope: principal.scope,
        permissions: principal.tokenPermissions,
      };
    }
    return {
      kind: 'operator',
      stage: session.stage,
      csrfToken: session.csrfToken,
      operator: publicOperator(session.operator),
      mfa: await mfaStatus(ctx.db, session.operator.id),
      permissions: session.stage === 'full' && request.principal ? permissionsOf(request.principal) : [],
    };
  },
});

export const sessionEndpoints = { logout, whoAmI };
