// `monban sim`: drives a site at a chosen scale against a running server, for load and for demos.
// It builds the site through the public API (resuming when it exists), enrolls each controller as
// production does (a one-time token, its own key pair) and runs the controller agents in this
// process, then presents cards at the doors at a steady rate: every read is decided by the agent
// from its signed snapshot, journaled with fsync and delivered to the server over the broker. At the
// end it waits until the server has acknowledged every event and reports what it saw.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ControllerAgent } from '../../controller/agent.ts';
import { enroll, loadIdentity } from '../../controller/identity.ts';
import { seededRandom } from '../random.ts';
import { SimApi, SimApiError } from './api.ts';
import { personAt, SIM_SITE, type SimPlan, type SimSize, simPlan, suspendedAt } from './plan.ts';

export interface SimOptions {
  server: string;
  token: string;
  /** the server's certificate (PEM) for HTTPS */
  ca: string | undefined;
  dataDir: string;
  size: SimSize;
  /** card reads per second, across the site */
  rate: number;
  durationSeconds: number;
  /** how long to wait for policies and deliveries */
  settleSeconds?: number;
  progress: (line: string) => void;
  seed?: number;
}

export interface SimReport {
  size: SimSize;
  reads: number;
  grants: number;
  denies: number;
  /** decisions other than expected: a valid card denied, a suspended one granted */
  unexpected: number;
  ratePerSecond: number;
  decisionMs: { p50: number; p99: number; max: number };
  /** from the last read until the server acknowledged every event */
  deliveryMs: number;
  undelivered: number;
}

const CSV_CHUNK = 20_000;

/** Creates the simulated site through the API; returns false when it was there already. */
export async function seedSimSite(
  api: SimApi,
  plan: SimPlan,
  progress: (line: string) => void,
): Promise<boolean> {
  const last = personAt(plan, plan.size.people - 1);
  if ((await api.call('GET', `/api/people/${last.id}`)).status === 200) return false;
  await seedSimStructure(api, plan);
  progress(`site: ${plan.controllers.length} controllers, ${plan.doors.length} doors`);
  await seedSimPeople(api, plan, progress);
  return true;
}

/** The site, its controllers, areas, doors and levels (a create that exists already is fine). */
export async function seedSimStructure(api: SimApi, plan: SimPlan): Promise<void> {
  await api.ensure('POST', '/api/sites', { id: SIM_SITE, name: 'Simulated site' });
  for (const id of plan.controllers)
    await api.ensure('POST', '/api/controllers', { id, name: id, site: SIM_SITE });
  for (const a of plan.areas)
    await api.ensure('POST', '/api/areas', { id: a.id, name: a.id, site: SIM_SITE });
  for (const d of plan.doors)
    await api.ensure('POST', '/api/doors', {
      id: d.id,
      name: d.id,
      fromArea: 'outside',
      toArea: d.area,
      controllerId: d.controllerId,
    });
  for (const l of plan.levels)
    await api.ensure('POST', '/api/access-levels', { id: l.id, name: l.id, doors: l.doors });
}

/** The people and their cards, by CSV import in chunks (all or nothing per chunk). */
export async function seedSimPeople(
  api: SimApi,
  plan: SimPlan,
  progress: (line: string) => void,
): Promise<void> {
  for (let from = 0; from < plan.size.people; from += CSV_CHUNK) {
    const to = Math.min(plan.size.people, from + CSV_CHUNK);
    const people = ['id,name,site,levels'];
    const cards = ['id,personId,type,identifier,state'];
    for (let i = from; i < to; i++) {
      const p = personAt(plan, i);
      people.push(`${p.id},${p.name},${SIM_SITE},${p.homes.map((h) => plan.levels[h]!.id).join(';')}`);
      cards.push(`${p.id}-card,${p.id},card,${p.card},${suspendedAt(i) ? 'suspended' : 'active'}`);
    }
    await api.importCsv('people', `${people.join('\n')}\n`);
    await api.importCsv('credentials', `${cards.join('\n')}\n`);
    progress(`people: ${to.toLocaleString('en')} / ${plan.size.people.toLocaleString('en')}`);
  }
}

/**
 * Enrolls each controller that has no identity yet: a one-time token from the API, then its own key
 * pair, written as identity.json in its directory under `dataDir/controllers/` (where the agent, in
 * this process or another, finds it).
 */
export async function enrollSimControllers(
  api: SimApi,
  ids: readonly string[],
  options: Pick<SimOptions, 'server' | 'ca' | 'dataDir'>,
): Promise<void> {
  for (const id of ids) {
    const dir = simControllerDir(options.dataDir, id);
    mkdirSync(dir, { recursive: true });
    if (existsSync(join(dir, 'identity.json'))) continue;
    const issued = await api.ensure('POST', `/api/controllers/${id}/enrollment`, undefined);
    const { token } = issued.json as { token: string };
    await enroll({ dataDir: dir, serverUrl: options.server, controllerId: id, token, ca: options.ca });
  }
}

export const simControllerDir = (dataDir: string, id: string) => join(dataDir, 'controllers', id);

/**
 * Starts one agent per enrolled controller in this process. `onEvent` hears each event as the agent
 * journals it (the stack bench times revocations with it).
 */
