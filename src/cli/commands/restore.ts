// `monban restore FILE --data-dir NEW`: a backup into a new data directory, checked before it is put
// in place (src/server/backup/restore.ts). Exit 1 when the archive is refused (wrong passphrase,
// damaged or altered, target not empty: nothing written), and also when the restored audit chains do
// not verify: the copy is then in place, since it is faithfully what was backed up and may be
// evidence, but it must not be taken into service without a look.

import { createReadStream } from 'node:fs';
import type { Command } from 'commander';
import { checkTarget, restoreBackup } from '../../server/backup/restore.ts';
import { serverConfig } from '../../server/config.ts';
import { defaultPassphraseIO, type PassphraseIO, readPassphrase } from './backup-passphrase.ts';

interface Options {
  dataDir?: string;
  databaseUrl?: string;
  passphraseFile?: string;
}

export function registerRestoreCommand(program: Command, io: PassphraseIO = defaultPassphraseIO): void {
  program
    .command('restore')
    .description('restore a backup into a new, empty data directory and verify it (passphrase asked)')
    .argument('<file>', 'the archive written by monban backup')
    .option('--data-dir <dir>', 'the new data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option(
      '--database-url <url>',
      'PostgreSQL backups: the database already restored with pg_restore, to verify against',
    )
    .option('--passphrase-file <file>', 'read the passphrase from the first line of this file')
    .action(async (file: string, options: Options) => {
      const config = serverConfig(process.env, { ...(options.dataDir && { dataDir: options.dataDir }) });
      checkTarget(config.dataDir);
      const passphrase = await readPassphrase(io, { file: options.passphraseFile, confirm: false });
      let result: Awaited<ReturnType<typeof restoreBackup>>;
      try {
        result = await restoreBackup(createReadStream(file), passphrase, config.dataDir, {
          installationKey: config.installationKey,
          databaseUrl: options.databaseUrl,
        });
      } catch (error) {
        io.prompt(`restore refused: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const { manifest, chains } = result;
      io.prompt(
        `restored ${manifest.files.length} file(s) of the backup of ${manifest.createdAt} into ${result.target}\n`,
      );
      if (!chains) {
        io.prompt(
          manifest.database.kind === 'postgres'
            ? '  the database is not in this backup: pg_restore it, then run monban audit verify (docs/operations.md)\n'
            : '',
        );
        return;
      }
      const events = chains.events.reduce((n, e) => n + e.records, 0);
      const summary = `${chains.audit.records} audit record(s), ${events} event(s), ${chains.anchors.checkpoints} checkpoint(s)`;
      if (chains.ok) {
        io.prompt(`  audit log intact: ${summary}\n`);
        return;
      }
      io.prompt(`  audit log does NOT verify: ${summary}\n`);
      for (const span of chains.spans) io.prompt(`    ${span.message}\n`);
      for (const problem of chains.anchors.problems) io.prompt(`    ${problem}\n`);
      process.exitCode = 1;
    });
}
