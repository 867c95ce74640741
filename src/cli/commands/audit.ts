// `monban audit verify`: checks the audit log's hash chain and names the first tampered record.

import type { Command } from 'commander';
import { storageConfig } from '../../server/config.ts';
import { AuditLog } from '../../server/storage/audit-log.ts';
import { openStore } from '../../server/storage/db.ts';

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('check the hash chain; exits 1 and names the first record that does not fit')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(async (options: { dataDir?: string; databaseUrl?: string }) => {
      const config = storageConfig(process.env, options);
      const store = await openStore(config.location);
      try {
        const verdict = await new AuditLog(store.db).verify();
        if (verdict.ok) {
          console.log(`audit log intact: ${verdict.records} record(s)`);
        } else {
          console.log(
            `audit log TAMPERED: ${verdict.problem} (${verdict.records} record(s) before it are intact)`,
          );
          process.exitCode = 1;
        }
      } finally {
        await store.close();
      }
    });
}
