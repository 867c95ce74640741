// Two `monban serve` instances on one PostgreSQL database and one Mosquitto, four controllers, all
// as separate processes (issue 11 §5). Mosquitto runs the configuration `monban broker-config`
// generates, on a port of the test's own, so the broker itself holds each controller to its topics.
// The test shows:
// - the instances share the controllers out by leases, and either answers any request;
// - an operator's push stream on either server sees the events and door states of every controller,
//   whichever server owns it (the live relay), and an event id of one server resumes nothing on the
//   other (a resync event instead);
// - the broker refuses a wrong password and keeps a controller off another controller's topics;
// - with one server SIGKILLed while the controllers keep reading cards, every controller is taken
//   over by the other, every journaled event is stored exactly once, and a revocation made after the
//   kill still reaches every controller.
// Skipped, saying so, without mosquitto or without MONBAN_TEST_DATABASE_URL.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityDb } from '../../src/server/auth/context.ts';
import { newSecretToken, sha256Hex } from '../../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../../src/server/auth/store.ts';
import { brokerPassword, SERVER_BROKER_USER } from '../../src/server/cluster/broker-credentials.ts';
import { openStore } from '../../src/server/storage/db.ts';
import { loadOrCreateCertificate } from '../../src/server/transport/certificate.ts';
import {
  api,
  apiOk,
  BIN,
  freePort,
  MonbanProcess,
  mosquittoAvailable,
  storedSeqs,
  waitFor,
} from '../support/fleet.ts';

const PG_URL = process.env.MONBAN_TEST_DATABASE_URL;
const available = mosquittoAvailable() && PG_URL !== undefined;
if (!available)
  console.warn(
    'scale-out test skipped: it needs the mosquitto binary and MONBAN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres',
  );

const CONTROLLERS = ['ctl-1', 'ctl-2', 'ctl-3', 'ctl-4'];
const doorOf = (id: string) => `D${id.slice(4)}`;

