// The processes under soak, all real: one Mosquitto over TLS on a port of its own, one or two
// `monban serve` (two share a PostgreSQL database of the soak's own and divide the controllers by
// leases), and N `monban controller run` with the simulated driver, each reaching the broker through
// its own LinkProxy (proxy.ts). Every process can be SIGKILLed and started again on the same port
// and data directory, which is what the chaos driver does. The site is built through the HTTPS API;
// the controllers enroll with one-time tokens as in production.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { securityDb } from '../../src/server/auth/context.ts';
import { newSecretToken, sha256Hex } from '../../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../../src/server/auth/store.ts';
import { PERMISSIONS } from '../../src/server/http/principal.ts';
import { openStore, type Store } from '../../src/server/storage/db.ts';
import { loadOrCreateCertificate } from '../../src/server/transport/certificate.ts';
import { api, freePort, MonbanProcess, waitFor } from '../../test/support/fleet.ts';
import { LinkProxy } from './proxy.ts';

export interface StackOptions {
  dir: string;
  controllers: number;
  servers: 1 | 2;
  /** PostgreSQL server URL (a database of the soak's own is made in it); undefined: SQLite */
  postgresUrl: string | undefined;
  people: number;
  heartbeatSeconds: number;
  linkTimeoutSeconds: number;
  /** the site's maximum policy age (whole minutes, as the server takes it) */
  maxAgeMinutes: number;
  /** give each controller's data directory a small file system of its own (for disk-full faults) */
  smallDisks: boolean;
  log: (line: string) => void;
}

/** The size of each controller's own file system when disk-full faults are on. */
const CONTROLLER_DISK = '32m';

export const controllerIds = (n: number) => Array.from({ length: n }, (_, i) => `ctl-${i + 1}`);
export const doorOf = (controllerId: string) => `D${controllerId.slice(4)}`;
export const cardOf = (i: number) => `C-${String(1000 + i)}`;

/** Mosquitto over TLS without persistence; kill() and start() again on the same port. */
class Broker {
  process: ChildProcess | undefined;
  port = 0;
  caFile = '';
  private configFile = '';

  async init(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const cert = await loadOrCreateCertificate(dir, { hostnames: ['127.0.0.1', 'localhost'] });
    this.caFile = cert.certPath;
    this.port = await freePort();
    this.configFile = join(dir, 'mosquitto.conf');
    writeFileSync(
      this.configFile,
      [
        `listener ${this.port} 127.0.0.1`,
        'allow_anonymous true',
        `certfile ${cert.certPath}`,
        `keyfile ${cert.keyPath}`,
        'tls_version tlsv1.2',
        'user root',
        'persistence false',
        'log_type none',
        '',
      ].join('\n'),
    );
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  async start(): Promise<void> {
    this.process = spawn('mosquitto', ['-c', this.configFile], { stdio: 'ignore' });
    await waitFor('mosquitto to listen', () => canConnect(this.port), 20_000, 100);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.process;
    if (!p || !this.running) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }
}

async function canConnect(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ServerSlot {
  name: string;
  dir: string;
  port: number;
  url: string;
  ca: string;
  process: MonbanProcess | undefined;
  /** unexpected exits (not ours): a crash the soak reports */
  crashes: number;
  killedByUs: boolean;
}

export interface ControllerSlot {
  id: string;
  door: string;
  dir: string;
  proxy: LinkProxy;
  process: MonbanProcess | undefined;
  crashes: number;
  killedByUs: boolean;
  /** the last status seen, kept for the verification after a final kill */
  journalNext: number;
  /** its data directory is a tmpfs of its own (mounted by the soak), which a disk-full fault fills */
  ownDisk: boolean;
}

/** A tmpfs of CONTROLLER_DISK at `dir` (root only); false, saying why, when it cannot be made. */
function mountSmallDisk(dir: string, log: (line: string) => void): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${CONTROLLER_DISK}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (error) {
    log(
      `no file system of its own for ${dir} (disk-full faults not applied there): ${(error as Error).message.split('\n')[0]}`,
    );
    return false;
  }
}

function unmount(dir: string, log: (line: string) => void): void {
  try {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  } catch (error) {
    log(`umount ${dir}: ${(error as Error).message.split('\n')[0]}`);
  }
}

export class SoakStack {
  readonly broker = new Broker();
  readonly servers: ServerSlot[] = [];
  readonly controllers: ControllerSlot[] = [];
  token = '';
  private database: string | undefined;
  private installationKey = randomBytes(32).toString('base64');

  constructor(readonly options: StackOptions) {}

  get databaseUrl(): string | undefined {
    if (!this.options.postgresUrl || !this.database) return undefined;
    const u = new URL(this.options.postgresUrl);
    u.pathname = `/${this.database}`;
    return u.toString();
  }

