// `monban controller`: the door controller agent.
//   monban controller enroll --server URL --id ID [--token-file FILE] [--ca FILE] [--data-dir DIR]
// The one-time token comes from MONBAN_ENROLLMENT_TOKEN, a file, or standard input: never from the
// command line, where every user of the machine could read it in the process list.
//   monban controller run [--data-dir DIR] [--config FILE | --driver sim]
//   monban controller keys list | set-card-key | set-reader-key READER | forget-reader READER
// `run` keeps deciding with the last policy when the server or broker is away, and exits on SIGINT
// or SIGTERM, or with code 75 when the server orders a restart (its supervisor starts it again).
// With --config it drives the hardware the file describes (readers, I/O modules, doors); a file
// that is malformed or inconsistent stops it before any port is opened (exit 2).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type AgentDriver, ControllerAgent } from '../../controller/agent.ts';
import type { ControllerConfig } from '../../controller/config/schema.ts';
import type { DoorIo } from '../../controller/door-io.ts';
import type { HardwareDriver } from '../../controller/drivers/hardware.ts';
import { type ControllerIdentity, enroll, IdentityError, loadIdentity } from '../../controller/identity.ts';
import { runSimDriver, SimClock, simDoorIo } from '../../controller/sim-driver.ts';

// The hardware stack (configuration, key store, drivers) is loaded only when used, so the sim
// driver and `enroll` start as fast as before.
const hardwareModules = async () => {
  const [load, keys, hardware] = await Promise.all([
    import('../../controller/config/load.ts'),
    import('../../controller/keys/key-store.ts'),
    import('../../controller/drivers/hardware.ts'),
  ]);
  return { ...load, ...keys, ...hardware };
};
type HardwareModules = Awaited<ReturnType<typeof hardwareModules>>;

/** An error the operator can act on: printed as it is, exit 2. */
const isOperatorError = (m: HardwareModules | undefined, error: unknown) =>
  error instanceof IdentityError ||
  (m !== undefined &&
    (error instanceof m.ConfigError ||
      error instanceof m.KeyStoreError ||
      error instanceof m.DriverStartError));

const SOFTWARE_VERSION = '0.1.0';
export const RESTART_EXIT_CODE = 75;

const dataDirOf = (option: string | undefined) =>
  resolve(option ?? process.env.MONBAN_CONTROLLER_DIR ?? './monban-controller');

/** The key store, under the passphrase the configuration names (if any). */
function openKeyStore(
  m: HardwareModules,
  dataDir: string,
  identity: ControllerIdentity,
  config: ControllerConfig | undefined,
) {
  const passphrase = m.readPassphrase(config?.keyStore.passphrase);
  return m.FileKeyStore.open({
    dataDir,
    identityKey: identity.privateKey,
    controllerId: identity.controllerId,
    ...(passphrase !== undefined && { passphrase }),
  });
}

