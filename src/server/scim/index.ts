// Directory integration wired into the server (compose.ts): the directory (SCIM provisioning through
// the service layer), its dedicated token, and the /scim/v2 routes.

import type { FastifyInstance } from 'fastify';
import type { ServiceDeps } from '../services/write.ts';
import { Directory } from './directory.ts';
import { registerScim } from './routes.ts';
import { ScimTokens } from './tokens.ts';

export interface DirectoryParts {
  directory: Directory;
  tokens: ScimTokens;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** SCIM provisioning and its token (for the token endpoints of the route table) */
    directoryParts: DirectoryParts;
  }
}

export async function registerDirectory(app: FastifyInstance, deps: ServiceDeps): Promise<DirectoryParts> {
  const parts = { directory: new Directory(deps), tokens: new ScimTokens(deps.store.db) };
  app.decorate('directoryParts', parts);
  await registerScim(app, { ...parts, now: () => deps.clock.now() });
  return parts;
}