  /** Opens the server's storage from the soak (for seeding and for the verification at the end). */
  openStorage(): Promise<Store> {
    const url = this.databaseUrl;
    return url
      ? openStore({ postgresUrl: url })
      : openStore({ sqliteFile: join(this.servers[0]!.dir, 'monban.db') });
  }

  /** The PostgreSQL database of this soak, as an admin connection (null: SQLite). */
  async postgresAdmin<T>(act: (client: pg.Client, database: string) => Promise<T>): Promise<T | null> {
    if (!this.options.postgresUrl || !this.database) return null;
    const client = new pg.Client({ connectionString: this.options.postgresUrl });
    await client.connect();
    try {
      return await act(client, this.database);
    } finally {
      await client.end();
    }
  }

  async start(): Promise<void> {
    const o = this.options;
    if (o.postgresUrl) {
      this.database = `monban_soak_${randomBytes(5).toString('hex')}`;
      await this.postgresAdmin((c, db) => c.query(`CREATE DATABASE ${db}`));
    }
    await this.broker.init(join(o.dir, 'broker'));
    await this.broker.start();
    for (let i = 0; i < o.servers; i++) {
      const name = `server-${String.fromCharCode(97 + i)}`;
      this.servers.push({
        name,
        dir: join(o.dir, name),
        port: await freePort(),
        url: '',
        ca: '',
        process: undefined,
        crashes: 0,
        killedByUs: false,
      });
    }
    await this.seedToken();
    for (const s of this.servers) await this.startServer(s);
    await this.seedSite();
    for (const id of controllerIds(o.controllers)) {
      const proxy = new LinkProxy(() => this.broker.port, id);
      await proxy.start();
      const slot: ControllerSlot = {
        id,
        door: doorOf(id),
        dir: join(o.dir, id),
        proxy,
        process: undefined,
        crashes: 0,
        killedByUs: false,
        journalNext: 1,
        ownDisk: o.smallDisks && mountSmallDisk(join(o.dir, id), o.log),
      };
      this.controllers.push(slot);
      await this.enroll(slot, this.servers[this.controllers.length % this.servers.length]!);
    }
    for (const c of this.controllers) this.startController(c);
    for (const c of this.controllers) await this.controllerReady(c, 120_000);
  }

  /** An admin and a token for the soak, straight into storage (as `monban admin create` would). */
  private async seedToken(): Promise<void> {
    mkdirSync(this.servers[0]!.dir, { recursive: true });
    const store = await this.openStorage();
    try {
      const db = securityDb(store.db);
      const admin = await createOperator(
        db,
        { username: 'soak-admin', role: 'admin', passwordHash: 'x' },
        Date.now(),
      );
      this.token = newSecretToken('mbn_');
      await createApiToken(db, {
        name: 'soak',
        tokenHash: sha256Hex(this.token),
        createdBy: admin.id,
        role: 'admin',
        permissions: [...PERMISSIONS],
        scope: 'all',
        createdAt: Date.now(),
        expiresAt: null,
      });
    } finally {
      await store.close();
    }
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, MONBAN_LOG_LEVEL: 'warn' };
    delete env.MONBAN_DATABASE_URL;
    const url = this.databaseUrl;
    if (url) {
      env.MONBAN_DATABASE_URL = url;
      env.MONBAN_INSTALLATION_KEY = this.installationKey;
    }
    return env;
  }

