// The `monban` command line: one entry point, one registration per command.
//
// Commands are loaded on demand: `monban controller run` should not load the management server
// (Fastify, storage, the broker) just to register `monban serve`. A controller restarted by its
// supervisor is back at its doors in a fraction of the time that way. Help with no command, or an
// unknown one, loads them all so the full list is shown.

import { Command, CommanderError } from 'commander';

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  admin: async () => (await import('./commands/admin.ts')).registerAdminCommand,
  audit: async () => (await import('./commands/audit.ts')).registerAuditCommand,
  baseline: async () => (await import('./commands/baseline.ts')).registerBaselineCommand,
  backup: async () => (await import('./commands/backup.ts')).registerBackupCommand,
  'broker-config': async () => (await import('./commands/broker-config.ts')).registerBrokerConfigCommand,
  compliance: async () => (await import('./commands/compliance.ts')).registerComplianceCommand,
  controller: async () => (await import('./commands/controller.ts')).registerControllerCommand,
  doctor: async () => (await import('./commands/doctor.ts')).registerDoctorCommand,
  demo: async () => (await import('./commands/demo.ts')).registerDemoCommand,
  'demo-site': async () => (await import('./commands/demo-site.ts')).registerDemoSiteCommand,
  export: async () => (await import('./commands/export.ts')).registerExportCommand,
  import: async () => (await import('./commands/import.ts')).registerImportCommand,
  restore: async () => (await import('./commands/restore.ts')).registerRestoreCommand,
  scenario: async () => (await import('./commands/scenario.ts')).registerScenarioCommand,
  serve: async () => (await import('./commands/serve.ts')).registerServeCommand,
  sim: async () => (await import('./commands/sim.ts')).registerSimCommand,
};

/** The program with the commands `argv` needs: the one it names, or all of them. */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('monban')
    .description('Monban (門番): open-source physical access control')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const named = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? [argv[0]] : undefined;
  for (const name of named ?? Object.keys(COMMANDS)) (await COMMANDS[name]!())(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
}
