// The stack bench's fleet (src/sim/load/fleet.ts) against a real server: a fleet holding a share of
// the site's controllers (as each controller process of bench:stack does) reads only at its own
// doors, with every decision the expected one and every event at the server; and after
// watchNextEvents, a card suspended through the API is timed at each of its controllers that holds
// the person, when that controller journals the revocation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalServer } from '../../scripts/support/local-server.ts';
import type { RunningServer } from '../../src/server/serve.ts';
import { SimApi } from '../../src/sim/load/api.ts';
import { LocalFleet, type SimFleet, sharedClock } from '../../src/sim/load/fleet.ts';
import { personAt, simPlan } from '../../src/sim/load/plan.ts';
import { enrollSimControllers, seedSimSite } from '../../src/sim/load/run.ts';

const dir = mkdtempSync(join(tmpdir(), 'monban-fleet-test-'));
let running: RunningServer | undefined;
let fleet: SimFleet | undefined;
afterAll(async () => {
  await fleet?.stop();
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sim fleet', () => {
  it('drives reads at its share of the controllers and times a revocation at each', async () => {
    const server = await startLocalServer(join(dir, 'server'));
    running = server.running;
    const api = new SimApi(server.url, server.token, server.ca);
    const plan = simPlan({ controllers: 3, doorsPerController: 2, people: 300 });
    await seedSimSite(api, plan, () => {});
    const dataDir = join(dir, 'sim');
    await enrollSimControllers(api, plan.controllers, { server: server.url, ca: server.ca, dataDir });
    // The first two controllers: person 0 holds the levels of both (every tenth person has two homes).
    const share = plan.controllers.slice(0, 2);
    fleet = await LocalFleet.start({ ids: share, plan, dataDir, role: 'test', progress: () => {} });
    await fleet.untilPolicies(60);

    const person = personAt(plan, 0);
    expect(person.homes).toEqual([0, 1]);
    await fleet.watchNextEvents();
    const t0 = sharedClock();
    await api.ensure('PATCH', `/api/credentials/${person.id}-card`, { state: 'suspended' });
    const applied = await fleet.nextEvents(10_000);
    expect(Object.keys(applied).sort()).toEqual(share);
    for (const at of Object.values(applied)) expect(at - t0).toBeGreaterThanOrEqual(0);
    expect(await fleet.untilDelivered(30)).toBeLessThan(30_000);

    const stats = await fleet.driveReads({ rate: 40, seconds: 2, seed: 7 });
    expect(stats.reads).toBe(80);
    expect(stats.latencies).toHaveLength(80);
    await fleet.untilDelivered(30);
    expect(await fleet.undelivered()).toBe(0);
    const byController = await running.store.db
      .selectFrom('events')
      .select(['controller_id'])
      .where('type', '=', 'access')
      .groupBy('controller_id')
      .execute();
    expect(byController.map((r) => r.controller_id).sort()).toEqual(share);
    const memory = await fleet.memory();
    expect(memory).toHaveLength(1);
    expect(memory[0]!.controllers).toBe(2);
  }, 120_000);
});
