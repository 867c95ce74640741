// Import jobs over HTTP (issue 11 §3): POST a CSV file to start an import in the background — the
// answer is 202 with the job at once, whatever the file's size — then GET the job for its phase and
// progress and, once ended, its report (the rows' errors when refused); POST …/cancel stops it
// unless its switch has committed. Same rules as the CSV endpoints (csv.ts) and the caller's scope;
// a job is visible only to whoever started it.

import { z } from 'zod';
import { CSV_ENCODINGS } from '../csv/decode.ts';
import { ApiError } from '../http/errors.ts';
import type { ImportJobView } from '../imports/jobs.ts';
import type { ImportKind } from '../imports/pipeline.ts';
import { type EndpointContext, endpoint } from './endpoint.ts';
import { timezoneSchema } from './schedules.ts';
import { booleanQuery } from './schemas.ts';

const startQuery = z.strictObject({
  encoding: z.enum(CSV_ENCODINGS).default('auto'),
  timezone: timezoneSchema.default('Asia/Tokyo'),
  dryRun: booleanQuery.default(false),
});

const rowError = z.object({
  row: z.number().int(),
  line: z.number().int(),
  column: z.string().nullable(),
  reason: z.string(),
});

export const importJobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['people', 'credentials']),
    state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    phase: z.enum(['queued', 'read', 'check', 'stage', 'switch', 'publish']),
    done: z.number().int().meta({ description: 'progress in the phase: bytes read, then rows' }),
    total: z.number().int(),
    dryRun: z.boolean(),
    createdAt: z.number().int(),
    finishedAt: z.number().int().nullable(),
    report: z
      .object({
        ok: z.boolean(),
        kind: z.enum(['people', 'credentials']),
        encoding: z.enum(['utf-8', 'shift_jis']).nullable(),
        rows: z.number().int(),
        created: z.number().int(),
        updated: z.number().int(),
        dryRun: z.boolean(),
        errors: z.array(rowError),
      })
      .nullable(),
    error: z.string().nullable(),
    timings: z
      .partialRecord(z.enum(['read', 'check', 'stage', 'switch', 'publish']), z.number())
      .meta({ description: 'milliseconds spent in each phase so far' }),
  })
  .meta({ id: 'ImportJob' });

const jobParams = z.strictObject({ id: z.string().uuid() });

function start(kind: ImportKind, ctx: EndpointContext<unknown, z.output<typeof startQuery>, unknown>) {
  const body = ctx.request.body;
  if (!Buffer.isBuffer(body)) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the file as text/csv');
  const job = ctx.services.imports.start(
    kind,
    body,
    { encoding: ctx.query.encoding, timezone: ctx.query.timezone, dryRun: ctx.query.dryRun },
    ctx.actor,
  );
  ctx.reply.header('location', `/api/import-jobs/${job.id}`);
  return Promise.resolve(job);
}

const found = (job: ImportJobView | undefined): ImportJobView => {
  if (!job) throw new ApiError('IMPORT_JOB_NOT_FOUND', 'no such import job');
  return job;
};

const startDescription =
  'Body: the CSV file as text/csv (columns: docs/api.md). Answers 202 with the job at once; GET the job for progress and its report.';

export const startPeopleImport = endpoint({
  operationId: 'startPeopleImport',
  summary: 'Start a people import in the background (all or nothing)',
  description: startDescription,
  query: startQuery,
  consumes: ['text/csv'],
  status: 202,
  response: importJobSchema,
  handle: (ctx) => start('people', ctx),
});

export const startCredentialsImport = endpoint({
  operationId: 'startCredentialsImport',
  summary: 'Start a credentials import in the background (all or nothing; PIN cells are write-only)',
  description: startDescription,
  query: startQuery,
  consumes: ['text/csv'],
  status: 202,
  response: importJobSchema,
  handle: (ctx) => start('credentials', ctx),
});

export const getImportJob = endpoint({
  operationId: 'getImportJob',
  summary: 'An import job: phase, progress and, once ended, its report',
  params: jobParams,
  response: importJobSchema,
  handle: async ({ params, services, actor }) => found(services.imports.get(params.id, actor)),
});

export const cancelImportJob = endpoint({
  operationId: 'cancelImportJob',
  summary: 'Cancel an import job (nothing is written unless its switch already committed)',
  params: jobParams,
  response: importJobSchema,
  handle: async ({ params, services, actor }) => found(services.imports.cancel(params.id, actor)),
});
