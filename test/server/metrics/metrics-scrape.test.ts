// Metrics scraped for real: `monban serve` with MONBAN_METRICS_PORT and `monban controller run
// --metrics-port` as child processes (the embedded broker between them). A card granted and an
// unknown card denied at the controller show on both endpoints by reason; the server also shows the
// controller online, its snapshot's age, the events ingested with their lag, MQTT and HTTP latency,
// and a failed login.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, apiOk, freePort, MonbanProcess, seedAdminToken, waitFor } from '../../support/fleet.ts';

function scrape(url: string): Promise<{ status: number; text: string; type: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text, type: String(res.headers['content-type']) }),
      );
    }).on('error', reject);
  });
}

/** The value of one series in the exposition text, or undefined. */
function value(text: string, series: string): number | undefined {
  for (const line of text.split('\n'))
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

describe('metrics of the server and a controller', () => {
  const dir = mkdtempSync(join(tmpdir(), 'monban-metrics-'));
  const serverDir = join(dir, 'server');
  const env = { ...process.env, MONBAN_LOG_LEVEL: 'warn' } as NodeJS.ProcessEnv;
  delete env.MONBAN_DATABASE_URL;
  let server: MonbanProcess;
  let controller: MonbanProcess;
  let url = '';
  let serverMetrics = '';
  let controllerMetrics = '';

  beforeAll(async () => {
    const token = await seedAdminToken(serverDir);
    const metricsPort = await freePort();
    server = new MonbanProcess(['serve', '--data-dir', serverDir], {
      ...env,
      MONBAN_PORT: String(await freePort()),
      MONBAN_MQTT_PORT: String(await freePort()),
      MONBAN_METRICS_PORT: String(metricsPort),
      MONBAN_HEARTBEAT_SECONDS: '1',
    });
    url = await waitFor(
      'the server to listen',
      () => /management server on (https:\/\/\S+)/.exec(server.stderr)?.[1],
      30_000,
    );
    serverMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    const ca = readFileSync(join(serverDir, 'tls', 'server.crt'), 'utf8');
    const ok = apiOk(api(url, ca, token));
    await ok('POST', '/api/areas', { id: 'office', name: 'Office' });
    await ok('POST', '/api/controllers', { id: 'ctl-1', name: 'ctl-1' });
    await ok('POST', '/api/doors', {
      id: 'D1',
      name: 'East',
      fromArea: 'outside',
      toArea: 'office',
      controllerId: 'ctl-1',
    });
    await ok('POST', '/api/access-levels', { id: 'staff', name: 'Staff', doors: ['D1'] });
    await ok('POST', '/api/people', { id: 'alice', name: 'Alice', levels: ['staff'] });
    await ok('POST', '/api/credentials', {
      id: 'a-card',
      personId: 'alice',
      type: 'card',
      identifier: 'C-1001',
    });
    const { token: enrollment } = await ok('POST', '/api/controllers/ctl-1/enrollment');
    const enroll = new MonbanProcess(
      [
        'controller',
        'enroll',
        '--server',
        url,
        '--id',
        'ctl-1',
        '--ca',
        join(serverDir, 'tls', 'server.crt'),
        '--data-dir',
        join(dir, 'ctl-1'),
      ],
      { ...env, MONBAN_ENROLLMENT_TOKEN: enrollment },
    );
    expect(await enroll.exited(), enroll.stderr).toBe(0);
    const controllerPort = await freePort();
    controller = new MonbanProcess(
      [
        'controller',
        'run',
        '--data-dir',
        join(dir, 'ctl-1'),
        '--heartbeat-seconds',
        '1',
        '--metrics-port',
        String(controllerPort),
      ],
      env,
    );
    controllerMetrics = `http://127.0.0.1:${controllerPort}/metrics`;
    await waitFor(
      'the controller to receive its snapshot',
      async () => ((await controller.ask({ status: true })).status?.snapshotVersion ?? 0) > 0,
      30_000,
      100,
    );
  }, 120_000);

  afterAll(async () => {
    try {
      await controller?.stop();
      await server?.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it('counts decisions by reason at the controller and, once ingested, at the server', async () => {
    const granted = await controller.ask({ present: { door: 'D1', side: 'in', card: 'C-1001' } });
    expect(granted.decision).toMatchObject({ result: 'grant' });
    const denied = await controller.ask({ present: { door: 'D1', side: 'out', card: 'C-9999' } });
    expect(denied.decision).toMatchObject({ result: 'deny', reason: 'unknown_credential' });

    const atController = await scrape(controllerMetrics);
    expect(atController.status).toBe(200);
    expect(atController.type).toContain('text/plain');
    const c = atController.text;
    expect(value(c, 'monban_controller_decisions_total{result="grant",reason="granted"}')).toBe(1);
    expect(value(c, 'monban_controller_decisions_total{result="deny",reason="unknown_credential"}')).toBe(1);
    expect(value(c, 'monban_controller_snapshot_version')).toBeGreaterThan(0);
    expect(value(c, 'monban_controller_snapshot_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(c, 'monban_controller_journal_pending')).toBeGreaterThanOrEqual(0);
    expect(value(c, 'monban_controller_broker_connected')).toBe(1);
    expect(value(c, 'monban_controller_offline_fallback')).toBe(0);
    expect(value(c, 'monban_controller_snapshot_transfer_missing_chunks')).toBe(0);
    expect(c).toContain('monban_controller_process_resident_memory_bytes');

    const s = await waitFor(
      'the server to count both decisions',
      async () => {
        const { text } = await scrape(serverMetrics);
        return value(text, 'monban_decisions_total{result="deny",reason="unknown_credential"}') === 1 && text;
      },
      15_000,
      200,
    );
    expect(value(s, 'monban_decisions_total{result="grant",reason="granted"}')).toBe(1);
    expect(value(s, 'monban_events_ingested_total{type="access"}')).toBeGreaterThanOrEqual(2);
    expect(value(s, 'monban_ingest_lag_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(value(s, 'monban_controllers_online')).toBe(1);
    expect(value(s, 'monban_controllers{state="up"}')).toBe(1);
    expect(value(s, 'monban_controller_snapshot_age_seconds{controller="ctl-1"}')).toBeGreaterThanOrEqual(0);
    expect(value(s, 'monban_controller_snapshot_behind{controller="ctl-1"}')).toBe(0);
    expect(s).toMatch(/monban_mqtt_publish_seconds_count\{kind="server-heartbeat",outcome="acked"\} \d+/);
    expect(s).toMatch(/monban_mqtt_messages_received_total\{kind="heartbeat"\} \d+/);
    expect(s).toMatch(
      /monban_http_request_duration_seconds_count\{method="POST",route="\/api\/people",status="201"\} 1/,
    );
    expect(s).toContain('monban_process_cpu_seconds_total');
  }, 60_000);

  it('counts failed logins, and serves nothing but GET /metrics', async () => {
    const ca = readFileSync(join(serverDir, 'tls', 'server.crt'), 'utf8');
    const status = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ username: 'nobody', password: 'not-the-password-at-all' });
      request(
        `${url}/api/auth/login`,
        { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', origin: url } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      )
        .on('error', reject)
        .end(body);
    });
    expect(status).toBe(401);
    const { text } = await scrape(serverMetrics);
    expect(value(text, 'monban_login_failures_total')).toBe(1);
    expect((await scrape(serverMetrics.replace('/metrics', '/api/people'))).status).toBe(404);
  });
});
