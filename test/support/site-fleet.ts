// A running site as separate processes for the operations tests: `monban serve` with its embedded
// broker over TLS, and `monban controller run --driver sim` per controller, enrolled with one-time
// tokens. The server can be stopped and started again on the same ports and data directory, a
// controller killed (SIGKILL) and started again on its data directory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, apiOk, freePort, MonbanProcess, seedAdminToken, waitFor } from './fleet.ts';

export class SiteFleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'monban-site-'));
  readonly serverDir = join(this.dir, 'server');
  server: MonbanProcess | undefined;
  url = '';
  call!: ReturnType<typeof api>;
  ok!: ReturnType<typeof apiOk>;
  readonly controllers: Record<string, MonbanProcess> = {};
  private token = '';
  private port = 0;
  private mqttPort = 0;
  readonly env: NodeJS.ProcessEnv;

  constructor(extraEnv: NodeJS.ProcessEnv = {}) {
    this.env = { ...process.env, MONBAN_LOG_LEVEL: 'warn', ...extraEnv } as NodeJS.ProcessEnv;
    delete this.env.MONBAN_DATABASE_URL;
    delete this.env.MONBAN_MQTT_URL;
  }

  async startServer(): Promise<void> {
    if (!this.token) {
      this.token = await seedAdminToken(this.serverDir);
      this.port = await freePort();
      this.mqttPort = await freePort();
    }
    const server = new MonbanProcess(['serve', '--data-dir', this.serverDir], {
      ...this.env,
      MONBAN_PORT: String(this.port),
      MONBAN_MQTT_PORT: String(this.mqttPort),
      MONBAN_HEARTBEAT_SECONDS: '1',
      MONBAN_LINK_TIMEOUT_SECONDS: '4',
    });
    this.server = server;
    this.url = await waitFor(
      'the server to listen',
      () => /management server on (https:\/\/\S+)/.exec(server.stderr)?.[1],
      40_000,
    );
    const ca = readFileSync(join(this.serverDir, 'tls', 'server.crt'), 'utf8');
    this.call = api(this.url, ca, this.token);
    this.ok = apiOk(this.call);
  }

  async stopServer(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.server?.stop(signal);
    this.server = undefined;
  }

  /** Registers nothing: enrolls an already registered controller and starts it. */
  async enroll(id: string): Promise<void> {
    const { token } = await this.ok('POST', `/api/controllers/${id}/enrollment`);
    const enroll = new MonbanProcess(
      [
        'controller',
        'enroll',
        '--server',
        this.url,
        '--id',
        id,
        '--ca',
        join(this.serverDir, 'tls', 'server.crt'),
        '--data-dir',
        join(this.dir, id),
      ],
      { ...this.env, MONBAN_ENROLLMENT_TOKEN: token },
    );
    const code = await enroll.exited();
    if (code !== 0) throw new Error(`enroll ${id} failed: ${enroll.stderr}`);
    this.run(id);
  }

  run(id: string): MonbanProcess {
    const process = new MonbanProcess(
      [
        'controller',
        'run',
        '--data-dir',
        join(this.dir, id),
        '--heartbeat-seconds',
        '1',
        '--link-timeout-seconds',
        '4',
      ],
      this.env,
    );
    this.controllers[id] = process;
    return process;
  }

  status = async (id: string) => (await this.controllers[id]!.ask({ status: true })).status!;

  present = async (id: string, door: string, card: string, side: 'in' | 'out' = 'in', type?: string) =>
    (
      await this.controllers[id]!.ask({
        present: { door, side, card, ...(type !== undefined && { type }) },
      })
    ).decision!;

  /** Waits until the controller holds a snapshot at least as new as the server's latest for it. */
  async synced(id: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${id} to hold its current snapshot`,
      async () => {
        const status = (await this.call('GET', `/api/controllers/${id}/status`)).json;
        const local = await this.status(id);
        return local.connected && status.link === 'up' && local.snapshotVersion > 0 && local.snapshotVersion;
      },
      timeoutMs,
      100,
    );
  }

  /** The lock state the controller last drove for a door (false when never driven). */
  unlocked(id: string, door: string): boolean {
    const last = this.controllers[id]!.locks.filter((l) => l.door === door).at(-1);
    return last?.unlocked ?? false;
  }

  async close(): Promise<void> {
    try {
      await Promise.all(Object.values(this.controllers).map((c) => c.stop().catch(() => undefined)));
      await this.server?.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
