// `monban controller`: the door controller agent.
//   monban controller enroll --server URL --id ID [--token-file FILE] [--ca FILE] [--data-dir DIR]
// The one-time token comes from MONBAN_ENROLLMENT_TOKEN, a file, or standard input: never from the
// command line, where every user of the machine could read it in the process list.
//   monban controller run [--data-dir DIR] [--driver sim]
// `run` keeps deciding with the last policy when the server or broker is away, and exits on SIGINT
// or SIGTERM, or with code 75 when the server orders a restart (its supervisor starts it again).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ControllerAgent } from '../../controller/agent.ts';
import { enroll, IdentityError, loadIdentity } from '../../controller/identity.ts';
import { runSimDriver, simDoorIo } from '../../controller/sim-driver.ts';

const SOFTWARE_VERSION = '0.1.0';
export const RESTART_EXIT_CODE = 75;

const dataDirOf = (option: string | undefined) =>
  resolve(option ?? process.env.MONBAN_CONTROLLER_DIR ?? './monban-controller');

/** The enrollment token from a file, the environment or standard input (first line), trimmed. */
async function readToken(file: string | undefined): Promise<string> {
  if (file === undefined && process.env.MONBAN_ENROLLMENT_TOKEN)
    return process.env.MONBAN_ENROLLMENT_TOKEN.trim();
  if (file !== undefined && file !== '-') return readFileSync(file, 'utf8').trim();
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  const token = text.split('\n')[0]?.trim() ?? '';
  if (token === '')
    throw new Error('no enrollment token: set MONBAN_ENROLLMENT_TOKEN, use --token-file, or pipe it in');
  return token;
}

export function registerControllerCommand(program: Command): void {
  const controller = program.command('controller').description('the door controller agent');

  controller
    .command('enroll')
    .description('make this controller a key pair and enroll it with a one-time token from the server')
    .requiredOption('--server <url>', 'management server, e.g. https://10.0.0.5:8443')
    .requiredOption('--id <id>', 'the controller id registered on the server')
    .option(
      '--token-file <file>',
      'file holding the one-time enrollment token, - for standard input (default: MONBAN_ENROLLMENT_TOKEN, else standard input)',
    )
    .option('--ca <file>', "the server's certificate (PEM) to trust, e.g. monban-data/tls/server.crt")
    .option('--mqtt-url <url>', 'reach the broker at this address instead of the one the server names')
    .option(
      '--data-dir <dir>',
      'controller data directory (default: MONBAN_CONTROLLER_DIR or ./monban-controller)',
    )
    .action(
      async (options: {
        server: string;
        id: string;
        tokenFile?: string;
        ca?: string;
        mqttUrl?: string;
        dataDir?: string;
      }) => {
        try {
          const identity = await enroll({
            dataDir: dataDirOf(options.dataDir),
            serverUrl: options.server,
            controllerId: options.id,
            token: await readToken(options.tokenFile),
            ca: options.ca ? readFileSync(options.ca, 'utf8') : undefined,
            mqttUrl: options.mqttUrl,
          });
          console.log(
            `enrolled ${identity.controllerId} at site ${identity.site}; broker ${identity.mqttUrl}`,
          );
        } catch (error) {
          process.stderr.write(`monban controller enroll: ${(error as Error).message}\n`);
          process.exitCode = 1;
        }
      },
    );

  controller
    .command('run')
    .description('run the agent: decide at the doors, journal events, sync with the server')
    .option(
      '--data-dir <dir>',
      'controller data directory (default: MONBAN_CONTROLLER_DIR or ./monban-controller)',
    )
    .option('--driver <driver>', 'I/O driver: sim (JSON lines on stdin and stdout)', 'sim')
    .option('--heartbeat-seconds <n>', 'heartbeat interval', '5')
    .option('--link-timeout-seconds <n>', 'silence before the server link counts as lost', '15')
    .action(
      async (options: {
        dataDir?: string;
        driver: string;
        heartbeatSeconds: string;
        linkTimeoutSeconds: string;
      }) => {
        if (options.driver !== 'sim') {
          process.stderr.write(`monban controller run: unknown driver ${options.driver} (available: sim)\n`);
          process.exitCode = 2;
          return;
        }
        const dataDir = dataDirOf(options.dataDir);
        let agent: ControllerAgent;
        try {
          agent = new ControllerAgent({
            dataDir,
            identity: loadIdentity(dataDir),
            softwareVersion: SOFTWARE_VERSION,
            heartbeatMs: Number(options.heartbeatSeconds) * 1000,
            linkTimeoutMs: Number(options.linkTimeoutSeconds) * 1000,
            log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`),
            onRestart: () => stop(RESTART_EXIT_CODE),
            io: simDoorIo((line) => process.stdout.write(`${line}\n`)),
          });
        } catch (error) {
          if (!(error instanceof IdentityError)) throw error;
          process.stderr.write(`monban controller run: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        let stopping = false;
        let done: () => void = () => {};
        const finished = new Promise<void>((r) => {
          done = r;
        });
        const stop = (code: number) => {
          if (stopping) return;
          stopping = true;
          process.exitCode = code;
          agent.stop().finally(done);
        };
        process.once('SIGINT', () => stop(0));
        process.once('SIGTERM', () => stop(0));
        await agent.start();
        process.stderr.write(`controller ${agent.link.commandTopic.split('/').pop()} running\n`);
        void runSimDriver(agent, process.stdin, (line) => process.stdout.write(`${line}\n`));
        await finished;
        process.stdin.destroy();
      },
    );
}
