// One CSV import, start to end (issue 11 §3), in phases that each report progress:
//   read    decode, parse and check every row on its own (csv/import.ts readCsvRows);
//   check   the rows against the database (references, ownership, scope) — reads only;
//   switch  one transaction that applies every row in bulk (people-bulk.ts, credentials-bulk.ts,
//           which hashes the PINs), appends the rows' audit records, and raises their events.
// The checked rows are staged in this thread's memory until the switch (credentials always were:
// their PINs never go to disk in clear). People went through the import_staging table once; writing
// them there and reading them back took the SQLite write lock 50 times and one long delete, for rows
// this thread already held.
// All or nothing: a refused file, a cancel or a failure before the switch commits changes nothing.
// It runs in a worker thread with its own database connection (worker.ts), so the server's event
// loop and connection stay free; or in the caller's thread where no worker can be used.

import { sql } from 'kysely';
import { siteCredentialKey } from '../../contracts/credential-key.ts';
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
import { auditRecordOf, type DomainEvent, type Origin } from '../domain/events.ts';
import type { Raise } from '../services/write.ts';
import { appendWithin } from '../storage/audit-log.ts';
import { selectByKeys } from '../storage/bulk.ts';
import { chainKeys } from '../storage/chain.ts';
import type { NewCredential } from '../storage/credentials.ts';
import { type Executor, sqliteConnection } from '../storage/db.ts';
import { isForeignKeyViolation, isUniqueViolation, StorageError } from '../storage/errors.ts';
import { repositories } from '../storage/index.ts';
import type { PersonInput } from '../storage/people.ts';
import {
  CREDENTIALS_SLICE,
  CredentialRowRefused,
  credentialsBefore,
  upsertCredentialsSlice,
} from './credentials-bulk.ts';
import { PEOPLE_SLICE, peopleBefore, type SliceWrite, upsertPeopleSlice } from './people-bulk.ts';

export type ImportKind = 'people' | 'credentials';
export type ImportPhase = 'queued' | 'read' | 'check' | 'stage' | 'switch' | 'publish';

