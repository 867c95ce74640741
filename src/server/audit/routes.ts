// /api/audit: read the audit trail (filtered, newest first, paginated) and, for admins, verify the
// audit and event chains against the checkpoints outside the database, every broken span listed. Read-only by construction: no route here writes, changes or deletes a record.

import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { storageView } from '../auth/context.ts';
import { parse, requirePrincipal } from '../auth/http.ts';
import type { SecurityServices } from '../auth/plugin.ts';
import { ApiError } from '../http/errors.ts';
import { decodeCursor, encodeCursor } from '../storage/cursor.ts';
import { verifyChains } from './anchors.ts';
import { queryAudit } from './store.ts';

// Times in and out are ISO 8601; the list answers the API's one page shape, { items, next }.
const time = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const querySchema = z
  .object({
    actor: z.string().min(1).max(128).optional(),
    action: z.string().min(1).max(64).optional(),
    actionPrefix: z.string().min(1).max(64).optional(),
    target: z.string().min(1).max(256).optional(),
    since: time.optional(),
    until: time.optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

export const auditRoutes: FastifyPluginAsync<{ services: SecurityServices }> = async (app, { services }) => {
  const db = storageView(services.ctx.db);

  app.get('/api/audit', async (request) => {
    requirePrincipal(request, 'audit:read');
    const { cursor, ...query } = parse(querySchema, request.query);
    let before: number | undefined;
    if (cursor !== undefined) {
      const key = decodeCursor(cursor);
      if (key?.length !== 1 || typeof key[0] !== 'number')
        throw new ApiError('INVALID_INPUT', 'query.cursor: not a cursor issued by this list');
      before = key[0];
    }
    const filter = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    const page = await queryAudit(db, { ...filter, ...(before !== undefined && { before }) });
    return {
      items: page.records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
      next: page.nextBefore === null ? null : encodeCursor([page.nextBefore]),
    };
  });

  app.get('/api/audit/verify', async (request) => {
    // Managing the log is for admins; reading it for anyone with audit:read.
    requirePrincipal(request, 'settings:write');
    const { anchorKeys, anchorFile } = services.ctx;
    return verifyChains(db, anchorKeys, anchorFile ?? '');
  });
};
