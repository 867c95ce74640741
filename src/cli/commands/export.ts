// `monban export people|credentials`: writes CSV to a file or stdout, in the columns `monban import`
// reads. --bom for Excel (UTF-8 with byte order mark, formula-safe cells); --encoding shift_jis for
// older tools. PINs are never exported.

import { createWriteStream, type WriteStream } from 'node:fs';
import { Argument, type Command, Option } from 'commander';
import { serverConfig } from '../../server/config.ts';
import { encodeCsv } from '../../server/csv/decode.ts';
import { exportCredentials, exportPeople } from '../../server/csv/export.ts';
import { openDatabase } from '../../server/storage/db.ts';
import { repositories } from '../../server/storage/index.ts';
import { installationKeyFor } from '../../server/storage/installation-key.ts';
import type { CsvCommandIO } from './import.ts';

interface ExportOptions {
  out?: string;
  bom?: boolean;
  encoding: 'utf-8' | 'shift_jis';
  timezone: string;
  dataDir?: string;
  databaseUrl?: string;
}

export function registerExportCommand(
  program: Command,
  io: CsvCommandIO = { stdout: process.stdout, stderr: process.stderr },
): void {
  program
    .command('export')
    .description('export people or credentials as CSV (never PINs)')
    .addArgument(new Argument('<kind>', 'what to export').choices(['people', 'credentials']))
    .option('-o, --out <file>', 'write to this file (default: stdout)')
    .option('--bom', 'UTF-8 byte order mark and formula-safe cells, for Excel')
    .addOption(
      new Option('--encoding <encoding>', 'output encoding').choices(['utf-8', 'shift_jis']).default('utf-8'),
    )
    .option('--timezone <zone>', 'time zone for the times written', 'Asia/Tokyo')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(async (kind: 'people' | 'credentials', options: ExportOptions) => {
      const config = serverConfig(process.env, {
        ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
        ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
      });
      const store = await openDatabase(config);
      let file: WriteStream | undefined;
      try {
        const repos = repositories(store.db, installationKeyFor(config));
        const exportOptions = {
          bom: options.bom === true && options.encoding === 'utf-8',
          timezone: options.timezone,
        };
        const chunks =
          kind === 'people' ? exportPeople(repos, exportOptions) : exportCredentials(repos, exportOptions);
        file = options.out ? createWriteStream(options.out, { mode: 0o600 }) : undefined;
        const sink = file ?? io.stdout;
        let rows = -1;
        for await (const chunk of chunks) {
          rows += chunk.split('\r\n').length - 1;
          sink.write(options.encoding === 'shift_jis' ? encodeCsv(chunk, 'shift_jis') : chunk);
        }
        if (file) {
          const done = file;
          await new Promise<void>((resolve, reject) =>
            done.end((error?: Error | null) => (error ? reject(error) : resolve())),
          );
          io.stderr.write(`exported ${rows} ${kind} row(s) to ${options.out}\n`);
        }
      } finally {
        await store.close();
      }
    });
}
