// `monban sim` against a real server (embedded defaults: SQLite file, HTTPS, embedded broker): it
// builds the site through the API with an API token, enrolls its controllers with one-time tokens,
// reads cards at a steady rate, and every decision is the expected one and reaches the server's
// event log exactly once. A second run resumes the site instead of creating it again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalServer } from '../../scripts/support/local-server.ts';
import { formatSimReport } from '../../src/cli/commands/sim.ts';
import type { RunningServer } from '../../src/server/serve.ts';
import { runSim } from '../../src/sim/load/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-sim-test-'));
let running: RunningServer | undefined;
afterAll(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('monban sim', () => {
  it('drives a site through real controllers and the server gets every event once', async () => {
    const server = await startLocalServer(join(dir, 'server'));
    running = server.running;
    const lines: string[] = [];
    const options = {
      server: server.url,
      token: server.token,
      ca: server.ca,
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
