// Producing the compliance report for a deployment: open its storage read-only (no migration, no
// key made), run `monban doctor`'s deployment checks once (the data directory's permissions), build
// the report from the map and close everything again.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anchorFileIn } from '../audit/anchors.ts';
import { securityEnv } from '../auth/env.ts';
import type { ServerConfig } from '../config.ts';
import { runDoctor } from '../doctor/checks.ts';
import { openStore } from '../storage/db.ts';
import { loadOrCreateInstallationKey } from '../storage/installation-key.ts';
import { COMPLIANCE_MAP } from './map.ts';
import { buildReport, type ComplianceReport } from './report.ts';
import type { ComplianceMap } from './schema.ts';
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
  const doctor = await runDoctor({
    config,
    certPath: securityEnv(env).tls.certPath,
    quick: true,
    now,
    brokerTimeoutMs: 1_000,
  });
  const store = await openStore(config.location, { migrate: false });
  try {
    return await buildReport(
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
      { root, version: version(root) },
    );
  } finally {
    await store.close();
  }
}