export interface PipelineOptions
  extends Pick<ImportOptions, 'encoding' | 'timezone' | 'dryRun' | 'scope' | 'givenPinCodes' | 'maxErrors'> {
  now: number;
  jobId: string;
  /**
   * who imports: given, the rows' audit records are written inside the switch transaction (all or
   * nothing, audit included) and the events are to be published marked `origin.audited`
   */
  origin?: Origin;
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

/** Who the audit records name, and the audit chain key. */
interface Audit {
  origin: Origin;
  key: Buffer;
}

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
    const audit = options.origin && { origin: options.origin, key: chainKeys(installationKey).audit };
    if (kind === 'people') await switchPeople(db, options, audit, parsed, report, raise, progress, stop);
    else await switchCredentials(db, installationKey, options, audit, parsed, report, raise, progress, stop);
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
  const rows = await selectByKeys(db, ids, (match) =>
    db.selectFrom(table).select('id').where(match('id')).execute(),
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * The slices of a switch, their writes overlapping the making of the next: slice k+1's rows (and
 * PIN hashes) are made in this thread while the database writes slice k, at most one slice's
 * writes under way. `make` throws a row's refusal before its slice is sent; a write's error is
 * turned into the user's by `refusal` for the slice that failed. Either way, what is under way is
 * awaited first, so the transaction rolls back with nothing still running on its connection.
 */
async function switchSlices<T>(
  rows: readonly T[],
  size: number,
  make: (slice: readonly T[]) => SliceWrite,
  refusal: (error: unknown, slice: readonly T[]) => Error,
  done: (slice: readonly T[], outcomes: SliceWrite['outcomes'], end: number) => void,
  stop: () => void,
): Promise<void> {
  let previous:
    | { slice: readonly T[]; end: number; outcomes: SliceWrite['outcomes']; failed: Promise<unknown> }
    | undefined;
  const settle = async () => {
    if (!previous) return;
    const { slice, end, outcomes, failed } = previous;
    previous = undefined;
    const error = await failed;
    if (error !== undefined) throw refusal(error, slice);
    done(slice, outcomes, end);
  };
  try {
    for (let at = 0; at < rows.length; at += size) {
      stop();
      const slice = rows.slice(at, at + size);
      const { outcomes, written } = make(slice);
      const failed = written.then(
        () => undefined,
        (error: unknown) => error ?? new Error('the switch failed'),
      );
      await settle();
      previous = { slice, end: at + slice.length, outcomes, failed };
    }
    await settle();
  } finally {
    // A refusal or cancel thrown while a slice was being written: let it end before the rollback.
    await previous?.failed;
  }
}

/** The switch for people: the checked rows in bulk, in one transaction. */
async function switchPeople(
  db: Executor,
  options: PipelineOptions,
  audit: Audit | undefined,
  parsed: readonly ParsedRow<unknown>[],
  report: ImportReport,
  raise: Raise,
  progress: (phase: ImportPhase, done: number, total: number) => void,
  stop: () => void,
): Promise<void> {
  const total = parsed.length;
  const pending: DomainEvent[] = [];
  await db.transaction().execute(async (tx) => {
    const before = await peopleBefore(
      tx,
      parsed.map((s) => (s.value as PersonInput).id),
    );
    await switchSlices(
      parsed,
      PEOPLE_SLICE,
      (staged) =>
        upsertPeopleSlice(
          tx,
          staged.map((s) => s.value as PersonInput),
          before,
          options.now,
          (e) => pending.push(e),
        ),
      (error, staged) => {
        if (!(error instanceof StorageError) && !isForeignKeyViolation(error) && !isUniqueViolation(error))
          return error as Error;
        // A reference removed, or one of these people created, since the check: the switch is spent;
        // say so for the slice's first row.
        return new Refused([
          {
            row: staged[0]?.row ?? 1,
            line: staged[0]?.line ?? 1,
            column: null,
            reason: isUniqueViolation(error)
              ? 'a person of these rows was created by someone else during the import; run it again'
              : 'a group or access level of these rows was removed during the import; run it again',
          },
        ]);
      },
      (staged, outcomes, end) => {
        outcomes.forEach((o, i) => {
          report[o]++;
          report.changes.push({
            action: o === 'created' ? 'create' : 'update',
            id: (staged[i]!.value as PersonInput).id,
          });
        });
        progress('switch', end, total);
      },
      stop,
    );
    await auditWithin(tx, audit, pending);
  });
  for (const e of pending) raise(e);
}

/** The switch for credentials: in bulk (credentials-bulk.ts), in one transaction, PINs hashed here. */
async function switchCredentials(
  db: Executor,
  installationKey: Uint8Array,
  options: PipelineOptions,
  audit: Audit | undefined,
  parsed: readonly ParsedRow<unknown>[],
  report: ImportReport,
  raise: Raise,
  progress: (phase: ImportPhase, done: number, total: number) => void,
  stop: () => void,
): Promise<void> {
  const credentialKey = siteCredentialKey(installationKey);
  const rows = parsed as readonly ParsedRow<NewCredential>[];
  const total = rows.length;
  const pending: DomainEvent[] = [];
  await db.transaction().execute(async (tx) => {
    const stored = await credentialsBefore(
      tx,
      rows.map((r) => r.value.id),
    );
    await switchSlices(
      rows,
      CREDENTIALS_SLICE,
      (slice) => {
        try {
          return upsertCredentialsSlice(
            tx,
            credentialKey,
            slice.map((r) => r.value),
            stored,
            options.now,
            (e) => pending.push(e),
          );
        } catch (error) {
          if (!(error instanceof CredentialRowRefused)) throw error;
          const row = slice[error.index]!;
          throw new Refused([
            {
              row: row.row,
              line: row.line,
              column: error.field === null ? null : (row.headers.get(error.field) ?? error.field),
              reason: error.message,
            },
          ]);
        }
      },
      (error, slice) =>
        isUniqueViolation(error) || isForeignKeyViolation(error)
          ? // Changed since the check (a person removed, an identifier taken): the switch is spent.
            new Refused([
              {
                row: slice[0]?.row ?? 1,
                line: slice[0]?.line ?? 1,
                column: null,
                reason:
                  'a person or identifier of these rows changed during the import (removed, or taken by another credential); run it again',
              },
            ])
          : (error as Error),
      (slice, outcomes, end) => {
        outcomes.forEach((o, i) => {
          report[o]++;
          report.changes.push({ action: o === 'created' ? 'create' : 'update', id: slice[i]!.value.id });
        });
        progress('switch', end, total);
      },
      stop,
    );
    await auditWithin(tx, audit, pending);
  });
  for (const e of pending) raise(e);
}

/**
 * The audit records of the switch's events, in the switch's transaction, at the end of the chain. On
 * SQLite the switch holds the write lock already; on PostgreSQL the table is locked against other
 * appends until the switch commits (they wait a moment, then append after these).
 */
async function auditWithin(
  tx: Executor,
  audit: Audit | undefined,
  events: readonly DomainEvent[],
): Promise<void> {
  if (!audit || events.length === 0) return;
  const { origin, key } = audit;
  if (!sqliteConnection(tx)) await sql`LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE`.execute(tx);
  const at = Date.now();
  await appendWithin(
    tx,
    key,
    events.map((event) => {
      const { action, target, detail } = auditRecordOf(event);
      return { at, actor: origin.actor, source: origin.source, action, target, detail };
    }),
  );
}
