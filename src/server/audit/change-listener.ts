// The management API's change hook (buildApp's `onChange`): every successful write by an operator or
// API token becomes an audit record (`person.create`, `credential.delete`, …) with actor, source
// address and time, and credential registrations and deletions feed the ID-change burst detector
// (R-SEC-5). The services come from the request's server, so the listener can be given to buildApp
// before the security plugin has been registered.

import type { FastifyRequest } from 'fastify';
import { actorOf, audit } from '../auth/http.ts';
import type { Principal } from '../http/principal.ts';

type ChangeAction = 'create' | 'update' | 'delete' | 'import';

export async function auditChange(
  _principal: Principal,
  action: ChangeAction,
  resource: string,
  id: string,
  request: FastifyRequest,
): Promise<void> {
  const services = request.server.security;
  await audit(services.ctx, request, `${resource}.${action}`, `${resource}:${id}`, {
    method: request.method,
    route: request.routeOptions.url ?? null,
  });
  if (resource === 'credential' && action !== 'update')
    await services.alarms.idChanged({
      kind: action === 'delete' ? 'delete' : 'register',
      actor: actorOf(request),
      credentialId: id,
    });
}