export async function startSimAgents(
  ids: readonly string[],
  dataDir: string,
  onEvent?: (id: string) => void,
): Promise<Map<string, ControllerAgent>> {
  const agents = new Map<string, ControllerAgent>();
  try {
    for (const id of ids) {
      const dir = simControllerDir(dataDir, id);
      const agent = new ControllerAgent({
        dataDir: dir,
        identity: loadIdentity(dir),
        softwareVersion: 'monban-sim',
        io: { setUnlocked: () => {} },
        ...(onEvent && { onEvent: () => onEvent(id) }),
      });
      await agent.start();
      agents.set(id, agent);
    }
  } catch (error) {
    await stopAll(agents);
    throw error;
  }
  return agents;
}

/** Enrolls (the first time) and starts one in-process agent per controller. */
export async function startSimControllers(
  api: SimApi,
  plan: SimPlan,
  options: Pick<SimOptions, 'server' | 'ca' | 'dataDir'>,
): Promise<Map<string, ControllerAgent>> {
  await enrollSimControllers(api, plan.controllers, options);
  return startSimAgents(plan.controllers, options.dataDir);
}

export async function stopAll(agents: Map<string, ControllerAgent>): Promise<void> {
  for (const agent of agents.values()) await agent.stop();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(check: () => boolean, seconds: number, what: string): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > end) throw new SimApiError(`${what}: not within ${seconds} s`);
    await sleep(100);
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface ReadStats {
  reads: number;
  grants: number;
  unexpected: number;
  ratePerSecond: number;
  /** each read's decision time at the controller, ms, sorted */
  latencies: number[];
}

/**
 * Presents cards at the doors at `rate` per second for `seconds`; every decision is checked. `agents`
 * may hold a share of the plan's controllers (the stack bench runs them in several processes): reads
 * then go only to theirs, a person and door drawn as for the whole site and drawn again when the
 * door's controller is elsewhere.
 */
export async function driveReads(
  agents: Map<string, ControllerAgent>,
  plan: SimPlan,
  options: { rate: number; seconds: number; seed?: number; progress: (line: string) => void },
): Promise<ReadStats> {
  const next = seededRandom(options.seed ?? 1);
  const latencies: number[] = [];
  let grants = 0;
  let unexpected = 0;
  const started = performance.now();
  const total = Math.round(options.rate * options.seconds);
  let reads = 0;
  let lastShown = started;
  while (reads < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate));
    for (; reads < due; reads++) {
      const index = Math.floor(next() * plan.size.people);
      const person = personAt(plan, index);
      const home = person.homes[Math.floor(next() * person.homes.length)]!;
      const doors = plan.levels[home]!.doors;
      const door = doors[Math.floor(next() * doors.length)]!;
      const agent = agents.get(plan.controllers[home]!);
      if (!agent) {
        // Another process's controller: not a read here (the loop's reads++ undoes this), draw again.
        reads--;
        continue;
      }
      const t0 = performance.now();
      const decision = agent.present({ door, side: 'in', card: person.card, type: 'card' });
      latencies.push(performance.now() - t0);
      const granted = decision.result === 'grant';
      if (granted) grants++;
      if (granted === suspendedAt(index)) unexpected++;
    }
    if (performance.now() - lastShown > 5000) {
      lastShown = performance.now();
      options.progress(`reads: ${reads.toLocaleString('en')} / ${total.toLocaleString('en')}`);
    }
    await sleep(5);
  }
  latencies.sort((a, b) => a - b);
  return {
    reads,
    grants,
    unexpected,
    ratePerSecond: reads / ((performance.now() - started) / 1000),
    latencies,
  };
}

/** Events journaled by the agents and not yet acknowledged by the server. */
export function undeliveredEvents(agents: Map<string, ControllerAgent>): number {
  return [...agents.values()].reduce((n, a) => n + a.journal.next - 1 - a.journal.acknowledged, 0);
}

/** Waits until every controller holds a policy. */
export function untilPolicies(agents: Map<string, ControllerAgent>, seconds: number): Promise<void> {
  return until(
    () => [...agents.values()].every((a) => a.snapshotVersion > 0),
    seconds,
    'every controller has its policy',
  );
}

/** Waits until the server has acknowledged every event (or the time runs out); the time it took, ms. */
export async function untilDelivered(agents: Map<string, ControllerAgent>, seconds: number): Promise<number> {
  const start = performance.now();
  await until(() => undeliveredEvents(agents) === 0, seconds, 'the server has every event').catch(() => {});
  return performance.now() - start;
}

export { percentile };

export async function runSim(options: SimOptions): Promise<SimReport> {
  const { progress, size } = options;
  const api = new SimApi(options.server, options.token, options.ca);
  const plan = simPlan(size);
  const created = await seedSimSite(api, plan, progress);
  progress(created ? 'site created' : 'site found: resuming');
  const agents = await startSimControllers(api, plan, options);
  try {
    const settle = options.settleSeconds ?? 300;
    await untilPolicies(agents, settle);
    progress(`${agents.size} controllers online with their policy; reading cards at ${options.rate}/s`);
    const stats = await driveReads(agents, plan, {
      rate: options.rate,
      seconds: options.durationSeconds,
      progress,
      ...(options.seed !== undefined && { seed: options.seed }),
    });
    const deliveryMs = await untilDelivered(agents, settle);
    const latencies = stats.latencies;
    return {
      size,
      reads: stats.reads,
      grants: stats.grants,
      denies: stats.reads - stats.grants,
      unexpected: stats.unexpected,
      ratePerSecond: stats.ratePerSecond,
      decisionMs: {
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        max: latencies.at(-1) ?? 0,
      },
      deliveryMs,
      undelivered: undeliveredEvents(agents),
    };
  } finally {
    await stopAll(agents);
  }
}
