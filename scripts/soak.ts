// `npm run soak`: a reliability soak with faults (issue 16 §1). A real Mosquitto, one server (SQLite)
// or two (PostgreSQL, leases), several controllers as processes under steady card reads, while a
// chaos driver SIGKILLs controllers, servers and the broker, partitions and slows controllers'
// networks, jumps their clocks and cuts the servers' database connections. At the end it proves from
// storage that no event was lost or duplicated, every expected alarm was raised once and cleared,
// every revocation arrived and held, and no decision came from a policy older than allowed; it
// writes soak.md and soak.json and exits 1 on any violation. See docs/soak.md.
//   npm run soak -- --minutes 30 --controllers 4 --db sqlite|postgres --servers 1|2 --out bench/results
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind } from './soak/chaos.ts';
import { writeReport } from './soak/report.ts';
import { runSoak } from './soak/run.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    controllers: { type: 'string', default: '4' },
    servers: { type: 'string', default: '1' },
    db: { type: 'string', default: 'sqlite' },
    seed: { type: 'string', default: '1' },
    rate: { type: 'string', default: '4' },
    people: { type: 'string', default: '40' },
    'revoke-every': { type: 'string', default: '20' },
    faults: { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
    keep: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`npm run soak: ${message}\n`);
  process.exit(2);
}
const number = (name: string, value: string | undefined, min: number, max: number) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number from ${min} to ${max}`);
  return n;
};

const db =
  values.db === 'postgres'
    ? 'postgres'
    : values.db === 'sqlite'
      ? 'sqlite'
      : fail('--db is sqlite or postgres');
const servers = number('servers', values.servers, 1, 2);
if (servers === 2 && db !== 'postgres')
  fail('--servers 2 needs --db postgres (the scale-out shares PostgreSQL)');
const postgresUrl = process.env.MONBAN_TEST_DATABASE_URL ?? process.env.MONBAN_SOAK_DATABASE_URL;
if (db === 'postgres' && !postgresUrl)
  fail('--db postgres needs MONBAN_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
try {
  execFileSync('which', ['mosquitto'], { stdio: 'ignore' });
} catch {
  fail('the mosquitto binary is not installed (apt-get install mosquitto)');
}
// Faults that need what this run does not have are left out: pg-terminate without PostgreSQL.
// (disk-full needs root for the controllers' own file systems; without, it records "not applied".)
const defaultFaults = FAULT_KINDS.filter((k) => k !== 'pg-terminate' || db === 'postgres');
const faults = values.faults
  ? values.faults.split(',').map((k) => {
      if (!(FAULT_KINDS as readonly string[]).includes(k))
        fail(`unknown fault ${k} (${FAULT_KINDS.join(', ')})`);
      return k as FaultKind;
    })
  : defaultFaults;

const report = await runSoak({
  minutes: number('minutes', values.minutes, 0.5, 24 * 60),
  controllers: number('controllers', values.controllers, 1, 50),
  servers,
  db,
  seed: number('seed', values.seed, 0, 2 ** 32 - 1),
  readsPerSecond: number('rate', values.rate, 0.1, 100),
  people: number('people', values.people, 4, 10_000),
  revokeEverySeconds: number('revoke-every', values['revoke-every'], 1, 3600),
  faults,
  postgresUrl,
  keep: values.keep,
  log: (line) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`),
});
const files = writeReport(values.out, report);
process.stderr.write(
  `soak ${report.passed ? 'passed' : 'FAILED'}: ${report.kills.total} kills, ${report.faults['broker-kill'] ?? 0} broker outages, ${report.verification.totals.stored} events, loss ${report.verification.totals.lost}, duplicates ${report.verification.totals.duplicated}; ${files.md}\n`,
);
for (const v of report.verification.violations.slice(0, 30)) process.stderr.write(`  ${v}\n`);
process.exit(report.passed ? 0 : 1);
