// The `monban` command line: one entry point, one registration per command.

import { Command, CommanderError } from 'commander';
import { registerAdminCommand } from './commands/admin.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerControllerCommand } from './commands/controller.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDemoSiteCommand } from './commands/demo-site.ts';
import { registerExportCommand } from './commands/export.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerScenarioCommand } from './commands/scenario.ts';
import { registerServeCommand } from './commands/serve.ts';

export function buildProgram(): Command {
  const program = new Command('monban')
    .description('Monban (門番): open-source physical access control')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerAdminCommand(program);
  registerAuditCommand(program);
  registerControllerCommand(program);
  registerDemoCommand(program);
  registerDemoSiteCommand(program);
  registerExportCommand(program);
  registerImportCommand(program);
  registerScenarioCommand(program);
  registerServeCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}
