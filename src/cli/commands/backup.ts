// `monban backup --out FILE`: an encrypted, consistent backup of the data directory while the server
// runs (src/server/backup/). The archive is written to FILE.partial and renamed when complete, so a
// file named FILE is always a whole backup; `--out -` writes it to stdout for piping elsewhere.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { checkPasswordPolicy } from '../../server/auth/passwords.ts';
import { planBackup } from '../../server/backup/backup.ts';
import { serverConfig } from '../../server/config.ts';
import { defaultPassphraseIO, type PassphraseIO, readPassphrase } from './backup-passphrase.ts';

interface Options {
  out: string;
  dataDir?: string;
  databaseUrl?: string;
  passphraseFile?: string;
}

export function registerBackupCommand(program: Command, io: PassphraseIO = defaultPassphraseIO): void {
  program
    .command('backup')
    .description('encrypted online backup of the database, keys and checkpoints (passphrase asked)')
    .requiredOption('--out <file>', 'the archive to write (refused if it exists); - for stdout')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL): keys only, see docs')
    .option('--passphrase-file <file>', 'read the passphrase from the first line of this file')
    .action(async (options: Options) => {
      const config = serverConfig(process.env, options);
      const toStdout = options.out === '-';
      if (!toStdout && existsSync(options.out)) throw new Error(`${options.out} exists: choose a new file`);
      const passphrase = await readPassphrase(io, { file: options.passphraseFile, confirm: true });
      const problem = checkPasswordPolicy(passphrase, { username: 'monban' });
      if (problem) {
        io.prompt(
          `refused: ${problem}: the passphrase guards every key and card number; use at least 12 characters, hard to guess\n`,
        );
        process.exitCode = 1;
        return;
      }
      const plan = await planBackup(config, passphrase, { destination: toStdout ? 'stdout' : options.out });
      const partial = `${options.out}.partial`;
      const fd = toStdout ? 1 : openSync(partial, 'wx', 0o600);
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const piece of plan.bytes) {
          hash.update(piece);
          size += piece.length;
          for (let at = 0; at < piece.length; ) at += writeSync(fd, piece, at);
        }
        if (!toStdout) {
          fsyncSync(fd);
          closeSync(fd);
          renameSync(partial, options.out);
        }
      } catch (error) {
        if (!toStdout) {
          closeSync(fd);
          rmSync(partial, { force: true });
        }
        throw error;
      }
      const { summary } = plan;
      const lines = [
        `backup written: ${toStdout ? 'stdout' : options.out} (${size} bytes, sha256 ${hash.digest('hex')})`,
        `  ${summary.files.length} file(s): ${summary.files.join(', ')}`,
      ];
      if (config.location && 'postgresUrl' in config.location)
        lines.push('  the PostgreSQL database is not in it: dump it with pg_dump (docs/operations.md)');
      if (config.installationKey)
        lines.push(
          '  the installation key comes from MONBAN_INSTALLATION_KEY and is not in it: keep it apart',
        );
      for (const skipped of summary.skipped)
        lines.push(`  skipped ${skipped} (not a regular file or odd name)`);
      io.prompt(`${lines.join('\n')}\n`);
    });
}
