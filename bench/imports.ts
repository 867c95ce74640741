// CSV import at DESIGN.md §7 size (issue 11 §3), end to end: a real server (`startServer`, HTTPS,
// its embedded broker) over a real SQLite file and, when MONBAN_BENCH_DATABASE_URL or
// MONBAN_TEST_DATABASE_URL names one, a fresh PostgreSQL database. A 100,000-row people file and then
// a 100,000-row credentials file (one card each) go through the API as import jobs
// (POST /api/import-jobs/…, 202, then GET the job until it ends) while GET /api/health is probed every
// 50 ms. Reported per engine: rows/s per file and for both, the job's phases, and health p50/p99/max
// during the imports against the same probes on the idle server just before (the baseline). A raw
// bulk INSERT of the same rows into the same tables, in the same run, is the floor for rows/s.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ControllerAgent } from '../src/controller/agent.ts';
import { enroll, loadIdentity } from '../src/controller/identity.ts';
import { sha256Hex } from '../src/server/auth/secrets.ts';
import { serverConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/serve.ts';
import { openStore, type StoreLocation } from '../src/server/storage/db.ts';
import { seedAdminToken } from '../test/support/fleet.ts';
import { scratchDatabase } from './scratch-database.ts';
import type { Progress } from './stats.ts';

export interface ProbeStats {
  probes: number;
  /** probes answered with another status than 200 (the server could not answer) */
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

export interface FileRun {
  kind: 'people' | 'credentials';
  rows: number;
  /** from the POST to the job's end as the client saw it */
  ms: number;
  rowsPerSecond: number;
  phasesMs: Record<string, number>;
  health: ProbeStats;
  /** the connected controller's link as the server reported it, read with every job poll */
  linkChecks: number;
  linkDown: number;
}

export interface EngineRun {
  engine: 'sqlite' | 'postgres';
  files: FileRun[];
  /** both files, one after the other */
  rowsPerSecond: number;
  idleHealth: ProbeStats;
  /** every probe during both imports */
  health: ProbeStats;
  baselineMs: number;
  baselineRowsPerSecond: number;
  load: number[];
  /** from the end of the credentials job until the controller granted the last imported card */
  grantAfterMs: number | null;
  /** the controller's link read during both imports, and how often it was not up */
  linkChecks: number;
  linkDown: number;
}

export interface ImportsBenchReport {
  rows: number;
  engines: EngineRun[];
  postgresSkipped?: string;
}

export const IMPORT_TARGETS = { rowsPerSecond: 20_000, healthP99Ms: 100 } as const;

const PROBE_EVERY_MS = 50;

function peopleCsv(rows: number): Buffer {
  const lines = ['id,name,department,levels'];
  for (let i = 0; i < rows; i++) lines.push(`p${i},Person ${i},Dept ${i % 50},office`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

function credentialsCsv(rows: number): Buffer {
  const lines = ['id,personId,type,identifier,label'];
  for (let i = 0; i < rows; i++) lines.push(`c${i},p${i},card,${(10_000_000 + i).toString(16)},badge ${i}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

function stats(samples: number[], failed = 0): ProbeStats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return { probes: s.length, failed, p50: q(0.5), p99: q(0.99), max: s.at(-1) ?? Number.NaN };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// biome-ignore lint/suspicious/noExplicitAny: the bench reads whatever JSON each endpoint answers
type Answer = { status: number; json: any };

function client(base: string, ca: string, token: string) {
  const agents = new Set<Agent>();
  const send = (agent: Agent, method: string, path: string, body?: Buffer, type = 'text/csv') =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          method,
          ca,
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body && { 'content-type': type, 'content-length': String(body.length) }),
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
      req.end(body);
    });
  /** One keep-alive connection per caller, as a monitoring probe or a console would hold. */
  const connection = () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.add(agent);
    return (method: string, path: string, body?: Buffer, type?: string) =>
      send(agent, method, path, body, type);
  };
  return { connection, close: () => agents.forEach((a) => a.destroy()) };
}

type Call = ReturnType<ReturnType<typeof client>['connection']>;

/** Probes GET /api/health every 50 ms until `stop()`; the probes' round trips in ms. */
function prober(call: Call) {
  const samples: number[] = [];
  /** statuses of probes that did not answer 200 */
  const failed: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const t = performance.now();
      const answer = await call('GET', '/api/health');
      const ms = performance.now() - t;
      samples.push(ms);
      if (answer.status !== 200) failed.push(answer.status);
      await sleep(Math.max(0, PROBE_EVERY_MS - ms));
    }
  })();
  return {
    samples,
    failed,
    async stop() {
      running = false;
      await done;
      return samples;
    },
  };
}

async function importFile(
  call: Call,
  health: Call,
  controllerId: string,
  kind: 'people' | 'credentials',
  file: Buffer,
  rows: number,
  progress: Progress,
): Promise<FileRun & { samples: number[] }> {
  const probes = prober(health);
  const t = performance.now();
  const started = await call('POST', `/api/import-jobs/${kind}`, file);
  if (started.status !== 202)
    throw new Error(`import ${kind}: ${started.status} ${JSON.stringify(started.json)}`);
  let job = started.json;
  let lastPhase = '';
  let linkChecks = 0;
  let linkDown = 0;
  while (job.state === 'queued' || job.state === 'running') {
    await sleep(100);
    job = (await call('GET', `/api/import-jobs/${started.json.id}`)).json;
    const status = (await call('GET', `/api/controllers/${controllerId}/status`)).json;
    linkChecks++;
    if (status?.link !== 'up') linkDown++;
    if (job.phase !== lastPhase) progress(`  ${kind}: ${job.phase}…`);
    lastPhase = job.phase;
  }
  const ms = performance.now() - t;
  const samples = await probes.stop();
  if (job.state !== 'succeeded')
    throw new Error(
      `import ${kind} ${job.state}: ${job.error ?? JSON.stringify(job.report?.errors?.slice(0, 3))}`,
    );
  return {
    kind,
    rows,
    ms,
    rowsPerSecond: rows / (ms / 1000),
    phasesMs: job.timings,
    health: stats(samples, probes.failed.length),
    linkChecks,
    linkDown,
    samples,
  };
}

/** The floor: the same rows straight into people, person_levels and credentials, one statement per 500. */
async function rawInsert(location: StoreLocation, rows: number): Promise<number> {
  const store = await openStore(location);
  try {
    const now = Date.now();
    await store.db
      .insertInto('access_levels')
      .values({
        id: 'office',
        name: 'Office',
        schedule_id: null,
        max_threat_level: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const t = performance.now();
    await store.db.transaction().execute(async (tx) => {
      for (let i = 0; i < rows; i += 500) {
        const ids = Array.from({ length: Math.min(500, rows - i) }, (_, j) => i + j);
        await tx
          .insertInto('people')
          .values(
            ids.map((n) => ({
              id: `p${n}`,
              name: `Person ${n}`,
              department: `Dept ${n % 50}`,
              site: null,
              active: 1,
              left_at: null,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
        await tx
          .insertInto('person_levels')
          .values(ids.map((n) => ({ person_id: `p${n}`, level_id: 'office' })))
          .execute();
      }
      for (let i = 0; i < rows; i += 500) {
        const ids = Array.from({ length: Math.min(500, rows - i) }, (_, j) => i + j);
        await tx
          .insertInto('credentials')
          .values(
            ids.map((n) => ({
              id: `c${n}`,
              person_id: `p${n}`,
              type: 'card',
              identifier: (10_000_000 + n).toString(16),
              ref_hash: sha256Hex(`card:${n}`),
              pin_hash: null,
              duress_pin_hash: null,
              state: 'active',
              valid_from: null,
              valid_until: null,
              max_uses: null,
              uses: 0,
              label: `badge ${n}`,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
      }
    });
    return performance.now() - t;
  } finally {
    await store.close();
  }
}

async function runEngine(
  engine: 'sqlite' | 'postgres',
  rows: number,
  databaseUrl: (() => Promise<{ url: string; drop(): Promise<void> }>) | undefined,
  progress: Progress,
): Promise<EngineRun> {
  const dir = mkdtempSync(join(tmpdir(), `monban-bench-imports-${engine}-`));
  const dbs: { url: string; drop(): Promise<void> }[] = [];
  try {
    const serverDb = databaseUrl && (await databaseUrl());
    const baseDb = databaseUrl && (await databaseUrl());
    if (serverDb) dbs.push(serverDb);
    if (baseDb) dbs.push(baseDb);
    progress(`imports ${engine}: baseline, raw insert of ${rows.toLocaleString()} people + credentials…`);
    const baselineMs = await rawInsert(
      baseDb ? { postgresUrl: baseDb.url } : { sqliteFile: join(dir, 'baseline.db') },
      rows,
    );

    const location: StoreLocation = serverDb
      ? { postgresUrl: serverDb.url }
      : { sqliteFile: join(dir, 'monban.db') };
    const token = await seedAdminToken(location);
    const server = await startServer(
      serverConfig({
        MONBAN_DATA_DIR: dir,
        MONBAN_PORT: '0',
        MONBAN_MQTT_PORT: '0',
        MONBAN_LOG_LEVEL: 'silent',
        MONBAN_BODY_LIMIT_MB: '64',
        ...(serverDb && { MONBAN_DATABASE_URL: serverDb.url }),
        MONBAN_INSTALLATION_KEY: randomBytes(32).toString('base64'),
      }),
      { logger: pino({ level: 'silent' }), print: () => {}, background: false },
    );
    const http = client(server.url, readFileSync(join(dir, 'tls', 'server.crt'), 'utf8'), token);
    let agent: ControllerAgent | undefined;
    try {
      const call = http.connection();
      const health = http.connection();
      const json = (method: string, path: string, body: unknown) =>
        call(method, path, Buffer.from(JSON.stringify(body)), 'application/json');
      // One controller with one door of the level every imported person gets, connected through
      // the server's embedded broker: its link must stay up, and the new people reach its snapshot.
      const controllerId = 'ctl-1';
      await json('POST', '/api/sites', { id: 'hq', name: 'HQ' });
      await json('POST', '/api/controllers', { id: controllerId, name: controllerId, site: 'hq' });
      await json('POST', '/api/areas', { id: 'office', name: 'Office', site: 'hq' });
      await json('POST', '/api/doors', {
        id: 'd1',
        name: 'd1',
        fromArea: 'outside',
        toArea: 'office',
        controllerId,
      });
      await json('POST', '/api/access-levels', { id: 'office', name: 'Office', doors: ['d1'] });
      const controllerDir = join(dir, 'controller');
      mkdirSync(controllerDir, { recursive: true });
      const issued = await json('POST', `/api/controllers/${controllerId}/enrollment`, {});
      await enroll({
        dataDir: controllerDir,
        serverUrl: server.url,
        controllerId,
        token: issued.json.token,
        ca: readFileSync(join(dir, 'tls', 'server.crt'), 'utf8'),
      });
      agent = new ControllerAgent({
        dataDir: controllerDir,
        identity: loadIdentity(controllerDir),
        softwareVersion: 'monban-bench',
        io: { setUnlocked: () => {} },
      });
      await agent.start();
      for (let i = 0; ; i++) {
        if ((await call('GET', `/api/controllers/${controllerId}/status`)).json?.link === 'up') break;
        if (i > 300) throw new Error('the controller did not connect');
        await sleep(100);
      }

      progress(`imports ${engine}: health on the idle server…`);
      const idle = prober(health);
      await sleep(3_000);
      const idleHealth = stats(await idle.stop(), idle.failed.length);

      const load = loadavg();
      progress(`imports ${engine}: ${rows.toLocaleString()} people rows…`);
      const people = await importFile(call, health, controllerId, 'people', peopleCsv(rows), rows, progress);
      progress(`imports ${engine}: ${rows.toLocaleString()} credentials rows…`);
      const credentials = await importFile(
        call,
        health,
        controllerId,
        'credentials',
        credentialsCsv(rows),
        rows,
        progress,
      );
      // From the end of the credentials job until the controller grants the last imported card.
      const lastCard = (10_000_000 + rows - 1).toString(16);
      const t = performance.now();
      let grantAfterMs: number | null = null;
      while (performance.now() - t < 180_000) {
        if (agent.present({ door: 'd1', side: 'in', card: lastCard }).result === 'grant') {
          grantAfterMs = performance.now() - t;
          break;
        }
        await sleep(100);
      }
      const check = await call('GET', `/api/credentials/c${rows - 1}`);
      if (check.json?.personId !== `p${rows - 1}`) throw new Error('the last credential was not imported');
      const files = [people, credentials];
      return {
        engine,
        files: files.map(({ samples: _s, ...f }) => f),
        rowsPerSecond: (2 * rows) / ((people.ms + credentials.ms) / 1000),
        idleHealth,
        health: stats(
          [...people.samples, ...credentials.samples],
          people.health.failed + credentials.health.failed,
        ),
        baselineMs,
        baselineRowsPerSecond: (2 * rows) / (baselineMs / 1000),
        grantAfterMs,
        linkChecks: people.linkChecks + credentials.linkChecks,
        linkDown: people.linkDown + credentials.linkDown,
        load: load.map((l) => Math.round(l * 100) / 100),
      };
    } finally {
      await agent?.stop();
      http.close();
      await server.close();
    }
  } finally {
    for (const db of dbs) await db.drop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** MONBAN_BENCH_IMPORT_ENGINES=postgres (or sqlite) runs only that engine. */
export async function runImportsBench(progress: Progress, rows = 100_000): Promise<ImportsBenchReport> {
  const only = process.env.MONBAN_BENCH_IMPORT_ENGINES;
  const engines: EngineRun[] = [];
  if (only !== 'postgres') engines.push(await runEngine('sqlite', rows, undefined, progress));
  if (only === 'sqlite') return { rows, engines };
  const url = process.env.MONBAN_BENCH_DATABASE_URL || process.env.MONBAN_TEST_DATABASE_URL;
  if (!url)
    return { rows, engines, postgresSkipped: 'set MONBAN_BENCH_DATABASE_URL or MONBAN_TEST_DATABASE_URL' };
  engines.push(await runEngine('postgres', rows, () => scratchDatabase(url), progress));
  return { rows, engines };
}
