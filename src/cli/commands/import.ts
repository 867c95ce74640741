// `monban import FILE.csv`: imports people or credentials from CSV, all or nothing. The kind comes
// from --kind or from the header (a `type` / 種別 column means credentials). UTF-8 (with or without
// BOM) and Shift_JIS/CP932 are detected, or set with --encoding. Errors are listed per row and
// column and nothing is written; PINs are never printed. A progress bar on a terminal, plain
// progress lines otherwise.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { serverConfig } from '../../server/config.ts';
import { credentialsCsv } from '../../server/csv/credentials.ts';
import { CSV_ENCODINGS, type CsvEncoding, decodeCsv, normaliseEncoding } from '../../server/csv/decode.ts';
import { type CsvKind, type ImportReport, importCsv } from '../../server/csv/import.ts';
import { peopleCsv } from '../../server/csv/people.ts';
import { parseCsv } from '../../server/csv/rfc4180.ts';
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

function progressReporter(io: CsvCommandIO, label: string) {
  if (io.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {value}/{total} rows`,
      stream: io.stderr,
      hideCursor: true,
      clearOnComplete: true,
    });
    let started = false;
    return {
      update(done: number, total: number) {
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastPercent = -1;
  return {
    update(done: number, total: number) {
      const percent = Math.floor((done / total) * 10) * 10;
      if (percent !== lastPercent || done === total) {
        lastPercent = percent;
        io.stderr.write(`${label}: ${done}/${total} rows\n`);
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
      const spec = (kind === 'credentials' ? credentialsCsv : peopleCsv) as CsvKind<unknown>;
      const config = serverConfig(process.env, {
        ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
        ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
      });
      const store = await openDatabase(config);
      const progress = progressReporter(io, `importing ${kind}`);
      try {
        const report = await importCsv(spec, store.db, installationKeyFor(config), bytes, {
          encoding,
          timezone: options.timezone,
          dryRun: options.dryRun === true,
          // On the host, a migration may bring its PIN-only codes (the host holds the database anyway).
          givenPinCodes: true,
          onProgress: (done, total) => progress.update(done, total),
        });
        progress.stop();
        if (options.json) {
          const { changes: _changes, ...printable } = report;
          io.stdout.write(`${JSON.stringify(printable, null, 2)}\n`);
        } else {
          const lines = formatReport(basename(file), report);
          (report.ok ? io.stdout : io.stderr).write(`${lines.join('\n')}\n`);
        }
        if (!report.ok) process.exitCode = 1;
      } finally {
        progress.stop();
        await store.close();
      }
    });
}
