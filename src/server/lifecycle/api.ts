// /api/lifecycle: retention per data class and its purge, a person's own data export (JSON or CSV),
// the erasure of a person with its signed certificate, and the certificates issued. Settings and
// erasure are for administrators (settings:write); the export is for whoever may read the person
// (people:read, within their scope). Every call is on the audit trail.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { idParams } from '../api/schemas.ts';
import { ApiError } from '../http/errors.ts';
import { personDataCsv } from './person-data.ts';
import { LifecycleError } from './service.ts';

const retentionSchema = z
  .record(z.string().min(1).max(32), z.number().int().min(1).max(36_500).nullable())
  .meta({
    id: 'RetentionSettings',
    description: 'days each data class is kept; null: until deleted by hand',
  });

const certificateSchema = z
  .object({
    type: z.literal('monban-erasure-certificate'),
    version: z.literal(1),
    id: z.string(),
    kind: z.string(),
    subject: z.string(),
    at: z.string(),
    by: z.object({ actor: z.string(), source: z.string() }),
    reason: z.string().optional(),
    erased: z.array(z.object({ what: z.string(), how: z.string(), count: z.number().int() })),
    evidence: z.record(z.string(), z.unknown()).optional(),
    key: z.object({ publicKey: z.string(), fingerprint: z.string() }),
    signature: z.string(),
  })
  .meta({ id: 'ErasureCertificate', description: 'verify with `monban erasure verify <file>`' });

const rethrow = (error: unknown): never => {
  if (error instanceof LifecycleError)
    throw error.kind === 'not_found'
      ? new ApiError('PERSON_NOT_FOUND', error.message)
      : new ApiError('INVALID_INPUT', error.message, { field: 'body' });
  throw error;
};

export const getRetention = endpoint({
  operationId: 'getRetention',
  summary: 'Retention period of each data class',
  response: retentionSchema,
  async handle({ request }) {
    return request.server.lifecycle.retention();
  },
});

export const setRetention = endpoint({
  operationId: 'setRetention',
  summary: 'Set retention periods (days) per data class',
  description:
    'Classes: events, audit (at least 90 days), alarms (resolved ones). null keeps records until deleted by hand.',
  body: retentionSchema,
  response: retentionSchema,
  async handle({ request, body, actor }) {
    request.audited = true;
    return request.server.lifecycle.setRetention(body, actor).catch(rethrow);
  },
});

export const purgeNow = endpoint({
  operationId: 'purgeExpired',
  summary: 'Purge what is past its retention now (it also runs on a schedule)',
  response: z.object({
    outcomes: z.array(
      z.object({
        dataClass: z.string(),
        cutoff: z.string(),
        removed: z.number().int(),
        floors: z.array(z.object({ chain: z.string(), first: z.number().int() })),
      }),
    ),
  }),
  async handle({ request, actor }) {
    request.audited = true;
    const outcomes = await request.server.lifecycle.purge(actor);
    return { outcomes: outcomes.map((o) => ({ ...o, cutoff: new Date(o.cutoff).toISOString() })) };
  },
});

const personDataOf = async (
  ctx: { request: import('fastify').FastifyRequest; params: { id: string } },
  actor: import('../services/write.ts').Actor,
  format: string,
) => {
  const lifecycle = ctx.request.server.lifecycle;
  const data = await lifecycle.exportPerson(ctx.params.id, actor);
  if (!data) throw new ApiError('PERSON_NOT_FOUND', `no person '${ctx.params.id}'`);
  await lifecycle.auditExport(ctx.params.id, format, actor);
  return data;
};

export const exportPersonData = endpoint({
  operationId: 'exportPersonData',
  summary: 'Everything held about one person, as JSON (their own data export)',
  params: idParams,
  response: z.record(z.string(), z.unknown()).meta({ id: 'PersonData' }),
  async handle(ctx) {
    ctx.reply.header('cache-control', 'no-store');
    return (await personDataOf(ctx, ctx.actor, 'json')) as unknown as Record<string, unknown>;
  },
});

export const exportPersonDataCsv = endpoint({
  operationId: 'exportPersonDataCsv',
  summary: 'Everything held about one person, as CSV (UTF-8 with BOM; section, at, what, value)',
  params: idParams,
  async handle(ctx) {
    const data = await personDataOf(ctx, ctx.actor, 'csv');
    ctx.reply
      .type('text/csv; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-disposition', 'attachment; filename="person-data.csv"');
    return personDataCsv(data) as never;
  },
});

export const erasePerson = endpoint({
  operationId: 'erasePerson',
  summary:
    'Erase a person: delete and revoke at once, pseudonymise what stays, return the signed certificate',
  params: idParams,
  body: z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).default({}),
  status: 201,
  response: certificateSchema,
  async handle({ request, params, body, actor }) {
    // The generic audit record would name the person: the erasure writes its own, pseudonymised.
    request.audited = true;
    return request.server.lifecycle.erasePerson(params.id, actor, body.reason).catch(rethrow);
  },
});

export const listCertificates = endpoint({
  operationId: 'listErasureCertificates',
  summary: 'The erasure certificates issued',
  response: z.object({ items: z.array(certificateSchema) }),
  async handle({ request }) {
    return { items: await request.server.lifecycle.certificates() };
  },
});