/** A key from a file or standard input, as 32 hex digits (never from the command line). */
async function readKey(file: string | undefined): Promise<Uint8Array> {
  let text = '';
  if (file !== undefined && file !== '-') text = readFileSync(file, 'utf8');
  else for await (const chunk of process.stdin) text += String(chunk);
  const hex = text.trim().split('\n')[0]!.trim();
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new IdentityError('a key is 32 hexadecimal digits (16 bytes)');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

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

class MetricsError extends Error {}

/** The opt-in metrics endpoint of a controller (src/controller/metrics.ts on the shared listener). */
async function controllerMetrics(options: {
  metricsPort?: string;
  metricsHost: string;
  metricsTokenFile?: string;
  metricsTlsCert?: string;
  metricsTlsKey?: string;
}) {
  const port = Number(options.metricsPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new MetricsError('--metrics-port must be a port number');
  const [{ ControllerMetrics }, { startMetricsListener, MetricsConfigError }] = await Promise.all([
    import('../../controller/metrics.ts'),
    import('../../server/metrics/listener.ts'),
  ]);
  const metrics = new ControllerMetrics();
  let listener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
  return {
    metrics,
    async start() {
      try {
        listener = await startMetricsListener({
          host: options.metricsHost,
          port,
          scrape: () => metrics.scrape(),
          contentType: metrics.contentType,
          token: options.metricsTokenFile ? readFileSync(options.metricsTokenFile, 'utf8').trim() : undefined,
          tls:
            options.metricsTlsCert && options.metricsTlsKey
              ? { cert: readFileSync(options.metricsTlsCert), key: readFileSync(options.metricsTlsKey) }
              : undefined,
        });
      } catch (error) {
        if (error instanceof MetricsConfigError || (error as NodeJS.ErrnoException).code === 'EADDRINUSE')
          throw new MetricsError((error as Error).message);
        throw error;
      }
      return listener.url;
    },
    stop: async () => listener?.close(),
  };
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
    .option(
      '--config <file>',
      'the hardware configuration (readers, I/O modules, doors); see examples/controller.yaml',
    )
    .option('--driver <driver>', 'without --config: sim (JSON lines on stdin and stdout)', 'sim')
    .option('--heartbeat-seconds <n>', 'heartbeat interval', '5')
    .option('--link-timeout-seconds <n>', 'silence before the server link counts as lost', '15')
    .option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port (default: off)')
    .option(
      '--metrics-host <host>',
      'the metrics address; other than loopback needs the token and TLS files',
      '127.0.0.1',
    )
    .option('--metrics-token-file <file>', 'bearer token scrapers must send (required off loopback)')
    .option('--metrics-tls-cert <file>', 'certificate (PEM) for metrics off loopback')
    .option('--metrics-tls-key <file>', 'its private key (PEM)')
    .action(
      async (options: {
        dataDir?: string;
        config?: string;
        driver: string;
        heartbeatSeconds: string;
        linkTimeoutSeconds: string;
        metricsPort?: string;
        metricsHost: string;
        metricsTokenFile?: string;
        metricsTlsCert?: string;
        metricsTlsKey?: string;
      }) => {
        if (options.config === undefined && options.driver !== 'sim') {
          process.stderr.write(
            `monban controller run: unknown driver ${options.driver} (available: sim, or --config FILE for hardware)\n`,
          );
          process.exitCode = 2;
          return;
        }
        const dataDir = dataDirOf(options.dataDir);
        const log = (entry: Record<string, unknown>) => process.stderr.write(`${JSON.stringify(entry)}\n`);
        let agent: ControllerAgent;
        let hardware: HardwareDriver | undefined;
        let metrics: Awaited<ReturnType<typeof controllerMetrics>> | undefined;
        // Simulated hardware only: a clock the sim driver can offset (soak clock faults).
        const simClock = options.config === undefined ? new SimClock() : undefined;
        const m = options.config !== undefined ? await hardwareModules() : undefined;
        try {
          // The file first: a bad configuration is refused whatever else is wrong.
          const config =
            m && options.config !== undefined ? m.loadControllerConfig(options.config) : undefined;
          const identity = loadIdentity(dataDir);
          if (options.metricsPort !== undefined) metrics = await controllerMetrics(options);
          let io: DoorIo;
          const drivers: AgentDriver[] = [];
          if (m && config && options.config !== undefined) {
            if (config.controller !== undefined && config.controller !== identity.controllerId)
              throw new m.ConfigError(
                options.config,
                1,
                'controller',
                `this file is for ${config.controller}, but this controller is enrolled as ${identity.controllerId}`,
              );
            hardware = new m.HardwareDriver(config, {
              keys: openKeyStore(m, dataDir, identity, config),
              log,
            });
            io = hardware;
            drivers.push(hardware);
          } else {
            io = simDoorIo((line) => process.stdout.write(`${line}\n`));
          }
          agent = new ControllerAgent({
            dataDir,
            identity,
            softwareVersion: SOFTWARE_VERSION,
            heartbeatMs: Number(options.heartbeatSeconds) * 1000,
            linkTimeoutMs: Number(options.linkTimeoutSeconds) * 1000,
            log,
            onRestart: () => stop(RESTART_EXIT_CODE),
            io,
            drivers,
            ...(simClock && { now: simClock.now }),
            ...(metrics && { onEvent: metrics.metrics.event }),
          });
          metrics?.metrics.watch(agent);
        } catch (error) {
          if (!isOperatorError(m, error) && !(error instanceof MetricsError)) throw error;
          process.stderr.write(`monban controller run: ${(error as Error).message}
`);
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
          Promise.all([agent.stop(), metrics?.stop()]).finally(done);
        };
        process.once('SIGINT', () => stop(0));
        process.once('SIGTERM', () => stop(0));
        try {
          await agent.start();
          if (metrics) process.stderr.write(`metrics at ${await metrics.start()}\n`);
        } catch (error) {
          await metrics?.stop();
          if (!isOperatorError(m, error) && !(error instanceof MetricsError)) throw error;
          process.stderr.write(`monban controller run: ${(error as Error).message}
`);
          process.exitCode = 2;
          await agent.stop();
          return;
        }
        process.stderr.write(`controller ${agent.link.commandTopic.split('/').pop()} running\n`);
        if (!hardware)
          void runSimDriver(agent, process.stdin, (line) => process.stdout.write(`${line}\n`), simClock);
        await finished;
        process.stdin.destroy();
      },
    );

  const keys = controller
    .command('keys')
    .description(
      "the controller's key store: reader Secure Channel keys and the card master key (never shown)",
    );
  const withStore = async (
    options: { dataDir?: string; config?: string },
    act: (store: ReturnType<HardwareModules['FileKeyStore']['open']>) => Promise<string> | string,
  ) => {
    const m = await hardwareModules();
    try {
      const dataDir = dataDirOf(options.dataDir);
      const config = options.config !== undefined ? m.loadControllerConfig(options.config) : undefined;
      console.log(await act(openKeyStore(m, dataDir, loadIdentity(dataDir), config)));
    } catch (error) {
      if (!isOperatorError(m, error)) throw error;
      process.stderr.write(`monban controller keys: ${(error as Error).message}\n`);
      process.exitCode = 2;
    }
  };

  const common = (command: Command) =>
    command
      .option(
        '--data-dir <dir>',
        'controller data directory (default: MONBAN_CONTROLLER_DIR or ./monban-controller)',
      )
      .option('--config <file>', 'the configuration file (for its key store passphrase)');
  common(
    keys.command('list').description('which readers have keys, and whether a card master key is held'),
  ).action((options: { dataDir?: string; config?: string }) =>
    withStore(options, (store) =>
      [
        `card master key: ${store.hasCardKey ? 'held' : 'none'}`,
        `readers with a key: ${store.readers.join(', ') || 'none'}`,
      ].join('\n'),
    ),
  );
  common(
    keys
      .command('set-card-key')
      .description('store the card master key: 32 hex digits from --key-file or standard input')
      .option('--key-file <file>', 'file holding the key, - for standard input'),
  ).action((options: { dataDir?: string; config?: string; keyFile?: string }) =>
    withStore(options, async (store) => {
      store.setCardMasterKey(await readKey(options.keyFile));
      return 'card master key stored';
    }),
  );
  common(
    keys
      .command('set-reader-key <reader>')
      .description("store a reader's Secure Channel key (a reader provisioned elsewhere)")
      .option('--key-file <file>', 'file holding the key, - for standard input'),
  ).action((reader: string, options: { dataDir?: string; config?: string; keyFile?: string }) =>
    withStore(options, async (store) => {
      store.confirmReaderKey(reader, await readKey(options.keyFile));
      return `key of reader ${reader} stored`;
    }),
  );
  common(
    keys
      .command('forget-reader <reader>')
      .description('forget a replaced reader; with install: true it is installed again on first contact'),
  ).action((reader: string, options: { dataDir?: string; config?: string }) =>
    withStore(options, (store) =>
      store.forgetReader(reader) ? `key of reader ${reader} forgotten` : `reader ${reader} had no key`,
    ),
  );
}
