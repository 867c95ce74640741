// `monban demo`: runs the reference site (a Tokyo office through one working day) on the embedded
// defaults and prints every step, so a new user sees the decision core at work in one command.

import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { runScenarioFiles } from './scenario.ts';

const REFERENCE_SITE = fileURLToPath(
  new URL('../../../scenarios/reference-office-tokyo.yaml', import.meta.url),
);

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the reference site (a Tokyo office, one working day) and print every decision')
    .action(() => {
      const summary = runScenarioFiles([REFERENCE_SITE], true, (text) => console.log(text));
      if (summary.failed > 0) process.exitCode = 1;
    });
}
