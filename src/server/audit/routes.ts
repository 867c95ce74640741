// /api/audit: read the audit trail (filtered, newest first, paginated) and, for admins, verify the
// audit and event chains against the checkpoints outside the database, every broken span listed.
// Read-only by construction: no endpoint here writes, changes or deletes a record. Endpoints of the
// one route table (src/server/api/routes.ts), which names their permissions: reading the log needs
// audit:read, verifying it (managing the log) settings:write.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { isoOut, pageOf } from '../api/schemas.ts';
import { storageView } from '../auth/context.ts';
import { ApiError } from '../http/errors.ts';
import { decodeCursor, encodeCursor } from '../storage/cursor.ts';
import { verifyChains } from './anchors.ts';
import { queryAudit } from './store.ts';

// Times in and out are ISO 8601; the list answers the API's one page shape, { items, next }.
const time = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const querySchema = z.strictObject({
  actor: z.string().min(1).max(128).optional(),
  action: z.string().min(1).max(64).optional(),
  actionPrefix: z.string().min(1).max(64).optional().meta({ description: 'e.g. `login.`' }),
  target: z.string().min(1).max(256).optional(),
  since: time.optional(),
  until: time.optional(),
  cursor: z.string().max(200).optional().meta({ description: 'the `next` of the previous page' }),
  limit: z.coerce.number().int().min(1).max(500).optional().meta({ description: '1–500 (default 50)' }),
});

const auditRecord = z
  .object({
    id: z.number().int(),
    at: isoOut,
    actor: z.string(),
    source: z.string(),
    action: z.string(),
    target: z.string(),
    detail: z.record(z.string(), z.unknown()),
    hash: z.string(),
  })
  .meta({ id: 'AuditRecord' });

const span = z.object({
  chain: z.string().meta({ description: '`audit`, or `events:<controller id>`' }),
  from: z.number().int(),
  to: z.number().int(),
  problem: z.string(),
  message: z.string(),
});
const verdict = z.object({
  chain: z.string(),
  records: z.number().int(),
  head: z.number().int(),
  spans: z.array(span),
});
const chainsReport = z
  .object({
    ok: z.boolean(),
    audit: verdict,
    events: z.array(verdict),
    spans: z.array(span).meta({ description: 'every broken span of every chain' }),
    anchors: z.object({
      file: z.string(),
      checkpoints: z.number().int(),
      lastAt: z.number().nullable().meta({ description: 'milliseconds since the epoch' }),
      problems: z.array(z.string()),
    }),
  })
  .meta({ id: 'ChainsReport' });

const list = endpoint({
  operationId: 'listAudit',
  summary: 'Read the audit trail, newest first',
  query: querySchema,
  response: pageOf(auditRecord),
  handle: async ({ query, security }) => {
    const { cursor, ...filters } = query;
    let before: number | undefined;
    if (cursor !== undefined) {
      const key = decodeCursor(cursor);
      if (key?.length !== 1 || typeof key[0] !== 'number')
        throw new ApiError('INVALID_INPUT', 'query.cursor: not a cursor issued by this list', {
          field: 'query.cursor',
        });
      before = key[0];
    }
    const filter = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
    const page = await queryAudit(storageView(security.ctx.db), {
      ...filter,
      ...(before !== undefined && { before }),
    });
    return {
      items: page.records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
      next: page.nextBefore === null ? null : encodeCursor([page.nextBefore]),
    };
  },
});

const verify = endpoint({
  operationId: 'verifyAudit',
  summary: 'Verify the audit and event chains against the checkpoints outside the database',
  response: chainsReport,
  handle: async ({ security }) => {
    const { db, anchorKeys, anchorFile } = security.ctx;
    return verifyChains(storageView(db), anchorKeys, anchorFile ?? '');
  },
});

export const auditEndpoints = { list, verify };
