// Producing the compliance report for a deployment: open its storage without migrating it or making
// a key, run `monban doctor`'s deployment checks once (the data directory's permissions), build the
// report from the map, record on the audit trail that it was made (when asked: the command line
// does), and close everything again.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anchorFileIn } from '../audit/anchors.ts';
import { recordAudit } from '../audit/store.ts';
import { securityEnv } from '../auth/env.ts';
import type { ServerConfig } from '../config.ts';
import { runDoctor } from '../doctor/checks.ts';
import { chainKeys } from '../storage/chain.ts';
import { openStore } from '../storage/db.ts';
import { loadOrCreateInstallationKey } from '../storage/installation-key.ts';
import { COMPLIANCE_MAP } from './map.ts';
import { buildReport, type ComplianceReport } from './report.ts';
import type { ComplianceMap } from './schema.ts';
import { readTestResults } from './test-results.ts';
import { REPOSITORY_ROOT } from './tests-present.ts';

export interface RunOptions {
  config: ServerConfig;
  env?: Record<string, string | undefined>;
  now?: number;
  /** another map (tests use a temporary one); default: the shipped map */
  map?: ComplianceMap;
  /** where the mapped tests are looked for; default: this repository */
  root?: string;
  anchorFile?: string;
  /** a vitest JSON report of a test run (CI's), for each mapped test's outcome */
  testResults?: string | undefined;
  /**
   * Put the report on the audit trail (`report.compliance`, as every report that names people is):
   * who made it, in which language and format, and its verdicts — never its content.
   */
  audit?: { lang: string; format: string } | undefined;
}

function installationKey(config: ServerConfig): Uint8Array {
  if (config.installationKey) return config.installationKey;
  if (!existsSync(join(config.dataDir, 'installation.key')))
    throw new Error(
      `${join(config.dataDir, 'installation.key')} is missing: not a Monban data directory, or never started`,
    );
  return loadOrCreateInstallationKey(config.dataDir);
}

function version(root: string): string {
  try {
    return String(
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version,
    );
  } catch {
    return 'unknown';
  }
}

export async function complianceReport(options: RunOptions): Promise<ComplianceReport> {
  const { config } = options;
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now();
  const root = options.root ?? REPOSITORY_ROOT;
  const sqliteFile = 'sqliteFile' in config.location ? config.location.sqliteFile : undefined;
  if (sqliteFile && !existsSync(sqliteFile))
    throw new Error(`${sqliteFile} does not exist: nothing to report on`);
  const key = installationKey(config);
  const results = options.testResults ? readTestResults(options.testResults, root) : undefined;
  const doctor = await runDoctor({
    config,
    certPath: securityEnv(env).tls.certPath,
    quick: true,
    now,
    brokerTimeoutMs: 1_000,
  });
  const store = await openStore(config.location, { migrate: false });
  try {
    const report = await buildReport(
      options.map ?? COMPLIANCE_MAP,
      {
        store,
        installationKey: key,
        config,
        env,
        anchorFile: options.anchorFile ?? anchorFileIn(config.dataDir),
        now,
        doctor,
      },
      { root, version: version(root), results },
    );
    if (options.audit) {
      const count = (v: string) => report.items.filter((r) => r.verdict === v).length;
      // After the checks, so the chain they verified is the one before this record.
      await recordAudit(store.db, chainKeys(key).audit, {
        at: Date.now(),
        actor: 'cli',
        source: 'local',
        action: 'report.compliance',
        target: 'compliance',
        detail: {
          ...options.audit,
          items: report.items.length,
          met: count('met'),
          attention: count('attention'),
          notMet: count('not-met'),
          missingTests: report.missing.length,
        },
      });
    }
    return report;
  } finally {
    await store.close();
  }
}
