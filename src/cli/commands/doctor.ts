// `monban doctor`: checks a server deployment and prints one line per check — PASS, WARN, FAIL or
// SKIP with the reason — then a count. Exit code as monitoring plugins use it: 0 all passed (or
// skipped), 1 warnings only, 2 a check failed. It changes nothing (src/server/doctor/checks.ts).

import type { Command } from 'commander';
import { securityEnv } from '../../server/auth/env.ts';
import { serverConfig } from '../../server/config.ts';
import { type CheckResult, runDoctor } from '../../server/doctor/checks.ts';

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' } as const;

export function exitCodeOf(results: readonly CheckResult[]): number {
  if (results.some((r) => r.status === 'fail')) return 2;
  if (results.some((r) => r.status === 'warn')) return 1;
  return 0;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check this deployment: permissions, certificate, clock, broker, database, disk, audit chains, single sign-on',
    )
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .option('--quick', 'skip verifying the audit chains (which reads every record)')
    .option('--json', 'print the results as JSON')
    .action(async (options: { dataDir?: string; databaseUrl?: string; quick?: boolean; json?: boolean }) => {
      const config = serverConfig(process.env, options);
      const security = securityEnv(process.env);
      const results = await runDoctor({
        config,
        certPath: security.tls.certPath,
        oidc: security.oidc,
        ...(options.quick && { quick: true }),
      });
      const code = exitCodeOf(results);
      if (options.json)
        console.log(JSON.stringify({ dataDir: config.dataDir, results, exitCode: code }, null, 2));
      else {
        console.log(`monban doctor: ${config.dataDir}`);
        const width = Math.max(...results.map((r) => r.name.length));
        for (const r of results) console.log(`  ${LABEL[r.status]}  ${r.name.padEnd(width)}  ${r.detail}`);
        const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
        console.log(
          `${count('pass')} passed, ${count('warn')} warning(s), ${count('fail')} failed, ${count('skip')} skipped`,
        );
      }
      process.exitCode = code;
    });
}
