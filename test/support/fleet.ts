// Real processes for the fleet tests: a Mosquitto of the test's own on a free port speaking MQTT over
// TLS (stopped and started again on the same port for outages), `monban serve` and `monban controller
// run` as child processes, and an admin API token put straight into the server's database (as
// `monban admin create` would), so the test drives the server through its HTTPS API.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { securityDb } from '../../src/server/auth/context.ts';
import { newSecretToken, sha256Hex } from '../../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../../src/server/auth/store.ts';
import { openStore, type StoreLocation } from '../../src/server/storage/db.ts';
import { loadOrCreateCertificate } from '../../src/server/transport/certificate.ts';

export const BIN = new URL('../../bin/monban.js', import.meta.url).pathname;

export function mosquittoAvailable(): boolean {
  try {
    execFileSync('which', ['mosquitto'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Mosquitto over TLS on its own port; `stop()` and `start()` again for a broker outage. */
export class TestMosquitto {
  private process: ChildProcess | undefined;
  readonly caFile: string;
  private readonly configFile: string;

  private constructor(
    readonly port: number,
    dir: string,
    cert: { certPath: string; keyPath: string },
  ) {
    this.caFile = cert.certPath;
    this.configFile = join(dir, 'mosquitto.conf');
    writeFileSync(
      this.configFile,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        `certfile ${cert.certPath}`,
        `keyfile ${cert.keyPath}`,
        'tls_version tlsv1.2',
        'user root', // read the test's private files without dropping privileges
        'persistence false',
        '',
      ].join('\n'),
    );
  }

  static async create(dir: string): Promise<TestMosquitto> {
    const cert = await loadOrCreateCertificate(dir, { hostnames: ['127.0.0.1', 'localhost'] });
    const broker = new TestMosquitto(await freePort(), dir, cert);
    await broker.start();
    return broker;
  }

  get url(): string {
    return `mqtts://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn('mosquitto', ['-c', this.configFile], { stdio: 'ignore' });
    await waitFor('mosquitto to listen', () => canConnect(this.port), 10_000);
  }

  async stop(): Promise<void> {
    const p = this.process;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * An admin and an API token for it, straight into the database of a server data directory (or the
 * storage a location names, e.g. PostgreSQL).
 */
export async function seedAdminToken(where: string | StoreLocation): Promise<string> {
  const store = await openStore(typeof where === 'string' ? { sqliteFile: join(where, 'monban.db') } : where);
  try {
    const db = securityDb(store.db);
    const now = Date.now();
    const admin = await createOperator(
      db,
      { username: 'fleet-admin', role: 'admin', passwordHash: 'x' },
      now,
    );
    const token = newSecretToken('mbn_');
    await createApiToken(db, {
      name: 'fleet test',
      tokenHash: sha256Hex(token),
      createdBy: admin.id,
      role: 'admin',
      permissions: [
        'people:read',
        'people:write',
        'credentials:read',
        'credentials:write',
        'site:read',
        'site:write',
        'controllers:read',
        'controllers:write',
        'events:read',
        'alarms:read',
        'alarms:write',
        'audit:read',
        'operations:write',
      ],
      scope: 'all',
      createdAt: now,
      expiresAt: null,
    });
    return token;
  } finally {
    await store.close();
  }
}

/** JSON over HTTPS with a bearer token, trusting one certificate. */
export function api(base: string, ca: string, token: string) {
  // biome-ignore lint/suspicious/noExplicitAny: the tests read whatever JSON each endpoint answers
  return (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          method,
          ca,
          agent: false,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload !== undefined && { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  };
}

/** What the controller's sim driver answers (src/controller/sim-driver.ts). */
export interface AgentAnswer {
  decision?: { result: 'grant' | 'deny'; reason: string; person: string | null; warnings: string[] };
  status?: {
    connected: boolean;
    serverLost: boolean;
    snapshotVersion: number;
    fallback: boolean;
    journalNext: number;
    journalAcknowledged: number;
    journalBlocked?: boolean;
  };
  ok?: boolean;
  error?: string;
}

/** The same call, failing the test on any answer but a success. */
export function apiOk(call: ReturnType<typeof api>) {
  return async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
}

/** The journal sequences of one controller's events on the server (every page), optionally of a type. */
export async function storedSeqs(
  call: ReturnType<typeof api>,
  controllerId: string,
  type?: string,
): Promise<number[]> {
  const seqs: number[] = [];
  let cursor: string | undefined;
  do {
    const query = `limit=500${type ? `&type=${type}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await call('GET', `/api/events?${query}`);
    for (const e of page.json.items) if (e.controllerId === controllerId) seqs.push(e.seq);
    cursor = page.json.next ?? undefined;
  } while (cursor);
  return seqs.sort((a, b) => a - b);
}

/** A `monban` child process speaking JSON lines (the controller's sim driver) or just logging. */
export class MonbanProcess {
  readonly child: ChildProcess;
  stderr = '';
  private buffer = '';
  private readonly waiting: { resolve: (line: AgentAnswer) => void; reject: (error: Error) => void }[] = [];
  readonly lines: AgentAnswer[] = [];
  /** door outputs the controller drove, in order */
  readonly locks: { door: string; unlocked: boolean }[] = [];

  constructor(
    private readonly args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    // Questions still open when the process ends get no answer.
    this.child.once('exit', () => {
      for (const w of this.waiting.splice(0)) w.reject(new Error('the process exited before answering'));
    });
    // A write to the stdin of a process that has just been killed fails with EPIPE, after the
    // write call returned: without a listener that error would end the test run. The question it
    // carried is answered by the exit (rejected above).
    this.child.stdin!.on('error', () => {});
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.startsWith('{')) {
          const parsed = JSON.parse(line) as AgentAnswer & { lock?: { door: string; unlocked: boolean } };
          if (parsed.lock) this.locks.push(parsed.lock);
          else {
            this.lines.push(parsed);
            this.waiting.shift()?.resolve(parsed);
          }
        }
        nl = this.buffer.indexOf('\n');
      }
    });
  }

  /** Sends one JSON line and resolves with the answer line. */
  ask(value: unknown): Promise<AgentAnswer> {
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null || !this.child.stdin!.writable)
        return reject(new Error(`process exited: ${this.stderr.slice(-2000)}`));
      this.waiting.push({ resolve, reject });
      this.child.stdin!.write(`${JSON.stringify(value)}\n`);
    });
  }

  exited(): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Stops the process; one that does not exit within 10 s on SIGTERM is killed, and that is an error. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const exited = this.exited();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return exited;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), 10_000);
    });
    const outcome = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return outcome;
    this.child.kill('SIGKILL');
    await exited;
    throw new Error(`monban ${this.args.join(' ')} did not stop on ${signal}:\n${this.stderr}`);
  }
}
