// `monban baseline save | compare`: the configuration baseline before maintenance, and afterwards a
// report of what changed since (IPA g01; src/server/baseline/). Saved baselines are kept in
// DATA_DIR/baselines/ (or --out FILE), sealed under the installation key; `compare` uses the newest
// there unless --baseline names one, and exits 1 when something changed, 0 when nothing did. Both
// are recorded in the audit log.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { recordAudit } from '../../server/audit/store.ts';
import { securityDb } from '../../server/auth/context.ts';
import { type Baseline, checkBaseline, sealBaseline, takeBaseline } from '../../server/baseline/baseline.ts';
import { compareBaselines, reportLines } from '../../server/baseline/compare.ts';
import { serverConfig } from '../../server/config.ts';
import { chainKeys } from '../../server/storage/chain.ts';
import { openStore } from '../../server/storage/db.ts';
import { installationKeyFor } from '../../server/storage/installation-key.ts';

const VERSION = '0.1.0';

interface Common {
  dataDir?: string;
  databaseUrl?: string;
}

async function withSite<T>(
  options: Common,
  run: (ctx: {
    db: ReturnType<typeof securityDb>;
    key: Uint8Array;
    dir: string;
    audit: (action: string, detail: Record<string, unknown>) => Promise<unknown>;
  }) => Promise<T>,
): Promise<T> {
  const config = serverConfig(process.env, options);
  const key = installationKeyFor(config);
  const store = await openStore(config.location);
  try {
    const audit = (action: string, detail: Record<string, unknown>) =>
      recordAudit(store.db, chainKeys(key).audit, {
        at: Date.now(),
        actor: 'cli',
        source: 'local',
        action,
        target: 'configuration',
        detail,
      });
    return await run({ db: securityDb(store.db), key, dir: join(config.dataDir, 'baselines'), audit });
  } finally {
    await store.close();
  }
}

export function registerBaselineCommand(program: Command): void {
  const baseline = program
    .command('baseline')
    .description('the configuration baseline: save it before maintenance, compare after (IPA g01)');
  const common = (command: Command) =>
    command
      .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
      .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)');

  common(
    baseline
      .command('save')
      .description('save the configuration now as the baseline')
      .option('--out <file>', 'write it here instead of DATA_DIR/baselines/')
      .option('--note <text>', 'what it is for, e.g. "before the 2026-12 door maintenance"'),
  ).action((options: Common & { out?: string; note?: string }) =>
    withSite(options, async ({ db, key, dir, audit }) => {
      const now = Date.now();
      const taken = sealBaseline(
        await takeBaseline(db, process.env, {
          now,
          version: VERSION,
          ...(options.note && { note: options.note }),
        }),
        key,
      );
      let file = options.out;
      if (!file) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        file = join(dir, `${taken.takenAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
      }
      writeFileSync(file, `${JSON.stringify(taken, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      const counts = Object.fromEntries(
        Object.entries(taken.sections).map(([s, v]) => [s, Object.keys(v).length]),
      );
      await audit('baseline.save', { file, ...(options.note && { note: options.note }), counts });
      console.log(`baseline saved: ${file}`);
    }),
  );

  common(
    baseline
      .command('compare')
      .description('report what changed in the configuration since the baseline; exit 1 when something did')
      .option(
        '--baseline <file>',
        'the baseline to compare with (default: the newest in DATA_DIR/baselines/)',
      )
      .option('--json', 'print the report as JSON'),
  ).action((options: Common & { baseline?: string; json?: boolean }) =>
    withSite(options, async ({ db, key, dir, audit }) => {
      let file = options.baseline;
      if (!file) {
        const saved = (() => {
          try {
            return readdirSync(dir)
              .filter((f) => f.endsWith('.json'))
              .sort();
          } catch {
            return [];
          }
        })();
        if (saved.length === 0) throw new Error(`no baseline in ${dir}: run monban baseline save first`);
        file = join(dir, saved.at(-1)!);
      }
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Baseline;
      checkBaseline(saved, key);
      const now = await takeBaseline(db, process.env, { now: Date.now(), version: VERSION });
      const report = compareBaselines(saved, now);
      await audit('baseline.compare', {
        file,
        changes: report.sections.map((s) => ({
          section: s.section,
          added: s.added.length,
          removed: s.removed.length,
          changed: s.changed.length,
        })),
      });
      console.log(options.json ? JSON.stringify(report, null, 2) : reportLines(report).join('\n'));
      if (!report.unchanged) process.exitCode = 1;
    }),
  );
}