  serverRunning(s: ServerSlot): boolean {
    const p = s.process?.child;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  async startServer(s: ServerSlot): Promise<void> {
    const o = this.options;
    s.killedByUs = false;
    const proc = new MonbanProcess(['serve', '--data-dir', s.dir], {
      ...this.env(),
      MONBAN_PORT: String(s.port),
      MONBAN_MQTT_URL: `mqtts://127.0.0.1:${this.broker.port}`,
      MONBAN_MQTT_CA: this.broker.caFile,
      MONBAN_HEARTBEAT_SECONDS: String(o.heartbeatSeconds),
      MONBAN_LINK_TIMEOUT_SECONDS: String(o.linkTimeoutSeconds),
      MONBAN_SNAPSHOT_MAX_AGE_MINUTES: String(o.maxAgeMinutes),
      MONBAN_OFFLINE_FALLBACK: 'deny_all',
      ...(o.servers === 2 && { MONBAN_CLUSTER_LEASE_SECONDS: '3' }),
    });
    s.process = proc;
    proc.child.once('exit', () => {
      if (!s.killedByUs) {
        s.crashes++;
        o.log(`${s.name} exited by itself: ${proc.stderr.slice(-2000)}`);
      }
    });
    s.url = await waitFor(
      `${s.name} to listen`,
      () => {
        if (proc.child.exitCode !== null) throw new Error(`${s.name} exited: ${proc.stderr.slice(-2000)}`);
        return /management server on (https:\/\/\S+)/.exec(proc.stderr)?.[1];
      },
      120_000,
      100,
    );
    s.ca = readFileSync(join(s.dir, 'tls', 'server.crt'), 'utf8');
    // Only what this start printed counts for the next one.
    proc.stderr = '';
  }

  async killServer(s: ServerSlot): Promise<void> {
    if (!s.process || !this.serverRunning(s)) return;
    s.killedByUs = true;
    s.process.child.kill('SIGKILL');
    await s.process.exited();
  }

  /** An API client on a running server (the first that is up), or throws when none is. */
  call(): ReturnType<typeof api> {
    const s = this.servers.find((x) => this.serverRunning(x) && x.url);
    if (!s) throw new Error('no server is running');
    return api(s.url, s.ca, this.token);
  }

  /** An API call retried on the other server or after a moment while servers restart. */
  async request(method: string, path: string, body?: unknown, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const r = await this.call()(method, path, body);
        if (r.status < 500) return r;
        last = new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
      } catch (error) {
        last = error;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  async ok(method: string, path: string, body?: unknown) {
    const r = await this.request(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  private async seedSite(): Promise<void> {
    const ids = controllerIds(this.options.controllers);
    await this.ok('POST', '/api/areas', { id: 'office', name: 'Office' });
    for (const id of ids) {
      await this.ok('POST', '/api/controllers', { id, name: id });
      await this.ok('POST', '/api/doors', {
        id: doorOf(id),
        name: doorOf(id),
        fromArea: 'outside',
        toArea: 'office',
        controllerId: id,
      });
    }
    await this.ok('POST', '/api/access-levels', { id: 'staff', name: 'Staff', doors: ids.map(doorOf) });
    for (let i = 0; i < this.options.people; i++) {
      await this.ok('POST', '/api/people', { id: `p${i}`, name: `Person ${i}`, levels: ['staff'] });
      await this.ok('POST', '/api/credentials', {
        id: `card-${i}`,
        personId: `p${i}`,
        type: 'card',
        identifier: cardOf(i),
      });
    }
  }

  private async enroll(c: ControllerSlot, server: ServerSlot): Promise<void> {
    const { token } = await this.ok('POST', `/api/controllers/${c.id}/enrollment`);
    const p = new MonbanProcess(
      [
        'controller',
        'enroll',
        '--server',
        server.url,
        '--id',
        c.id,
        '--ca',
        join(server.dir, 'tls', 'server.crt'),
        '--mqtt-url',
        `mqtts://127.0.0.1:${c.proxy.port}`,
        '--data-dir',
        c.dir,
      ],
      { ...this.env(), MONBAN_ENROLLMENT_TOKEN: token },
    );
    const code = await p.exited();
    if (code !== 0) throw new Error(`enrolling ${c.id} failed: ${p.stderr}`);
  }

  controllerRunning(c: ControllerSlot): boolean {
    const p = c.process?.child;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  startController(c: ControllerSlot): void {
    const o = this.options;
    c.killedByUs = false;
    const proc = new MonbanProcess(
      [
        'controller',
        'run',
        '--data-dir',
        c.dir,
        '--heartbeat-seconds',
        String(o.heartbeatSeconds),
        '--link-timeout-seconds',
        String(o.linkTimeoutSeconds),
      ],
      this.env(),
    );
    c.process = proc;
    proc.child.once('exit', () => {
      if (!c.killedByUs) {
        c.crashes++;
        o.log(`${c.id} exited by itself: ${proc.stderr.slice(-2000)}`);
      }
    });
  }

  /** Up, answering, and holding a policy from the server. */
  async controllerReady(c: ControllerSlot, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${c.id} to hold a policy`,
      async () => {
        if (!c.process || !this.controllerRunning(c)) return false;
        const s = (await c.process.ask({ status: true })).status;
        if (s) c.journalNext = s.journalNext;
        return s !== undefined && s.snapshotVersion > 0;
      },
      timeoutMs,
      200,
    );
  }

  async killController(c: ControllerSlot): Promise<void> {
    if (!c.process || !this.controllerRunning(c)) return;
    c.killedByUs = true;
    c.process.child.kill('SIGKILL');
    await c.process.exited();
  }

  /** Stops everything (SIGTERM, then SIGKILL), closes the proxies, drops the soak's database. */
  async stop(): Promise<void> {
    for (const c of this.controllers) c.killedByUs = true;
    await Promise.all(this.controllers.map((c) => c.process?.stop().catch(() => this.killController(c))));
    for (const s of this.servers) s.killedByUs = true;
    await Promise.all(this.servers.map((s) => s.process?.stop().catch(() => this.killServer(s))));
    await this.broker.kill('SIGTERM');
    await Promise.all(this.controllers.map((c) => c.proxy.close()));
    for (const c of this.controllers)
      if (c.ownDisk) {
        unmount(c.dir, this.options.log);
        c.ownDisk = false;
      }
  }

  async dropDatabase(): Promise<void> {
    await this.postgresAdmin((c, db) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
  }
}
