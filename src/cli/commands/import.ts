// `monban import FILE.csv`: imports people or credentials from CSV, all or nothing. The kind comes
// from --kind or from the header (a `type` / 種別 column means credentials). UTF-8 (with or without
// BOM) and Shift_JIS/CP932 are detected, or set with --encoding. Errors are listed per row and
// column and nothing is written; PINs are never printed. A progress bar through the import job's
// phases (reading, checking, staging, writing, auditing) on a terminal, plain progress lines
// otherwise.
//
// It never writes behind a running server's back. While `monban serve` runs on the data directory
// (its lock file says so, with its address), the file goes to that server's API with the API token
// in MONBAN_API_TOKEN — as a background import job the CLI follows until it ends, so the server
// keeps answering, revocations reach the controllers at once and every row is audited as that
// token; without a token the import refuses. With no server running it takes the lock itself
// and writes through the same service layer (audited as `cli`); the controllers get the changes
// with their snapshots when the server starts.

import { readFileSync } from 'node:fs';
import { request as plainRequest } from 'node:http';
import { request } from 'node:https';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import pino from 'pino';
import { composeSiteData } from '../../server/compose.ts';
import { serverConfig } from '../../server/config.ts';
import { CSV_ENCODINGS, type CsvEncoding, decodeCsv, normaliseEncoding } from '../../server/csv/decode.ts';
import type { ImportReport } from '../../server/csv/import.ts';
import { parseCsv } from '../../server/csv/rfc4180.ts';
import { DataDirLock, DataDirLocked, type LockInfo } from '../../server/data-dir-lock.ts';
import { openDatabase } from '../../server/storage/db.ts';
import { installationKeyFor } from '../../server/storage/installation-key.ts';

export interface CsvCommandIO {
  stdout: { write(chunk: string | Uint8Array): unknown };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const defaultIO = (): CsvCommandIO => ({ stdout: process.stdout, stderr: process.stderr });

interface ImportOptions {
  kind?: 'people' | 'credentials';
  encoding: string;
  timezone: string;
  dryRun?: boolean;
  json?: boolean;
  dataDir?: string;
  databaseUrl?: string;
}

/** credentials when the header has a type column (type, 種別) or a personId column; else people. */
export function detectKind(bytes: Uint8Array, encoding: CsvEncoding): 'people' | 'credentials' {
  try {
    const { text } = decodeCsv(bytes.subarray(0, 64 * 1024), encoding);
    const firstLine = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/, 1)[0] ?? '';
    const header = (parseCsv(firstLine)[0]?.fields ?? []).map((h) =>
      h.normalize('NFKC').trim().toLowerCase(),
    );
    return header.some((h) => ['type', '種別', 'personid', 'identifier', 'カード番号'].includes(h))
      ? 'credentials'
      : 'people';
  } catch {
    return 'people';
  }
}

/** What the bar says in each phase of an import job (server/imports/pipeline.ts). */
const PHASE_LABELS: Record<string, string> = {
  read: 'reading',
  check: 'checking',
  stage: 'staging',
  switch: 'writing',
  publish: 'auditing',
};

