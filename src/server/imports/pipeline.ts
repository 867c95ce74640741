// One CSV import, start to end (issue 11 §3), in phases that each report progress:
//   read    decode, parse and check every row on its own (csv/import.ts readCsvRows);
//   check   the rows against the database (references, ownership, scope) — reads only;
//   stage   people rows into import_staging, a slice per short transaction, so nothing holds the
//           database while the file is worked through;
//   switch  one transaction that applies every row (people in bulk: people-bulk.ts; credentials
//           through the service writes, which hash their PINs) and raises their domain events.
// All or nothing: a refused file, a cancel or a failure before the switch commits changes nothing.
// It runs in a worker thread with its own database connection (worker.ts), so the server's event
// loop and connection stay free; or in the caller's thread where no worker can be used.

import { credentialsCsv } from '../csv/credentials.ts';
import {
  type CsvKind,
  failInto,
  type ImportOptions,
  type ImportReport,
  type ParsedRow,
  readCsvRows,
} from '../csv/import.ts';
import { peopleCsv } from '../csv/people.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { Raise } from '../services/write.ts';
import type { Executor } from '../storage/db.ts';
import { StorageError } from '../storage/errors.ts';
import { repositories } from '../storage/index.ts';
import type { PersonInput } from '../storage/people.ts';
import { PEOPLE_SLICE, upsertPeopleSlice } from './people-bulk.ts';

export type ImportKind = 'people' | 'credentials';
export type ImportPhase = 'queued' | 'read' | 'check' | 'stage' | 'switch' | 'publish';

export interface PipelineOptions
  extends Pick<ImportOptions, 'encoding' | 'timezone' | 'dryRun' | 'scope' | 'givenPinCodes' | 'maxErrors'> {
  now: number;
  jobId: string;
  onProgress?: (phase: ImportPhase, done: number, total: number) => void;
  /** true once the job was cancelled: the pipeline stops at the next slice, changing nothing */
  cancelled?: () => boolean;
}

export interface PipelineResult {
  report: ImportReport;
  /** the domain events of the rows written (to publish once committed); none unless ok and not dry */
  events: DomainEvent[];
  cancelled: boolean;
}

export class ImportCancelled extends Error {
  constructor() {
    super('import cancelled');
  }
}

const specOf = (kind: ImportKind) =>
  (kind === 'credentials' ? credentialsCsv : peopleCsv) as CsvKind<unknown>;

class Refused extends Error {
  constructor(readonly errors: ImportReport['errors']) {
    super('import refused');
  }
}

export async function runImportPipeline(
  kind: ImportKind,
  db: Executor,
  installationKey: Uint8Array,
  bytes: Uint8Array,
  options: PipelineOptions,
): Promise<PipelineResult> {
  const spec = specOf(kind);
  const report: ImportReport = {
    ok: false,
    kind,
    encoding: null,
    rows: 0,
    created: 0,
    updated: 0,
    dryRun: options.dryRun === true,
    errors: [],
    changes: [],
  };
  const progress = options.onProgress ?? (() => {});
  const stop = () => {
    if (options.cancelled?.()) throw new ImportCancelled();
  };
  const fail = failInto(report, options.maxErrors);
  try {
    progress('read', 0, bytes.length);
    const parsed = readCsvRows(spec, bytes, options, report, fail);
    progress('read', bytes.length, bytes.length);
    if (!parsed) return { report, events: [], cancelled: false };
    stop();

    progress('check', 0, parsed.length);
    const problems = await spec.check(repositories(db, installationKey), db, parsed, options.scope, {
      givenPinCodes: options.givenPinCodes === true,
    });
    for (const { row, issue } of problems)
      fail({
        row: row.row,
        line: row.line,
        column: issue.column === null ? null : (row.headers.get(issue.column) ?? issue.column),
        reason: issue.reason,
      });
    progress('check', parsed.length, parsed.length);
    if (report.errors.length > 0) {
      report.errors.sort((a, b) => a.row - b.row);
      return { report, events: [], cancelled: false };
    }
    stop();

    const keyOf = (row: ParsedRow<unknown>) => spec.keys(row.value)[0]!.split('\u0000')[2]!;
    if (options.dryRun) {
      const existing = await existingIds(db, kind === 'people' ? 'people' : 'credentials', parsed.map(keyOf));
      for (const row of parsed) report[existing.has(keyOf(row)) ? 'updated' : 'created']++;
      report.ok = true;
      return { report, events: [], cancelled: false };
    }

    const events: DomainEvent[] = [];
    const raise: Raise = (e) => events.push(e);
    if (kind === 'people') {
      await stage(db, options.jobId, parsed, progress, stop);
      try {
        await switchPeople(db, options, parsed, report, raise, progress, stop);
      } finally {
        await db.deleteFrom('import_staging').where('job_id', '=', options.jobId).execute();
      }
    } else await switchRows(db, installationKey, spec, options, parsed, report, raise, progress, stop);
    report.ok = true;
    return { report, events, cancelled: false };
  } catch (error) {
    if (error instanceof ImportCancelled) {
      report.created = 0;
      report.updated = 0;
      report.changes = [];
      return { report, events: [], cancelled: true };
    }
    if (error instanceof Refused) {
      // The switch rolled back: nothing was written.
      report.created = 0;
      report.updated = 0;
      report.changes = [];
      for (const e of error.errors) fail(e);
      return { report, events: [], cancelled: false };
    }
    throw error;
  }
}