describe.skipIf(!available)('two servers, PostgreSQL, Mosquitto and four controllers as processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-scale-out-'));
  const brokerDir = join(dir, 'broker');
  const database = `monban_scaleout_${randomBytes(5).toString('hex')}`;
  const dbUrl = (() => {
    const u = new URL(PG_URL ?? 'postgres://localhost/x');
    u.pathname = `/${database}`;
    return u.toString();
  })();
  const installationKey = randomBytes(32);
  const env = {
    ...process.env,
    MONBAN_LOG_LEVEL: 'info',
    MONBAN_INSTALLATION_KEY: installationKey.toString('base64'),
    MONBAN_DATABASE_URL: dbUrl,
  } as NodeJS.ProcessEnv;
  let mosquitto: ChildProcess | undefined;
  let brokerPort = 0;
  let brokerCa = '';
  const servers: { process: MonbanProcess; url: string; ca: string; call: ReturnType<typeof api> }[] = [];
  const controllers: Record<string, MonbanProcess> = {};
  let token = '';

  const status = async (id: string) => (await controllers[id]!.ask({ status: true })).status!;
  const present = async (id: string, card: string) =>
    (await controllers[id]!.ask({ present: { door: doorOf(id), side: 'in', card } })).decision!;
  const leases = async () => {
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    try {
      const rows = await client.query<{ controller_id: string; owner: string }>(
        'SELECT controller_id, owner FROM controller_leases WHERE expires_at > (extract(epoch from clock_timestamp()) * 1000)::bigint',
      );
      return new Map(rows.rows.map((r) => [r.controller_id, r.owner]));
    } finally {
      await client.end();
    }
  };
  /** The instance ids carry the process id: the server process that owns a controller. */
  const ownerPid = (owner: string | undefined) => (owner ? Number(owner.split('-').at(-2)) : undefined);

  /** A push-stream client on one server: every event as it arrives (id, kind, data). */
  async function openStream(server: (typeof servers)[number], lastEventId?: string) {
    // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever each event carries
    const events: { id: string | undefined; event: string; data: any }[] = [];
    let buffer = '';
    const req = request(`${server.url}/api/live/stream`, {
      ca: server.ca,
      agent: false,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
        ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
      },
    });
    await new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        expect(res.statusCode).toBe(200);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data)
              events.push({ id: /^id: (.*)$/m.exec(block)?.[1], event, data: JSON.parse(data) });
          }
        });
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
    return { events, close: () => req.destroy() };
  }

  const brokerConfig = () =>
    execFileSync(process.execPath, [BIN, 'broker-config', '--broker', 'mosquitto', '--out', brokerDir], {
      env,
      encoding: 'utf8',
    });

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    // The schema, an admin and an API token, as `monban admin create` would make them.
    const store = await openStore({ postgresUrl: dbUrl });
    try {
      const db = securityDb(store.db);
      const operator = await createOperator(
        db,
        { username: 'scale-admin', role: 'admin', passwordHash: 'x' },
        Date.now(),
      );
      token = newSecretToken('mbn_');
      await createApiToken(db, {
        name: 'scale-out test',
        tokenHash: sha256Hex(token),
        createdBy: operator.id,
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
        ],
        scope: 'all',
        createdAt: Date.now(),
        expiresAt: null,
      });
    } finally {
      await store.close();
    }

    // Mosquitto with the generated logins and rights (only the server's, before any enrollment).
    const cert = await loadOrCreateCertificate(brokerDir, { hostnames: ['127.0.0.1', 'localhost'] });
    brokerCa = cert.certPath;
    brokerPort = await freePort();
    brokerConfig();
    writeFileSync(
      join(brokerDir, 'mosquitto.conf'),
      [
        readFileSync(join(brokerDir, 'monban-mosquitto.conf'), 'utf8'),
        `listener ${brokerPort} 127.0.0.1`,
        `certfile ${cert.certPath}`,
        `keyfile ${cert.keyPath}`,
        'tls_version tlsv1.2',
        'user root',
        'persistence false',
        '',
      ].join('\n'),
    );
    mosquitto = spawn('mosquitto', ['-c', join(brokerDir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitFor('mosquitto to listen', () => canLogin(SERVER_BROKER_USER), 15_000, 200);

    for (const name of ['server-a', 'server-b']) {
      const process = new MonbanProcess(['serve', '--data-dir', join(dir, name)], {
        ...env,
        MONBAN_PORT: String(await freePort()),
        MONBAN_MQTT_URL: `mqtts://127.0.0.1:${brokerPort}`,
        MONBAN_MQTT_CA: brokerCa,
        MONBAN_MQTT_LOGIN: 'derived',
        MONBAN_CLUSTER_LEASE_SECONDS: '3',
        MONBAN_HEARTBEAT_SECONDS: '1',
        MONBAN_LINK_TIMEOUT_SECONDS: '5',
      });
      const url = await waitFor(
        `${name} to listen`,
        () => /management server on (https:\/\/\S+)/.exec(process.stderr)?.[1],
        60_000,
        100,
      );
      const ca = readFileSync(join(dir, name, 'tls', 'server.crt'), 'utf8');
      servers.push({ process, url, ca, call: api(url, ca, token) });
    }

    // The site through server A; half the enrollments through server B.
    const ok = apiOk(servers[0]!.call);
    await ok('POST', '/api/areas', { id: 'office', name: 'Office' });
    for (const id of CONTROLLERS) {
      await ok('POST', '/api/controllers', { id, name: id });
      await ok('POST', '/api/doors', {
        id: doorOf(id),
        name: doorOf(id),
        fromArea: 'outside',
        toArea: 'office',
        controllerId: id,
      });
    }
    await ok('POST', '/api/access-levels', { id: 'staff', name: 'Staff', doors: CONTROLLERS.map(doorOf) });
    for (const [person, card] of [
      ['alice', 'C-1001'],
      ['bob', 'C-2002'],
    ] as const) {
      await ok('POST', '/api/people', { id: person, name: person, levels: ['staff'] });
      await ok('POST', '/api/credentials', {
        id: `${person}-card`,
        personId: person,
        type: 'card',
        identifier: card,
      });
    }
    for (const [i, id] of CONTROLLERS.entries()) {
      const server = servers[i % 2]!;
      const { token: enrollment } = await apiOk(server.call)('POST', `/api/controllers/${id}/enrollment`);
      const enroll = new MonbanProcess(
        [
          'controller',
          'enroll',
          '--server',
          server.url,
          '--id',
          id,
          '--ca',
          join(dir, i % 2 ? 'server-b' : 'server-a', 'tls', 'server.crt'),
          '--data-dir',
          join(dir, id),
        ],
        { ...env, MONBAN_ENROLLMENT_TOKEN: enrollment },
      );
      expect(await enroll.exited(), enroll.stderr).toBe(0);
    }
    // The broker learns the controllers' logins and rights: regenerate, then Mosquitto rereads.
    brokerConfig();
    mosquitto.kill('SIGHUP');
    await waitFor('the broker to know ctl-1', () => canLogin('ctl-1'), 15_000, 200);
    for (const id of CONTROLLERS)
      controllers[id] = new MonbanProcess(
        [
          'controller',
          'run',
          '--data-dir',
          join(dir, id),
          '--heartbeat-seconds',
          '1',
          '--link-timeout-seconds',
          '5',
        ],
        env,
      );
    for (const id of CONTROLLERS)
      await waitFor(
        `${id} to receive its snapshot`,
        async () => (await status(id)).snapshotVersion > 0,
        60_000,
        200,
      );
  }, 240_000);

  afterAll(async () => {
    try {
      await Promise.all(Object.values(controllers).map((c) => c.stop('SIGTERM').catch(() => {})));
      await Promise.all(servers.map((s) => s.process.stop('SIGTERM').catch(() => {})));
    } finally {
      if (mosquitto && mosquitto.exitCode === null) {
        const exited = new Promise((r) => mosquitto!.once('exit', r));
        mosquitto.kill('SIGTERM');
        await exited;
      }
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  /** Whether `user` can log in to the test broker with its derived password. */
  async function canLogin(user: string, password = brokerPassword(installationKey, user)): Promise<boolean> {
    try {
      const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${brokerPort}`, {
        ca: readFileSync(brokerCa),
        username: user,
        password,
        protocolVersion: 5,
        reconnectPeriod: 0,
        connectTimeout: 3_000,
      });
      await client.endAsync(true);
      return true;
    } catch {
      return false;
    }
  }

  it('shares the controllers out by leases, and either server answers any request', async () => {
    const pids = servers.map((s) => s.process.child.pid);
    const owned = await waitFor(
      'both servers to own two controllers each',
      async () => {
        const owners = await leases();
        const counts = pids.map((pid) => CONTROLLERS.filter((c) => ownerPid(owners.get(c)) === pid).length);
        return counts.every((n) => n === 2) && owners;
      },
      60_000,
      500,
    );
    expect(owned.size).toBe(4);
    // A grant at every controller, then its event through either server's API.
    for (const id of CONTROLLERS)
      expect(await present(id, 'C-1001')).toMatchObject({ result: 'grant', person: 'alice' });
    for (const server of servers)
      await waitFor(
        'the grants through this server',
        async () => {
          const page = await server.call('GET', '/api/events?person=alice&limit=100');
          return (
            new Set((page.json.items as { controllerId: string }[]).map((e) => e.controllerId)).size === 4
          );
        },
        30_000,
        250,
      );
  }, 120_000);

  it('shows every controller on a push stream of either server, whoever owns it', async () => {
    const owners = await leases();
    const streams = await Promise.all(servers.map((server) => openStream(server)));
    try {
      const at = Date.now();
      for (const id of CONTROLLERS)
        expect(await present(id, 'C-1001')).toMatchObject({ result: 'grant', person: 'alice' });
      for (const [i, stream] of streams.entries()) {
        const pid = servers[i]!.process.child.pid;
        // Each server owns two: the other two's events come through the relay.
        expect(CONTROLLERS.filter((c) => ownerPid(owners.get(c)) !== pid)).toHaveLength(2);
        const grants = await waitFor(
          `server ${i}'s stream to show a grant at every controller`,
          () => {
            const seen = stream.events.filter(
              (e) =>
                e.event === 'access' && e.data.personId === 'alice' && Date.parse(e.data.at) >= at - 1_000,
            );
            return new Set(seen.map((e) => e.data.controllerId)).size === 4 && seen;
          },
          30_000,
          100,
        );
        // In the order the server numbered them, each id once.
        const ids = stream.events.map((e) => Number(e.id));
        expect(ids).toEqual([...ids].sort((x, y) => x - y));
        expect(new Set(ids).size).toBe(ids.length);
        expect(grants.every((e) => e.data.door === doorOf(e.data.controllerId))).toBe(true);
      }
      // Door states too: each server shows every door as its controller last reported it.
      for (const server of servers)
        await waitFor(
          'every door reported, on each server',
          async () => {
            const doors = (await server.call('GET', '/api/live/doors')).json.items as {
              door: string;
              state: string;
              reportedAt: string | null;
            }[];
            return CONTROLLERS.every((c) =>
              doors.some((d) => d.door === doorOf(c) && d.state !== 'offline' && d.reportedAt !== null),
            );
          },
          30_000,
          250,
        );
      // An id of server A means nothing to server B: nothing replayed, a resync event instead.
      const lastOfA = streams[0]!.events.at(-1)!.id!;
      const resumed = await openStream(servers[1]!, lastOfA);
      try {
        await waitFor('the resync event', () => resumed.events.some((e) => e.event === 'resync'), 10_000);
        const before = Date.now();
        expect(await present('ctl-1', 'C-1001')).toMatchObject({ result: 'grant' });
        await waitFor(
          'the next grant',
          () => resumed.events.some((e) => e.event === 'access' && e.data.controllerId === 'ctl-1'),
          30_000,
          100,
        );
        expect(resumed.events[0]?.event).toBe('resync');
        // Nothing of what server B had before was replayed: only what happened after.
        for (const e of resumed.events.slice(1))
          expect(Date.parse(e.data.at)).toBeGreaterThanOrEqual(before - 1_000);
      } finally {
        resumed.close();
      }
    } finally {
      for (const stream of streams) stream.close();
    }
  }, 120_000);

  it('has the broker refuse a wrong password and keep a controller off another’s topics', async () => {
    expect(await canLogin('ctl-1', 'not-the-password')).toBe(false);
    const ca = readFileSync(brokerCa);
    const url = `mqtts://127.0.0.1:${brokerPort}`;
    const watcher = await mqtt.connectAsync(url, {
      ca,
      username: SERVER_BROKER_USER,
      password: brokerPassword(installationKey, SERVER_BROKER_USER),
      protocolVersion: 5,
      clientId: `watch-${randomBytes(3).toString('hex')}`,
    });
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    await watcher.subscribeAsync('monban/main/controllers/+/probe', { qos: 1 });
    const rogue = await mqtt.connectAsync(url, {
      ca,
      username: 'ctl-1',
      password: brokerPassword(installationKey, 'ctl-1'),
      protocolVersion: 5,
      clientId: `rogue-${randomBytes(3).toString('hex')}`,
    });
    try {
      // Reading another controller's commands: the broker delivers none of them to it.
      const heard: string[] = [];
      rogue.on('message', (topic) => heard.push(topic));
      await rogue.subscribeAsync('monban/main/server/commands/#', { qos: 1 });
      await watcher.publishAsync('monban/main/server/commands/ctl-2/probe', 'for ctl-2 only', { qos: 1 });
      // Publishing as another controller: dropped by the broker; its own topic goes through.
      await rogue.publishAsync('monban/main/controllers/ctl-2/probe', 'forged', { qos: 1 }).catch(() => {});
      await rogue.publishAsync('monban/main/controllers/ctl-1/probe', 'own', { qos: 1 });
      await waitFor(
        'its own topic to be delivered',
        () => seen.includes('monban/main/controllers/ctl-1/probe'),
        10_000,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      expect(seen).not.toContain('monban/main/controllers/ctl-2/probe');
      // It does hear its own commands (the server's heartbeats to ctl-1), and nothing else.
      await waitFor('its own commands', () => heard.includes('monban/main/server/commands/ctl-1'), 10_000);
      expect(heard.filter((t) => t !== 'monban/main/server/commands/ctl-1')).toEqual([]);
    } finally {
      await rogue.endAsync(true);
      await watcher.endAsync(true);
    }
  }, 60_000);

  it('takes every controller over when a server is SIGKILLed mid-stream: no event lost or doubled, revocations still arrive', async () => {
    const owners = await leases();
    const victim = servers.find((s) => ownerPid(owners.get('ctl-1')) === s.process.child.pid)!;
    const survivor = servers.find((s) => s !== victim)!;
    // Card reads at every controller, with the kill in the middle of them.
    for (let round = 0; round < 30; round++) {
      if (round === 10) victim.process.child.kill('SIGKILL');
      await Promise.all(
        CONTROLLERS.map(async (id) =>
          expect((await present(id, round % 2 ? 'C-1001' : 'C-2002')).result).toBe('grant'),
        ),
      );
    }
    await victim.process.exited();
    const survivorPid = survivor.process.child.pid;
    const started = Date.now();
    await waitFor(
      'the survivor to own every controller',
      async () => {
        const now = await leases();
        return CONTROLLERS.every((c) => ownerPid(now.get(c)) === survivorPid);
      },
      60_000,
      250,
    );
    console.info(`every controller re-owned ${Date.now() - started} ms after the killed server's last reads`);
    for (const id of CONTROLLERS) {
      const { journalNext } = await status(id);
      await waitFor(
        `${id}'s journal to be acknowledged`,
        async () => (await status(id)).journalAcknowledged >= journalNext - 1,
        60_000,
        250,
      );
      const seqs = await storedSeqs(survivor.call, id);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs.slice(0, journalNext - 1)).toEqual(
        Array.from({ length: journalNext - 1 }, (_, i) => i + 1),
      );
    }
    // A revocation through the survivor reaches every controller.
    expect((await survivor.call('PATCH', '/api/credentials/bob-card', { state: 'revoked' })).status).toBe(
      200,
    );
    await Promise.all(
      CONTROLLERS.map((id) =>
        waitFor(
          `${id} to deny the revoked card`,
          async () => (await present(id, 'C-2002')).result === 'deny',
          30_000,
          100,
        ),
      ),
    );
    expect((await present('ctl-1', 'C-1001')).result).toBe('grant');
  }, 240_000);
});