function progressReporter(io: CsvCommandIO, label: string) {
  if (io.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${label} {phase} [{bar}] {value}/{total}`,
      stream: io.stderr,
      hideCursor: true,
      clearOnComplete: true,
    });
    let current: string | undefined;
    return {
      update(done: number, total: number, phase = 'switch') {
        const name = PHASE_LABELS[phase] ?? phase;
        if (current === undefined) bar.start(total, 0, { phase: name });
        else if (current !== phase) bar.setTotal(total);
        current = phase;
        bar.update(done, { phase: name });
      },
      stop: () => current !== undefined && bar.stop(),
    };
  }
  let last = '';
  return {
    update(done: number, total: number, phase = 'switch') {
      const step = `${phase}:${Math.floor((done / Math.max(total, 1)) * 10)}`;
      if (step !== last || done === total) {
        last = step;
        const unit = phase === 'read' ? 'bytes' : 'rows';
        io.stderr.write(`${label}: ${PHASE_LABELS[phase] ?? phase} ${done}/${total} ${unit}\n`);
      }
    },
    stop() {},
  };
}

export function formatReport(file: string, report: ImportReport): string[] {
  if (!report.ok) {
    return [
      `${file}: ${report.errors.length} error(s); nothing was imported`,
      ...report.errors.map(
        (e) =>
          `  row ${e.row}${e.line !== e.row ? ` (line ${e.line})` : ''}${e.column !== null ? `, column ${e.column}` : ''}: ${e.reason}`,
      ),
    ];
  }
  const verb = report.dryRun ? 'would import' : 'imported';
  return [
    `${file}: ${verb} ${report.rows} ${report.kind} row(s): ${report.created} created, ${report.updated} updated (${report.encoding})`,
  ];
}

export function registerImportCommand(program: Command, io: CsvCommandIO = defaultIO()): void {
  program
    .command('import')
    .description('import people or credentials from a CSV file, all or nothing')
    .argument('<file>', 'CSV file (UTF-8 or Shift_JIS)')
    .addOption(
      new Option('--kind <kind>', 'what the file holds (default: from its header)').choices([
        'people',
        'credentials',
      ]),
    )
    .option(
      '--encoding <encoding>',
      `file encoding: ${CSV_ENCODINGS.join(', ')} (also sjis, cp932, utf8)`,
      'auto',
    )
    .option('--timezone <zone>', 'time zone of local date-times in the file', 'Asia/Tokyo')
    .option('--dry-run', 'check everything, write nothing')
    .option('--json', 'print the report as JSON')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(async (file: string, options: ImportOptions) => {
      const encoding = normaliseEncoding(options.encoding);
      if (!encoding) {
        io.stderr.write(`--encoding: unknown encoding; use one of ${CSV_ENCODINGS.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        io.stderr.write(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})\n`);
        process.exitCode = 2;
        return;
      }
      const kind = options.kind ?? detectKind(bytes, encoding);
      const config = serverConfig(process.env, {
        ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
        ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
      });
      const settings = { encoding, timezone: options.timezone, dryRun: options.dryRun === true };
      let lock: DataDirLock;
      try {
        lock = DataDirLock.acquire(config.dataDir, 'import');
      } catch (error) {
        if (!(error instanceof DataDirLocked)) throw error;
        if (error.holder.role !== 'serve') {
          io.stderr.write(`monban import: ${error.message}; try again when it is done\n`);
          process.exitCode = 1;
          return;
        }
        const report = await importThroughServer(error.holder, kind, bytes, settings, io);
        if (report) printReport(io, file, report, options.json === true);
        return;
      }
      const store = await openDatabase(config);
      const siteData = composeSiteData({
        store,
        installationKey: installationKeyFor(config),
        logger: pino({ level: 'silent' }),
      });
      const progress = progressReporter(io, `importing ${kind}`);
      try {
        const report = await siteData.services.csv.import(
          kind,
          bytes,
          {
            ...settings,
            // On the host, a migration may bring its PIN-only codes (the host holds the database anyway).
            givenPinCodes: true,
            onProgress: (done, total, phase) => progress.update(done, total, phase),
          },
          { origin: { actor: `cli:${userInfo().username}`, source: 'cli', via: 'cli' }, scope: 'all' },
        );
        progress.stop();
        printReport(io, file, report, options.json === true);
      } finally {
        progress.stop();
        siteData.close();
        await store.close();
        lock.release();
      }
    });
}

function printReport(io: CsvCommandIO, file: string, report: ImportReport, json: boolean): void {
  if (json) {
    const { changes: _changes, ...printable } = report;
    io.stdout.write(`${JSON.stringify(printable, null, 2)}\n`);
  } else {
    const lines = formatReport(basename(file), report);
    (report.ok ? io.stdout : io.stderr).write(`${lines.join('\n')}\n`);
  }
  if (!report.ok) process.exitCode = 1;
}

/** Sends the file to the running server's CSV endpoint; undefined (after saying why) when it cannot. */
async function importThroughServer(
  server: LockInfo,
  kind: 'people' | 'credentials',
  bytes: Buffer,
  settings: { encoding: CsvEncoding; timezone: string; dryRun: boolean },
  io: CsvCommandIO,
): Promise<ImportReport | undefined> {
  const token = process.env.MONBAN_API_TOKEN;
  const fail = (message: string, code = 1) => {
    io.stderr.write(`monban import: ${message}\n`);
    process.exitCode = code;
    return undefined;
  };
  if (!token)
    return fail(
      `monban serve (pid ${server.pid}${server.url ? `, ${server.url}` : ''}) is running on this data directory; ` +
        'importing behind its back would skip revocations and audit. Set MONBAN_API_TOKEN to an API token ' +
        `with ${kind === 'people' ? 'people' : 'credentials'}:write to import through it, or stop it first.`,
      2,
    );
  if (!server.url) return fail('the server on this data directory is still starting; try again shortly');
  io.stderr.write(`importing ${kind} through the running server at ${server.url}\n`);
  const query = new URLSearchParams({
    encoding: settings.encoding,
    timezone: settings.timezone,
    dryRun: String(settings.dryRun),
  });
  // A background job (202), polled for its progress: the server keeps answering meanwhile.
  let answer: { status: number; body: string };
  try {
    answer = await post(`${server.url}/api/import-jobs/${kind}?${query}`, bytes, token, server.caFile);
  } catch (error) {
    return fail(`cannot reach the server at ${server.url}: ${(error as Error).message}`);
  }
  let job: ImportJobAnswer;
  try {
    job = JSON.parse(answer.body) as ImportJobAnswer;
  } catch {
    return fail(`the server answered HTTP ${answer.status} without JSON`);
  }
  if (answer.status !== 202) {
    const error = (job as unknown as { error?: { code?: string; message?: string } }).error;
    return fail(
      `the server refused the import (HTTP ${answer.status} ${error?.code ?? ''}): ${error?.message ?? ''}`,
    );
  }
  const progress = progressReporter(io, `importing ${kind}`);
  try {
    while (job.state === 'queued' || job.state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const polled = await get(`${server.url}/api/import-jobs/${job.id}`, token, server.caFile);
      if (polled.status !== 200) return fail(`the import job could not be read (HTTP ${polled.status})`);
      job = JSON.parse(polled.body) as ImportJobAnswer;
      if (job.phase !== 'queued') progress.update(job.done, job.total, job.phase);
    }
  } catch (error) {
    return fail(`lost the server at ${server.url}: ${(error as Error).message}`);
  } finally {
    progress.stop();
  }
  if (job.state === 'cancelled') return fail('the import was cancelled; nothing was imported');
  if (!job.report) return fail(`the import failed: ${job.error ?? 'no report'}`);
  return { ...job.report, changes: [] };
}

interface ImportJobAnswer {
  id: string;
  state: string;
  phase: string;
  done: number;
  total: number;
  report: Omit<ImportReport, 'changes'> | null;
  error: string | null;
}

function get(url: string, token: string, caFile?: string): Promise<{ status: number; body: string }> {
  return send('GET', url, undefined, token, caFile);
}

function post(
  url: string,
  body: Buffer,
  token: string,
  caFile?: string,
): Promise<{ status: number; body: string }> {
  return send('POST', url, body, token, caFile);
}

function send(
  method: 'GET' | 'POST',
  url: string,
  body: Buffer | undefined,
  token: string,
  caFile?: string,
): Promise<{ status: number; body: string }> {
  const secure = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const options = {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body && { 'content-type': 'text/csv', 'content-length': String(body.length) }),
      },
      ...(secure && caFile && { ca: readFileSync(caFile, 'utf8') }),
    };
    const req = (secure ? request : plainRequest)(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