async function existingIds(
  db: Executor,
  table: 'people' | 'credentials',
  ids: string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += PEOPLE_SLICE)
    for (const r of await db
      .selectFrom(table)
      .select('id')
      .where('id', 'in', ids.slice(i, i + PEOPLE_SLICE))
      .execute())
      found.add(r.id);
  return found;
}

/** Stages the checked people rows, a slice per transaction (writers elsewhere wait milliseconds). */
async function stage(
  db: Executor,
  jobId: string,
  rows: readonly ParsedRow<unknown>[],
  progress: (phase: ImportPhase, done: number, total: number) => void,
  stop: () => void,
): Promise<void> {
  const STAGE_SLICE = 1_000;
  for (let i = 0; i < rows.length; i += STAGE_SLICE) {
    stop();
    await db
      .insertInto('import_staging')
      .values(
        rows.slice(i, i + STAGE_SLICE).map((r, j) => ({
          job_id: jobId,
          seq: i + j,
          row: r.row,
          line: r.line,
          payload: JSON.stringify(r.value),
        })),
      )
      .execute();
    progress('stage', Math.min(i + STAGE_SLICE, rows.length), rows.length);
  }
}

/** The switch for people: the staged rows in bulk, in one transaction. */
async function switchPeople(
  db: Executor,
  options: PipelineOptions,
  parsed: readonly ParsedRow<unknown>[],
  report: ImportReport,
  raise: Raise,
  progress: (phase: ImportPhase, done: number, total: number) => void,
  stop: () => void,
): Promise<void> {
  const total = parsed.length;
  const pending: DomainEvent[] = [];
  await db.transaction().execute(async (tx) => {
    for (let seq = 0; seq < total; seq += PEOPLE_SLICE) {
      stop();
      const staged = await tx
        .selectFrom('import_staging')
        .select(['row', 'line', 'payload'])
        .where('job_id', '=', options.jobId)
        .where('seq', '>=', seq)
        .where('seq', '<', seq + PEOPLE_SLICE)
        .orderBy('seq')
        .execute();
      const inputs = staged.map((s) => JSON.parse(s.payload) as PersonInput);
      let outcomes: ('created' | 'updated')[];
      try {
        outcomes = await upsertPeopleSlice(tx, inputs, options.now, (e) => pending.push(e));
      } catch (error) {
        if (!(error instanceof StorageError) && !/FOREIGN KEY|23503|foreign key/i.test(String(error)))
          throw error;
        // A reference removed since the check: the switch is spent; say so for the slice's first row.
        throw new Refused([
          {
            row: staged[0]?.row ?? 1,
            line: staged[0]?.line ?? 1,
            column: null,
            reason: 'a group or access level of these rows was removed during the import; run it again',
          },
        ]);
      }
      outcomes.forEach((o, i) => {
        report[o]++;
        report.changes.push({ action: o === 'created' ? 'create' : 'update', id: inputs[i]!.id });
      });
      progress('switch', Math.min(seq + PEOPLE_SLICE, total), total);
    }
  });
  for (const e of pending) raise(e);
}

/** The switch row by row through the service writes (credentials: PINs hashed there). */
async function switchRows(
  db: Executor,
  installationKey: Uint8Array,
  spec: CsvKind<unknown>,
  options: PipelineOptions,
  parsed: readonly ParsedRow<unknown>[],
  report: ImportReport,
  raise: Raise,
  progress: (phase: ImportPhase, done: number, total: number) => void,
  stop: () => void,
): Promise<void> {
  const pending: DomainEvent[] = [];
  await db.transaction().execute(async (tx) => {
    const repos = repositories(tx, installationKey);
    for (const [i, row] of parsed.entries()) {
      if (i % 100 === 0) stop();
      try {
        const outcome = await spec.apply(repos, row.value, options.now, (e) => pending.push(e));
        report[outcome]++;
        report.changes.push({
          action: outcome === 'created' ? 'create' : 'update',
          id: spec.keys(row.value)[0]!.split('\u0000')[2]!,
        });
      } catch (error) {
        if (!(error instanceof StorageError)) throw error;
        throw new Refused([
          {
            row: row.row,
            line: row.line,
            column: error.field
              ? (row.headers.get(error.field.replace(/\[\d+\]$/, '')) ?? error.field)
              : null,
            reason: error.message,
          },
        ]);
      }
      if (i % 500 === 499 || i === parsed.length - 1) progress('switch', i + 1, parsed.length);
    }
  });
  for (const e of pending) raise(e);
}
