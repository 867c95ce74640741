// CSV import, all or nothing: the file is decoded, parsed and every row checked first; only when no
// row has an error are the rows written, in one transaction. Errors name the row (the spreadsheet
// row: the header is row 1), the physical line, the column as written in the file, and the reason,
// never the cell's value (it may be a PIN). Rows whose id exists update that record; others create
// one (so re-importing an export changes nothing).

import type { z } from 'zod';
import type { Raise } from '../services/write.ts';
import { type Executor, inTransaction } from '../storage/db.ts';
import { StorageError } from '../storage/errors.ts';
import { type Repositories, repositories } from '../storage/index.ts';
import type { ScopeFilter } from '../storage/scope.ts';
import { type CsvEncoding, CsvEncodingError, decodeCsv } from './decode.ts';
import { CsvSyntaxError, parseCsv } from './rfc4180.ts';
import { type TimeZone, timeZone } from './times.ts';

export interface CsvRowError {
  /** spreadsheet row: the header is row 1 */
  row: number;
  /** physical line where the row starts (differs from row when cells hold line breaks) */
  line: number;
  /** the column as written in the file's header; null for the row as a whole */
  column: string | null;
  reason: string;
}

export interface ColumnSpec {
  /** canonical name, as exports write it */
  name: string;
  /** other accepted headers (Japanese Excel sheets) */
  aliases?: readonly string[];
  required?: boolean;
  /** written by exports, ignored by imports (uses, hasPin, …) */
  readOnly?: boolean;
  /** parses the cell text; absent for read-only columns */
  cell?: (zone: TimeZone) => z.ZodType;
}

export interface ParsedRow<In> {
  row: number;
  line: number;
  value: In;
  /** canonical column name → header as written, for error messages */
  headers: ReadonlyMap<string, string>;
}

export interface RowIssue {
  /** canonical column name, or null for the whole row */
  column: string | null;
  reason: string;
}

export interface CsvKind<In> {
  kind: 'people' | 'credentials';
  columns: readonly ColumnSpec[];
  /** the record from the parsed cells of the columns present; cross-field issues instead */
  build(values: Record<string, unknown>): In | RowIssue[];
  /** duplicate keys within one file are an error; a key is `column \0 what \0 value` */
  keys(value: In): string[];
  /** checks against the database (references, ownership, scope), inside the import's transaction */
  check(
    repos: Repositories,
    tx: Executor,
    rows: readonly ParsedRow<In>[],
    scope: ScopeFilter | undefined,
    options: { givenPinCodes: boolean },
  ): Promise<{ row: ParsedRow<In>; issue: RowIssue }[]>;
  /** writes one checked row through the service layer's writes, raising its events */
  apply(repos: Repositories, value: In, now: number, raise: Raise): Promise<'created' | 'updated'>;
}

export interface ImportOptions {
  encoding?: CsvEncoding;
  /** time zone for local date-times in the file (default Asia/Tokyo) */
  timezone?: string;
  /** check everything, write nothing */
  dryRun?: boolean;
  scope?: ScopeFilter;
  now?: number;
  onProgress?: (done: number, total: number) => void;
  /** stop collecting after this many errors (default 1000) */
  maxErrors?: number;
  /**
   * Accept PIN-only codes written in the file (a migration on the server host, `monban import`).
   * Off by default and never over HTTP: there the server issues PIN-only codes, so nobody can try
   * codes and learn from a refusal which ones work for other people.
   */
  givenPinCodes?: boolean;
  /** where the rows' domain events go (published by the caller once the import is committed) */
  raise?: Raise;
}

export interface ImportReport {
  ok: boolean;
  kind: 'people' | 'credentials';
  encoding: 'utf-8' | 'shift_jis' | null;
  /** data rows in the file (blank lines not counted) */
  rows: number;
  created: number;
  updated: number;
  dryRun: boolean;
  errors: CsvRowError[];
  /** what was written, row by row (for the audit log); empty on failure and dry runs */
  changes: { action: 'create' | 'update'; id: string }[];
}

