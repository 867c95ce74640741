// `monban scenario run FILE.yaml [...]`: runs scenario files against the real decision core.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadScenario, ScenarioError } from '../../scenario/load.ts';
import { formatResult } from '../../scenario/report.ts';
import { runScenario } from '../../scenario/run.ts';

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
}
