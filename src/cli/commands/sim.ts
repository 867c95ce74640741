// `monban sim`: a simulated site at a chosen scale against a running server (src/sim/load/run.ts).
//   MONBAN_API_TOKEN=mbt_… npx monban sim --controllers 10 --doors 10 --people 100000 --rate 200 --duration 60
// The server is found from the data directory's lock file (`monban serve` writes its address and
// certificate there) or named with --server and --ca. The API token comes from the environment only,
// never a flag, so it does not show in the process list. Prints progress, then a report (--json for
// machines); exits 1 when a decision was not the expected one or an event did not reach the server.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { lockHolder } from '../../server/data-dir-lock.ts';
import { runSim, type SimReport } from '../../sim/load/run.ts';

interface SimFlags {
  server?: string;
  ca?: string;
  dataDir: string;
  simDir: string;
  controllers: string;
  doors: string;
  people: string;
  rate: string;
  duration: string;
  json?: boolean;
}

function positive(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`--${name} must be a whole number from 1 to ${max}`);
  return n;
}

export function formatSimReport(r: SimReport): string {
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  return [
    `site           ${r.size.controllers} controllers × ${r.size.doorsPerController} doors, ${r.size.people.toLocaleString('en')} people`,
    `reads          ${r.reads.toLocaleString('en')} at ${r.ratePerSecond.toFixed(1)}/s (${r.grants} granted, ${r.denies} denied)`,
    `decision       p50 ${ms(r.decisionMs.p50)}, p99 ${ms(r.decisionMs.p99)}, max ${ms(r.decisionMs.max)} (journaled with fsync)`,
    `delivery       every event acknowledged by the server ${(r.deliveryMs / 1000).toFixed(2)} s after the last read${r.undelivered > 0 ? ` — ${r.undelivered} NOT delivered` : ''}`,
    `unexpected     ${r.unexpected}`,
  ].join('\n');
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description(
      'drive a simulated site at a chosen scale (controllers, doors, people, read rate) against a running server',
    )
    .option('--server <url>', 'the server (default: the one running on --data-dir)')
    .option('--ca <file>', "the server's certificate (default: the one it serves from --data-dir)")
    .option('--data-dir <dir>', "the server's data directory, to find it", './monban-data')
    .option(
      '--sim-dir <dir>',
      'where the simulated controllers keep their identity and journal',
      './monban-sim',
    )
    .option('--controllers <n>', 'controllers', '4')
    .option('--doors <n>', 'doors per controller', '4')
    .option('--people <n>', 'people', '1000')
    .option('--rate <n>', 'card reads per second across the site', '20')
    .option('--duration <s>', 'seconds of card reads', '30')
    .option('--json', 'print the report as JSON')
    .action(async (flags: SimFlags) => {
      try {
        const token = process.env.MONBAN_API_TOKEN;
        if (!token)
          throw new Error('set MONBAN_API_TOKEN to an API token with site and people write permissions');
        const holder = lockHolder(resolve(flags.dataDir));
        const server = flags.server ?? holder?.url;
        if (!server)
          throw new Error(`no server running on ${flags.dataDir}: start one or name it with --server`);
        const caFile = flags.ca ?? holder?.caFile ?? join(resolve(flags.dataDir), 'tls', 'server.crt');
        const ca = server.startsWith('https:') ? readFileSync(caFile, 'utf8') : undefined;
        const report = await runSim({
          server,
          token,
          ca,
          dataDir: resolve(flags.simDir),
          size: {
            controllers: positive('controllers', flags.controllers, 1000),
            doorsPerController: positive('doors', flags.doors, 64),
            people: positive('people', flags.people, 2_000_000),
          },
          rate: positive('rate', flags.rate, 100_000),
          durationSeconds: positive('duration', flags.duration, 86_400),
          progress: (line) => process.stderr.write(`sim: ${line}\n`),
        });
        process.stdout.write(
          flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatSimReport(report)}\n`,
        );
        if (report.unexpected > 0 || report.undelivered > 0) process.exitCode = 1;
      } catch (error) {
        process.stderr.write(`monban sim: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