const normaliseHeader = (h: string) =>
  h
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/[\s_\-・]/g, '');

/** Exports prefix formula-looking cells (apostrophes before them included) with one apostrophe; take it off. */
export function unescapeCell(value: string): string {
  return /^'+[=+\-@\t\r]/.test(value) ? value.slice(1) : value;
}

class Rejected extends Error {
  constructor(readonly errors: CsvRowError[]) {
    super('import rejected');
  }
}
class DryRun extends Error {
  constructor(readonly counts: { created: number; updated: number }) {
    super('dry run');
  }
}

/** Collects errors into the report, up to `maxErrors` (default 1000). */
export function failInto(report: ImportReport, maxErrors = 1000): (error: CsvRowError) => void {
  return (error) => {
    if (report.errors.length < maxErrors) report.errors.push(error);
  };
}

/**
 * Decodes, parses and checks every row of the file on its own (cells, cross-field rules, duplicate
 * keys), counting rows into the report and errors through `fail`. The rows that passed, or
 * undefined when the file as a whole is unreadable (encoding, syntax, header).
 */
export function readCsvRows<In>(
  spec: CsvKind<In>,
  bytes: Uint8Array,
  options: Pick<ImportOptions, 'encoding' | 'timezone'>,
  report: ImportReport,
  fail: (error: CsvRowError) => void,
): ParsedRow<In>[] | undefined {
  let text: string;
  try {
    const decoded = decodeCsv(bytes, options.encoding ?? 'auto');
    report.encoding = decoded.encoding;
    text = decoded.text.startsWith('\uFEFF') ? decoded.text.slice(1) : decoded.text;
  } catch (error) {
    if (!(error instanceof CsvEncodingError)) throw error;
    fail({ row: 1, line: 1, column: null, reason: error.message });
    return undefined;
  }
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    fail({
      row: error.record,
      line: error.line,
      column: null,
      reason: error.message.replace(/^line \d+: /, ''),
    });
    return undefined;
  }
  const zone = timeZone(options.timezone ?? 'Asia/Tokyo');

  // Header: the first record. Each column is known (by name or alias) or an error.
  const header = records[0];
  if (!header || (header.fields.length === 1 && header.fields[0]!.trim() === '')) {
    fail({ row: 1, line: 1, column: null, reason: 'the file is empty: the first row must name the columns' });
    return undefined;
  }
  const lookup = new Map<string, ColumnSpec>();
  for (const c of spec.columns)
    for (const n of [c.name, ...(c.aliases ?? [])]) lookup.set(normaliseHeader(n), c);
  const columns: (ColumnSpec | undefined)[] = [];
  const headers = new Map<string, string>();
  header.fields.forEach((raw, i) => {
    const column = lookup.get(normaliseHeader(raw));
    if (!column) {
      fail({
        row: 1,
        line: header.line,
        column: raw,
        reason: `unknown column; expected ${spec.columns.map((c) => c.name).join(', ')}`,
      });
    } else if (headers.has(column.name)) {
      fail({ row: 1, line: header.line, column: raw, reason: `column ${column.name} appears twice` });
    } else headers.set(column.name, raw);
    columns[i] = column;
  });
  for (const c of spec.columns)
    if (c.required && !headers.has(c.name))
      fail({ row: 1, line: header.line, column: c.name, reason: 'required column is missing' });
  if (report.errors.length > 0) return undefined;

  const cellSchemas = new Map(spec.columns.filter((c) => c.cell).map((c) => [c.name, c.cell!(zone)]));
  const parsed: ParsedRow<In>[] = [];
  const seen = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!;
    const row = r + 1;
    if (record.fields.every((f) => f.trim() === '')) continue;
    report.rows++;
    if (record.fields.length !== header.fields.length) {
      fail({
        row,
        line: record.line,
        column: null,
        reason: `has ${record.fields.length} cells; the header has ${header.fields.length}`,
      });
      continue;
    }
    const values: Record<string, unknown> = {};
    let rowOk = true;
    record.fields.forEach((raw, i) => {
      const column = columns[i]!;
      const schema = cellSchemas.get(column.name);
      if (column.readOnly || !schema) return;
      const result = schema.safeParse(unescapeCell(raw.trim()));
      if (result.success) values[column.name] = result.data;
      else {
        rowOk = false;
        fail({ row, line: record.line, column: header.fields[i]!, reason: result.error.issues[0]!.message });
      }
    });
    if (!rowOk) continue;
    const built = spec.build(values);
    if (Array.isArray(built)) {
      for (const issue of built as RowIssue[])
        fail({
          row,
          line: record.line,
          column: issue.column === null ? null : (headers.get(issue.column) ?? issue.column),
          reason: issue.reason,
        });
      continue;
    }
    const value = built as In;
    let duplicate = false;
    for (const key of spec.keys(value)) {
      const first = seen.get(key);
      if (first !== undefined) {
        duplicate = true;
        const [column, what] = key.split('\u0000') as [string, string, string];
        fail({
          row,
          line: record.line,
          column: headers.get(column) ?? column,
          reason: `the same ${what} as row ${first}`,
        });
      } else seen.set(key, row);
    }
    if (!duplicate) parsed.push({ row, line: record.line, value, headers });
  }
  return parsed;
}

