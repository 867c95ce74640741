// The data lifecycle wired into the server (compose.ts): one Lifecycle, reachable from the route
// table's endpoints as `app.lifecycle`.

import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../services/write.ts';
import { Lifecycle } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
  }
}

export function registerLifecycle(app: FastifyInstance, deps: ServiceDeps): Lifecycle {
  const lifecycle = new Lifecycle(deps);
  app.decorate('lifecycle', lifecycle);
  return lifecycle;
}
