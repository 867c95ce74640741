// `monban audit verify | checkpoint`: the tamper-evident records. `verify` checks the audit chain and
// every controller's event chain against the signed checkpoints outside the database and lists every
// broken span (exit 1), not only the first; `checkpoint` writes a checkpoint now and prints it, to
// keep somewhere off this host.

import type { Command } from 'commander';
import { anchorFileIn, anchorKeys, verifyChains, writeCheckpoint } from '../../server/audit/anchors.ts';
import { serverConfig } from '../../server/config.ts';
import { openStore } from '../../server/storage/db.ts';
import { installationKeyFor } from '../../server/storage/installation-key.ts';

interface Options {
  dataDir?: string;
  databaseUrl?: string;
  anchorFile?: string;
}

function open(options: Options) {
  const config = serverConfig(process.env, options);
  return {
    config,
    keys: anchorKeys(installationKeyFor(config)),
    file: options.anchorFile ?? anchorFileIn(config.dataDir),
  };
}

export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log and event history');
  const common = (command: Command) =>
    command
      .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
      .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
      .option('--anchor-file <file>', 'checkpoint file (default: DATA_DIR/anchors/checkpoints.jsonl)');

  common(
    audit
      .command('verify')
      .description('check both chains against the checkpoints; exits 1 and lists every broken span'),
  ).action(async (options: Options) => {
    const { config, keys, file } = open(options);
    const store = await openStore(config.location);
    try {
      const report = await verifyChains(store.db, keys, file);
      const events = report.events.reduce((n, e) => n + e.records, 0);
      const summary = `${report.audit.records} audit record(s), ${events} event(s) of ${report.events.length} controller(s), ${report.anchors.checkpoints} checkpoint(s)`;
      if (report.ok) {
        console.log(`audit log intact: ${summary}`);
        return;
      }
      console.log(`audit log TAMPERED: ${summary}`);
      for (const span of report.spans) console.log(`  ${span.message}`);
      for (const problem of report.anchors.problems) console.log(`  ${problem}`);
      process.exitCode = 1;
    } finally {
      await store.close();
    }
  });

  common(
    audit.command('checkpoint').description('write a signed checkpoint of the chain heads now and print it'),
  ).action(async (options: Options) => {
    const { config, keys, file } = open(options);
    const store = await openStore(config.location);
    try {
      const written = await writeCheckpoint(store.db, keys, file, Date.now());
      console.log(written ? JSON.stringify(written) : 'nothing changed since the last checkpoint');
    } finally {
      await store.close();
    }
  });
}
