// `monban serve`: the management server. Storage in the data directory (SQLite) unless
// MONBAN_DATABASE_URL names PostgreSQL; HTTPS with a generated self-signed certificate unless one is
// configured; on first start a one-time setup token for the first administrator is printed to the
// console. Runs until SIGINT or SIGTERM, then closes the listener before the database.

import type { Command } from 'commander';
import { ConfigError, serverConfig } from '../../server/config.ts';
import { type RunningServer, startServer } from '../../server/serve.ts';

interface ServeOptions {
  dataDir?: string;
  databaseUrl?: string;
  host?: string;
  port?: string;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the management server (HTTPS API, console setup, audit log, alarms)')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL; else SQLite)')
    .option('--host <address>', 'address to listen on (default: MONBAN_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default: MONBAN_PORT or 8443; 0 picks a free one)')
    .action(async (options: ServeOptions) => {
      let running: RunningServer;
      try {
        const config = serverConfig(process.env, {
          ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
          ...(options.databaseUrl !== undefined && { databaseUrl: options.databaseUrl }),
          ...(options.host !== undefined && { host: options.host }),
          ...(options.port !== undefined && { port: Number(options.port) }),
        });
        running = await startServer(config);
      } catch (error) {
        // A bad setting (exit 2) or a start that failed, e.g. the port in use (exit 1): one line, no stack.
        process.stderr.write(`monban serve: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = error instanceof ConfigError ? 2 : 1;
        return;
      }
      process.stderr.write(
        `Monban management server on ${running.url}  (API reference: ${running.url}/api/docs)\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.stderr.write(`${signal}: stopping\n`);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          running.close().then(resolve, (error: unknown) => {
            process.stderr.write(`monban serve: error while stopping: ${String(error)}\n`);
            process.exitCode = 1;
            resolve();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
