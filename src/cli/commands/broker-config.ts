// `monban broker-config --broker mosquitto|emqx --out DIR`: writes an external broker's logins and
// topic rights for every enrolled controller and the server (src/server/cluster/broker-config.ts),
// so the broker itself holds each controller to its own topics. Run it after enrolling controllers,
// then have the broker reread its files (Mosquitto: SIGHUP). Needs MONBAN_MQTT_LOGIN=derived on
// every `monban serve` (docs/scale-out.md).

import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type BrokerController, emqxConfig, mosquittoConfig } from '../../server/cluster/broker-config.ts';
import { serverConfig } from '../../server/config.ts';
import { enrolledControllers } from '../../server/controllers/link-store.ts';
import { openStore } from '../../server/storage/db.ts';
import { installationKeyFor } from '../../server/storage/installation-key.ts';

interface Options {
  broker: string;
  out: string;
  dataDir?: string;
  databaseUrl?: string;
}

export function registerBrokerConfigCommand(program: Command): void {
  program
    .command('broker-config')
    .description("write an external broker's logins and per-controller topic rights (Mosquitto or EMQX)")
    .requiredOption('--broker <broker>', 'mosquitto or emqx')
    .requiredOption('--out <dir>', 'directory to write the files to (the paths in them point there)')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(async (options: Options) => {
      if (options.broker !== 'mosquitto' && options.broker !== 'emqx') {
        console.error('--broker: mosquitto or emqx');
        process.exitCode = 2;
        return;
      }
      const config = serverConfig(process.env, options);
      const key = installationKeyFor(config);
      const store = await openStore(config.location);
      let controllers: BrokerController[];
      try {
        const enrolled = new Set((await enrolledControllers(store.db)).map((c) => c.controllerId));
        const rows = await store.db
          .selectFrom('controllers')
          .leftJoin('sites', 'sites.id', 'controllers.site')
          .select(['controllers.id as id', 'sites.topic as topic'])
          .execute();
        const fallback = (
          await store.db
            .selectFrom('sites')
            .select('topic')
            .where('id', '=', config.controllers.site)
            .executeTakeFirst()
        )?.topic;
        controllers = rows
          .filter((r) => enrolled.has(r.id))
          .map((r) => ({ controllerId: r.id, topic: r.topic ?? fallback ?? config.controllers.site }));
      } finally {
        await store.close();
      }
      const out = resolve(options.out);
      mkdirSync(out, { recursive: true, mode: 0o700 });
      const files = (options.broker === 'mosquitto' ? mosquittoConfig : emqxConfig)(key, controllers, out);
      for (const file of files) {
        // Written whole, then renamed: a broker rereading never sees half a file.
        const path = join(out, file.name);
        writeFileSync(`${path}.tmp`, file.content, { mode: file.secret ? 0o600 : 0o644 });
        chmodSync(`${path}.tmp`, file.secret ? 0o600 : 0o644);
        renameSync(`${path}.tmp`, path);
      }
      console.log(
        `${options.broker}: ${controllers.length} controller(s) and the server; wrote ${files.map((f) => f.name).join(', ')} to ${out}`,
      );
    });
}