export async function importCsv<In>(
  spec: CsvKind<In>,
  db: Executor,
  installationKey: Uint8Array,
  bytes: Uint8Array,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const report: ImportReport = {
    ok: false,
    kind: spec.kind,
    encoding: null,
    rows: 0,
    created: 0,
    updated: 0,
    dryRun: options.dryRun === true,
    errors: [],
    changes: [],
  };
  const fail = failInto(report, options.maxErrors);
  const parsed = readCsvRows(spec, bytes, options, report, fail);
  if (!parsed) return report;

  // Rows that parsed are still checked against the database, so one run lists every problem.
  const rowErrors = report.errors.length;

  const now = options.now ?? Date.now();
  const raise: Raise = options.raise ?? (() => {});
  try {
    await inTransaction(db, async (tx) => {
      const repos = repositories(tx, installationKey);
      const problems = await spec.check(repos, tx, parsed, options.scope, {
        givenPinCodes: options.givenPinCodes === true,
      });
      if (problems.length > 0 || rowErrors > 0)
        throw new Rejected(
          problems.map(({ row, issue }) => ({
            row: row.row,
            line: row.line,
            column: issue.column === null ? null : (row.headers.get(issue.column) ?? issue.column),
            reason: issue.reason,
          })),
        );
      const counts = { created: 0, updated: 0 };
      const changes: ImportReport['changes'] = [];
      for (const [i, row] of parsed.entries()) {
        try {
          const outcome = await spec.apply(repos, row.value, now, raise);
          counts[outcome]++;
          changes.push({
            action: outcome === 'created' ? 'create' : 'update',
            id: spec.keys(row.value)[0]!.split('\u0000')[2]!,
          });
        } catch (error) {
          if (!(error instanceof StorageError)) throw error;
          // Checked rows rarely fail here; when one does, the transaction is spent: report it and stop.
          throw new Rejected([
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
        options.onProgress?.(i + 1, parsed.length);
      }
      if (options.dryRun) throw new DryRun(counts);
      report.created = counts.created;
      report.updated = counts.updated;
      report.changes = changes;
    });
  } catch (error) {
    if (error instanceof Rejected) {
      for (const e of error.errors) fail(e);
      report.errors.sort((a, b) => a.row - b.row);
      return report;
    }
    if (error instanceof DryRun) {
      report.created = error.counts.created;
      report.updated = error.counts.updated;
      report.ok = true;
      return report;
    }
    throw error;
  }
  report.ok = true;
  return report;
}
