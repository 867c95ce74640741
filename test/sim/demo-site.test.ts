// The demo site as `monban demo-site` runs it: the server on its embedded defaults, the site written
// once, three controllers enrolled with one-time tokens and running, and simulated people whose
// decisions reach the server's event log — including the expired guest's refusal.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { seed, startController } from '../../src/cli/commands/demo-site.ts';
import type { ControllerAgent } from '../../src/controller/agent.ts';
import { serverConfig } from '../../src/server/config.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { DemoDay } from '../../src/sim/demo/day.ts';
import { DEMO_CONTROLLERS, DEMO_DOORS, demoPeople } from '../../src/sim/demo/site.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-demo-test-'));
let running: RunningServer | undefined;
const agents: ControllerAgent[] = [];
afterAll(async () => {
  for (const agent of agents) await agent.stop();
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('demo site', () => {
  it('seeds once, enrolls its controllers, and its people’s decisions reach the server', async () => {
    const config = serverConfig({}, { dataDir: dir, port: 0 });
    running = await startServer(config, {
      logger: pino({ level: 'silent' }),
      env: {},
      print: () => {},
      background: false,
      controllers: { mqttPort: 0 },
    });
    expect(await seed(running, Date.now())).toBe(true);
    expect(await seed(running, Date.now())).toBe(false);
    const ca = readFileSync(join(dir, 'tls', 'server.crt'), 'utf8');
    const byId = new Map<string, ControllerAgent>();
    for (const c of DEMO_CONTROLLERS) {
      const agent = await startController(running, dir, c.id, ca);
      agents.push(agent);
      byId.set(c.id, agent);
    }
    const agentOf = (door: string) => byId.get(DEMO_DOORS.find((d) => d.id === door)!.controllerId)!;
    // Wait until each controller holds the site's policy.
    for (let i = 0; i < 100 && agents.some((a) => a.snapshotVersion === 0); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(agents.every((a) => a.snapshotVersion > 0)).toBe(true);

    const day = new DemoDay(
      demoPeople(),
      {
        present: (door, side, card, pin) =>
          agentOf(door).present({
            door,
            side,
            card,
            type: card.startsWith('K-') ? 'key' : 'card',
            ...(pin && { pin }),
          }),
        sensor: (door, open) => agentOf(door).doorSensor(door, open),
      },
      () => Promise.resolve(),
    );
    for (let i = 0; i < 12; i++) await day.next();

    const db = running.store.db;
    let access: { detail: string }[] = [];
    for (let i = 0; i < 100; i++) {
      access = await db.selectFrom('events').select('detail').where('type', '=', 'access').execute();
      if (access.some((e) => e.detail.includes('outside_validity')) && access.length >= 8) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const details = access.map((e) => JSON.parse(e.detail) as { result: string; reason: string });
    expect(details.filter((d) => d.result === 'grant').length).toBeGreaterThan(3);
    expect(details.some((d) => d.reason === 'outside_validity')).toBe(true);
  }, 60_000);
});
