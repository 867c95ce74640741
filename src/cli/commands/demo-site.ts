// `monban demo-site` (`npm run demo:site`): the management server on its embedded defaults (SQLite,
// HTTPS, embedded broker) with the demo site of src/sim/demo/site.ts, three door controllers enrolled
// and running as production runs them (one-time enrollment token, own key pair, signed snapshots
// over the broker; in this process instead of three), and simulated people moving through the day
// at their readers. It prints the console's address and, on the first start, the one-time setup
// token for the first administrator: there is no default password.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { ControllerAgent } from '../../controller/agent.ts';
import { enroll, loadIdentity } from '../../controller/identity.ts';
import { serverConfig } from '../../server/config.ts';
import { type RunningServer, startServer } from '../../server/serve.ts';
import { type Actor, SYSTEM_ACTOR } from '../../server/services/index.ts';
import { DemoDay } from '../../sim/demo/day.ts';
import {
  DEMO_AREAS,
  DEMO_CONTROLLERS,
  DEMO_DOORS,
  DEMO_GROUPS,
  DEMO_HOLIDAYS,
  DEMO_LEVELS,
  DEMO_SCHEDULES,
  DEMO_SITE,
  demoPeople,
} from '../../sim/demo/site.ts';

const HOUR = 3_600_000;

/** Writes the demo site into an empty server through its service layer (audited as the system). */
export async function seed(running: RunningServer, now: number): Promise<boolean> {
  const existing = await running.store.db.selectFrom('doors').select('id').limit(1).execute();
  if (existing.length > 0) return false;
  const s = running.services;
  const actor: Actor = { ...SYSTEM_ACTOR, origin: { ...SYSTEM_ACTOR.origin, source: 'monban demo-site' } };
  for (const h of DEMO_HOLIDAYS) await s.holidays.create(h, actor);
  const site = await running.store.db
    .selectFrom('sites')
    .select('id')
    .where('id', '=', DEMO_SITE.id)
    .executeTakeFirst();
  if (site) await s.sites.update(DEMO_SITE.id, DEMO_SITE, actor);
  else await s.sites.create(DEMO_SITE, actor);
  for (const c of DEMO_CONTROLLERS) await s.controllers.create({ ...c }, actor);
  for (const sc of DEMO_SCHEDULES) await s.schedules.create(sc, actor);
  // Area rules name groups and groups carry levels of doors in areas: groups first, levels later.
  for (const g of DEMO_GROUPS) await s.groups.create({ ...g, levels: [] }, actor);
  for (const a of DEMO_AREAS) await s.areas.create(a as never, actor);
  for (const d of DEMO_DOORS) await s.doors.create(d as never, actor);
  for (const l of DEMO_LEVELS) await s.accessLevels.create({ maxThreatLevel: null, ...l }, actor);
  for (const g of DEMO_GROUPS) await s.groups.update(g.id, { levels: g.levels }, actor);
  for (const p of demoPeople()) {
    await s.people.create(
      { id: p.id, name: p.name, department: p.department, site: 'tokyo', groups: p.groups },
      actor,
    );
    await s.credentials.create(
      {
        id: `${p.id}-1`,
        personId: p.id,
        type: p.validHours ? 'key' : 'card',
        identifier: p.card,
        ...(p.pin && { pin: p.pin }),
        ...(p.validHours && {
          validFrom: now + p.validHours[0] * HOUR,
          validUntil: now + p.validHours[1] * HOUR,
        }),
        label: p.validHours ? '来客キー / guest key' : '社員証 / staff card',
      },
      actor,
    );
  }
  return true;
}

/** Enrolls the controller the first time (a one-time token, its own key pair), then runs its agent. */
export async function startController(running: RunningServer, dataDir: string, id: string, ca: string) {
  const dir = join(dataDir, 'controllers', id);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'identity.json'))) {
    const { token } = await running.controllers!.createEnrollment(id);
    await enroll({ dataDir: dir, serverUrl: running.url, controllerId: id, token, ca });
  }
  const agent = new ControllerAgent({
    dataDir: dir,
    identity: loadIdentity(dir),
    softwareVersion: '0.1.0',
    io: { setUnlocked: () => {} },
  });
  await agent.start();
  return agent;
}

export function registerDemoSiteCommand(program: Command): void {
  program
    .command('demo-site')
    .description('run the server with a demo site: simulated controllers, readers and people through the day')
    .option('--data-dir <dir>', 'data directory of the demo (default ./monban-demo)', './monban-demo')
    .option('--port <port>', 'HTTPS port (default: MONBAN_PORT or 8443)')
    .option('--step-seconds <n>', 'seconds between two scenes of the simulated day', '3')
    .action(async (options: { dataDir: string; port?: string; stepSeconds: string }) => {
      const dataDir = resolve(options.dataDir);
      const config = serverConfig(process.env, {
        dataDir,
        ...(options.port !== undefined && { port: Number(options.port) }),
      });
      let setupToken: string | undefined;
      const running = await startServer(config, {
        logger: pino({ level: process.env.MONBAN_LOG_LEVEL ?? 'warn' }),
        print: (line) => {
          setupToken = /\b(mbs_[A-Za-z0-9_-]+)/.exec(line)?.[1] ?? setupToken;
        },
      });
      const agents = new Map<string, ControllerAgent>();
      let seeded: boolean;
      try {
        seeded = await seed(running, Date.now());
        const ca = readFileSync(join(dataDir, 'tls', 'server.crt'), 'utf8');
        for (const c of DEMO_CONTROLLERS) agents.set(c.id, await startController(running, dataDir, c.id, ca));
      } catch (error) {
        for (const agent of agents.values()) await agent.stop();
        await running.close();
        process.stderr.write(`monban demo-site: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const agentOf = (door: string) =>
        agents.get(DEMO_DOORS.find((d) => d.id === door)?.controllerId ?? '') ?? [...agents.values()][0]!;

      let stopping = false;
      const timers = new Set<NodeJS.Timeout>();
      const wait = (ms: number) =>
        new Promise<void>((r) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            r();
          }, ms);
          timers.add(timer);
        });
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
        wait,
      );

      const port = new URL(running.url).port;
      const lines = [
        '',
        `Monban demo site: ${seeded ? 'created' : 'resumed'} in ${dataDir}`,
        `  console      https://localhost:${port}/   (self-signed certificate: accept it once)`,
        setupToken
          ? `  setup token  ${setupToken}   (first start: create your administrator with it; no default password)`
          : '  sign in with the administrator you created (or run: npx monban admin setup-token --data-dir ' +
            options.dataDir +
            ')',
        `  controllers  ${[...agents.keys()].join(', ')}; ${demoPeople().length} people moving through the day`,
        '  Ctrl-C stops it; run it again to carry on.',
        '',
      ];
      process.stderr.write(`${lines.join('\n')}\n`);

      const stop = async () => {
        if (stopping) return;
        stopping = true;
        for (const timer of timers) clearTimeout(timer);
        for (const agent of agents.values()) await agent.stop();
        await running.close();
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
      const stepMs = Math.max(0.2, Number(options.stepSeconds)) * 1000;
      while (!stopping) {
        try {
          await day.next();
        } catch (error) {
          process.stderr.write(`demo: ${(error as Error).message}\n`);
        }
        await wait(stepMs);
      }
    });
}
