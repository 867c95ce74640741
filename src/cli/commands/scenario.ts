// `monban scenario run FILE.yaml [...]`: runs scenario files against the real decision core.
// `monban scenario export`: writes the live configuration as a scenario file, to test a site before a
// change goes live (src/server/export/scenario.ts says what exports how; PINs never in clear).

import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml, stringify } from 'yaml';
import { loadScenario, ScenarioError } from '../../scenario/load.ts';
import { formatResult } from '../../scenario/report.ts';
import { runScenario } from '../../scenario/run.ts';
import { storageConfig } from '../../server/config.ts';
import { exportScenario, ScenarioExportError } from '../../server/export/scenario.ts';
import { openStore } from '../../server/storage/db.ts';
import { DEFAULT_SITE } from '../../server/storage/sites.ts';

export interface ScenarioRunSummary {
  passed: number;
  failed: number;
}

/** Runs files in order and stops at the first failing one, as a test of a site configuration should. */
export function runScenarioFiles(
  files: readonly string[],
  verbose: boolean,
  print: (text: string) => void,
): ScenarioRunSummary {
  let passed = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      print(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return { passed, failed: 1 };
    }
    try {
      const result = runScenario(loadScenario(text, file));
      print(formatResult(result, verbose));
      if (!result.ok) return { passed, failed: 1 };
      passed++;
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      print(`INVALID ${error.message}`);
      return { passed, failed: 1 };
    }
  }
  return { passed, failed: 0 };
}

export function registerScenarioCommand(program: Command): void {
  const scenario = program
    .command('scenario')
    .description('test a site configuration against a timeline of expectations');
  scenario
    .command('run')
    .description(
      'run scenario files (DESIGN.md §6.2, docs/scenarios.md); exits non-zero at the first mismatch',
    )
    .argument('<files...>', 'scenario YAML files')
    .option('-q, --quiet', 'print one line per file instead of every step')
    .action((files: string[], options: { quiet?: boolean }) => {
      const summary = runScenarioFiles(files, !options.quiet, (text) => console.log(text));
      console.log(`scenarios: ${summary.passed} passed, ${summary.failed} failed`);
      if (summary.failed > 0) process.exitCode = 1;
    });
  scenario
    .command('export')
    .description('write the live configuration of a site as a scenario file (PINs as stand-ins)')
    .option('-o, --output <file>', 'write to this file (mode 0600) instead of stdout')
    .option('--site <id>', 'the site to export (needed when doors are at several sites)')
    .option('--timeline <file>', 'append these steps (a YAML list, or a scenario with a timeline)')
    .option('--data-dir <dir>', 'data directory (default: MONBAN_DATA_DIR or ./monban-data)')
    .option('--database-url <url>', 'PostgreSQL URL (default: MONBAN_DATABASE_URL)')
    .action(async (options: ExportOptions) => {
      process.exitCode = await exportScenarioCommand(options, (line) => process.stderr.write(`${line}\n`));
    });
}

export interface ExportOptions {
  output?: string;
  site?: string;
  timeline?: string;
  dataDir?: string;
  databaseUrl?: string;
}

/** The steps of a timeline file as YAML text: a list of steps, or a scenario's `timeline`. */
function timelineText(file: string): string {
  const parsed = parseYaml(readFileSync(file, 'utf8')) as unknown;
  const steps =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'timeline' in parsed
      ? (parsed as { timeline: unknown }).timeline
      : parsed;
  if (!Array.isArray(steps)) throw new ScenarioExportError(`${file}: not a list of timeline steps`);
  return stringify(steps, { lineWidth: 0 });
}

export async function exportScenarioCommand(
  options: ExportOptions,
  say: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let timeline: string | undefined;
  try {
    timeline = options.timeline ? timelineText(options.timeline) : undefined;
  } catch (error) {
    say(`refused: ${(error as Error).message}`);
    return 1;
  }
  const store = await openStore(storageConfig(env, options).location);
  const out = options.output
    ? createWriteStream(options.output, { mode: 0o600 })
    : (process.stdout as NodeJS.WritableStream);
  let people = 0;
  try {
    for await (const chunk of exportScenario(store.db, {
      site: options.site,
      defaultSite: env.MONBAN_SITE ?? DEFAULT_SITE,
      timeline,
      progress: (n) => {
        people = n;
        if (n % 10_000 === 0) say(`… ${n.toLocaleString()} people`);
      },
    }))
      if (!out.write(chunk)) await once(out, 'drain');
  } catch (error) {
    if (!(error instanceof ScenarioExportError)) throw error;
    say(`refused: ${error.message}`);
    return 1;
  } finally {
    await store.close();
    if (options.output) await new Promise<void>((resolve) => out.end(resolve));
  }
  say(`exported ${people.toLocaleString()} people${options.output ? ` to ${options.output}` : ''}`);
  return 0;
}
