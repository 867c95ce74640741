// /api/audit: read the audit trail (filtered, newest first, paginated) and, for admins, verify the
// audit and event chains against the checkpoints outside the database, every broken span listed. Read-only by construction: no route here writes, changes or deletes a record.

import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { storageView } from '../auth/context.ts';
import { parse, requirePrincipal } from '../auth/http.ts';
import type { SecurityServices } from '../auth/plugin.ts';
import { verifyChains } from './anchors.ts';
import { queryAudit } from './store.ts';

const time = z.coerce.number().int().min(0).max(8.64e15);
const querySchema = z
  .object({
    actor: z.string().min(1).max(128).optional(),
    action: z.string().min(1).max(64).optional(),
    actionPrefix: z.string().min(1).max(64).optional(),
    target: z.string().min(1).max(256).optional(),
    since: time.optional(),
    until: time.optional(),
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

export const auditRoutes: FastifyPluginAsync<{ services: SecurityServices }> = async (app, { services }) => {
  const db = storageView(services.ctx.db);

  app.get('/api/audit', async (request) => {
    requirePrincipal(request, 'audit:read');
    const query = parse(querySchema, request.query);
    const filter = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    return queryAudit(db, filter);
  });

  app.get('/api/audit/verify', async (request) => {
    // Managing the log is for admins; reading it for anyone with audit:read.
    requirePrincipal(request, 'settings:write');
    const { anchorKeys, anchorFile } = services.ctx;
    return verifyChains(db, anchorKeys, anchorFile ?? '');
  });
};
