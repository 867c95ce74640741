// CSV over HTTP, for the console: POST a file (text/csv, UTF-8 or Shift_JIS) to import it all or
// nothing; GET to download an export. Same rules as `monban import` / `monban export`, plus the
// caller's scope: an operator imports and exports only people inside it.

import { z } from 'zod';
import { CSV_ENCODINGS } from '../csv/decode.ts';
import { collect, exportCredentials, exportPeople } from '../csv/export.ts';
import type { ImportReport } from '../csv/import.ts';
import { ApiError } from '../http/errors.ts';
import type { CsvImportKind } from '../services/csv.ts';
import { type EndpointContext, endpoint } from './endpoint.ts';
import { timezoneSchema } from './schedules.ts';
import { booleanQuery } from './schemas.ts';

const importQuery = z.object({
  encoding: z.enum(CSV_ENCODINGS).default('auto'),
  timezone: timezoneSchema.default('Asia/Tokyo'),
  dryRun: booleanQuery.default(false),
});

export const importReportSchema = z
  .object({
    ok: z.boolean(),
    kind: z.enum(['people', 'credentials']),
    encoding: z.enum(['utf-8', 'shift_jis']).nullable(),
    rows: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    dryRun: z.boolean(),
  })
  .meta({ id: 'CsvImportReport' });

async function runImport(
  kind: CsvImportKind,
  ctx: EndpointContext<unknown, z.output<typeof importQuery>, unknown>,
) {
  const body = ctx.request.body;
  if (!Buffer.isBuffer(body)) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'send the file as text/csv');
  const report: ImportReport = await ctx.services.csv.import(
    kind,
    body,
    { encoding: ctx.query.encoding, timezone: ctx.query.timezone, dryRun: ctx.query.dryRun },
    ctx.actor,
  );
  if (!report.ok)
    throw new ApiError('CSV_INVALID', `the file has ${report.errors.length} error(s); nothing was imported`, {
      rows: report.errors,
    });
  const { changes: _changes, errors: _errors, ...summary } = report;
  return summary;
}

export const importPeopleCsv = endpoint({
  summary: 'Import people from CSV (all or nothing)',
  description:
    'Body: the CSV file as text/csv. Columns and formats: docs/api.md. Errors: 400 CSV_INVALID with `rows`.',
  query: importQuery,
  consumes: ['text/csv'],
  response: importReportSchema,
  handle: (ctx) => runImport('people', ctx),
});

export const importCredentialsCsv = endpoint({
  summary: 'Import credentials from CSV (all or nothing; PIN cells are write-only)',
  description:
    'Body: the CSV file as text/csv. Columns and formats: docs/api.md. Errors: 400 CSV_INVALID with `rows`.',
  query: importQuery,
  consumes: ['text/csv'],
  response: importReportSchema,
  handle: (ctx) => runImport('credentials', ctx),
});

const exportQuery = z.object({
  bom: booleanQuery.default(false).meta({ description: 'UTF-8 BOM and formula-safe cells, for Excel' }),
  timezone: timezoneSchema.default('Asia/Tokyo'),
});

export const exportPeopleCsv = endpoint({
  summary: 'Export people as CSV (inside your scope)',
  query: exportQuery,
  async handle({ query, repos, scope, reply }) {
    const text = await collect(exportPeople(repos, { ...query, scope }));
    reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="people.csv"');
    return text as never;
  },
});

export const exportCredentialsCsv = endpoint({
  summary: 'Export credentials as CSV (never PINs)',
  query: exportQuery,
  async handle({ query, repos, scope, reply }) {
    const text = await collect(exportCredentials(repos, { ...query, scope }));
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="credentials.csv"');
    return text as never;
  },
});
