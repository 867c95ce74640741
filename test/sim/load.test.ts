// `monban sim` against a real server (embedded defaults: SQLite file, HTTPS, embedded broker): it
// builds the site through the API with an API token, enrolls its controllers with one-time tokens,
// reads cards at a steady rate, and every decision is the expected one and reaches the server's
// event log exactly once. A second run resumes the site instead of creating it again.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSimReport } from '../../src/cli/commands/sim.ts';
import { securityDb } from '../../src/server/auth/context.ts';
import { sha256Hex } from '../../src/server/auth/secrets.ts';
import { createApiToken, createOperator } from '../../src/server/auth/store.ts';
import { serverConfig } from '../../src/server/config.ts';
import { PERMISSIONS } from '../../src/server/http/principal.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { runSim } from '../../src/sim/load/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-sim-test-'));
let running: RunningServer | undefined;
afterAll(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('monban sim', () => {
  it('drives a site through real controllers and the server gets every event once', async () => {
    const config = serverConfig({}, { dataDir: join(dir, 'server'), port: 0 });
    running = await startServer(config, {
      logger: pino({ level: 'silent' }),
      env: {},
      print: () => {},
      background: false,
      controllers: { mqttPort: 0 },
    });
    const db = securityDb(running.store.db);
    const admin = await createOperator(
      db,
      { username: 'sim-admin', role: 'admin', passwordHash: 'x' },
      Date.now(),
    );
    const token = `mbn_${'s'.repeat(40)}`;
    await createApiToken(db, {
      name: 'sim',
      tokenHash: sha256Hex(token),
      createdBy: admin.id,
      role: 'admin',
      permissions: [...PERMISSIONS],
      scope: 'all',
      createdAt: Date.now(),
      expiresAt: null,
    });
    const ca = readFileSync(join(dir, 'server', 'tls', 'server.crt'), 'utf8');
    const lines: string[] = [];
    const options = {
      server: running.url,
      token,
      ca,
      dataDir: join(dir, 'sim'),
      size: { controllers: 3, doorsPerController: 2, people: 500 },
      rate: 40,
      durationSeconds: 3,
      settleSeconds: 60,
      progress: (line: string) => lines.push(line),
    };
    const report = await runSim(options);
    expect(lines).toContain('site created');
    expect(report.reads).toBe(120);
    expect(report.unexpected).toBe(0);
    expect(report.undelivered).toBe(0);
    expect(report.grants).toBeGreaterThan(100); // about 1 in 97 cards is suspended
    expect(formatSimReport(report)).toMatch(/120 at/);

    const again = await runSim({ ...options, durationSeconds: 1 });
    expect(lines).toContain('site found: resuming');
    expect(again.unexpected + again.undelivered).toBe(0);

    // Exactly once: the server holds one access event per read, no more.
    const events = await running.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('type', '=', 'access')
      .executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(report.reads + again.reads);
  }, 180_000);
});
