// `npm run bench:stack`: the whole stack at DESIGN.md §7 sizes — 100 controllers, 1,000 doors,
// 100,000 people — on SQLite and on PostgreSQL. A real server (HTTPS, embedded broker over TLS, the
// chosen storage) in this process; the site built through its API; 100 controller agents enrolled
// with one-time tokens, each deciding from its signed snapshot, journaling (to /dev/shm: see runOn) and delivering
// over MQTT. The agents run in child processes of their own (--controller-processes, default 2:
// bench/stack-fleet.ts), off the server's event loop as real controllers are off its machine;
// --controller-processes 0 runs them in this process, as before, for comparison. It reports, with
// the ratio of each figure to its target:
//   - import: rows per second of the people and credential CSV through the API;
//   - policy: from the last import until every controller holds its policy;
//   - read → unlock at the controller (decision + journal write — to /dev/shm here, see runOn; the
//     fsync and the reader wire are `npm run bench -- --only controller,osdp`), p50 / p99;
//   - sustained events per second through controllers, MQTT and server ingest (first read until the
//     server acknowledged the last event);
//   - revocation: from the API call (a card suspended) until each of the 100 controllers applied it;
//   - door actions: a remote unlock from the API call until its controller applied it;
//   - the push stream: an access event from its decision to each of 50 connected clients, during
//     the sustained reads (stack-live.ts);
//   - memory: the RSS of each process (server, each controller process, the stream clients), and
//     per controller (what the agents added to their process's RSS, divided by their number).
// --cpu-prof profiles the server's process during the sustained reads and during the door actions
// (bench/stack-profile.ts; files stack-<db>-reads/actions.cpuprofile and .txt beside stack.json).
// Then, per engine once its stack part is done (the server closed), the event store's section
// (event-store.ts, the same functions as `npm run bench -- --only events`), on scratch stores:
//   - server ingest against a raw bulk insert of the same rows, in the same rounds: EventStore alone
//     (exactly-once, MAC chain, chain head) and the whole ingest path (EventIngest: credential
//     references, report facts, presence; a batch at a time and all controllers at once), with the
//     ratio of each to the raw insert (target ≥ 0.5×) and to the events/s target of its engine;
//   - search p50 / p99 of a page by person + 7-day range and by door + 1-day range over --events
//     (default 10,000,000) generated events, written straight into storage (event-history.ts: the
//     indexes dropped and rebuilt after, a scratch bulk load) so it fits the 2-core machine.
//   --no-events skips the section; --events N sizes the history. Each part's duration is reported.
// Writes bench/results/stack.json and stack.md.
//
//   npm run bench:stack                                  # both databases, full size (under 20 minutes)
//   npm run bench:stack -- --db sqlite --people 20000 --controllers 20 --rate 200 --seconds 20
//   npm run bench:stack -- --db sqlite --people 20000 --controller-processes 0 --cpu-prof
//   npm run bench:stack -- --db postgres --events 1000000                 # a smaller history
//   npm run bench:stack -- --db sqlite --no-events                        # the stack part alone

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startLocalServer } from '../scripts/support/local-server.ts';
import type { RunningServer } from '../src/server/serve.ts';
import { SimApi } from '../src/sim/load/api.ts';
import { LocalFleet, type ProcessMemory, type SimFleet, sharedClock } from '../src/sim/load/fleet.ts';
import { SIM_SITE, type SimPlan, simPlan } from '../src/sim/load/plan.ts';
import { enrollSimControllers, percentile, seedSimPeople, seedSimStructure } from '../src/sim/load/run.ts';
import {
  type Engine,
  TARGETS as EVENT_TARGETS,
  type IngestFigures,
  measureIngestOn,
  measureSearchOn,
  type SearchFigures,
} from './event-store.ts';
import { type ScratchDatabase, scratchDatabase } from './scratch-database.ts';
import { ProcessFleet } from './stack-fleet.ts';
import { type Latency, measureDoorActions, streamClients } from './stack-live.ts';
import { PhaseProfiler } from './stack-profile.ts';
import { fmt, table } from './stats.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite,postgres' },
    people: { type: 'string', default: '100000' },
    controllers: { type: 'string', default: '100' },
    doors: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    revocations: { type: 'string', default: '10' },
    actions: { type: 'string', default: '100' },
    'stream-clients': { type: 'string', default: '50' },
    'controller-processes': { type: 'string', default: '2' },
    'cpu-prof': { type: 'boolean', default: false },
    events: { type: 'string', default: '10000000' },
    'no-events': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
  },
});
const POSTGRES = process.env.MONBAN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const runStarted = performance.now();
/** A progress line on stderr, with the minutes and seconds since the run began (each part's duration shows). */
const progress = (line: string) => {
  const s = Math.floor((performance.now() - runStarted) / 1000);
  process.stderr.write(`… ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')} ${line}\n`);
};

interface StackFigures {
  db: string;
  size: { controllers: number; doors: number; people: number };
  importRowsPerSecond: number;
  policySeconds: number;
  readToUnlockMs: { p50: number; p99: number };
  reads: number;
  /** the server's process CPU time (user + system) during the sustained reads, per event, µs */
  serverCpuPerEventUs: number;
  unexpected: number;
  readRatePerSecond: number;
  sustainedEventsPerSecond: number;
  undelivered: number;
  revocationMs: { samples: number; expected: number; p50: number; p99: number };
  doorActionMs: Latency & { notApplied: number };
  streamMs: Latency & { clients: number; perClientEvents: number };
  /** 0: the agents ran in the server's process */
  controllerProcesses: number;
  /** RSS of the server's process (with the agents in it when controllerProcesses is 0) */
  rssMiB: number;
  perControllerMiB: number;
  processes: ProcessMemory[];
  /** the event store's section on this engine (absent with --no-events) */
  events?: { ingest: IngestFigures; search: SearchFigures };
  /** how long each part took, s */
  seconds: { stack: number; ingest?: number; search?: number };
}

/** Targets of DESIGN.md §7 the figures are held to (lower is better unless `higher`). */
const TARGETS = {
  readToUnlockP99: 300,
  revocationP99: 250,
  doorActionP99: 250,
  streamP99: 250,
  sustainedEvents: 1000,
  importRows: 20_000,
};

/** A scratch database on the PostgreSQL server, or undefined when none answers (the run says so). */
async function scratchPostgres(): Promise<ScratchDatabase | undefined> {
  try {
    return await scratchDatabase(POSTGRES);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Revocation to every controller: people holding a level of every door; each round suspends one
 * card through the API and times, per controller, until its journal records the revocation (the
 * agent journals the operator event synchronously when it applies the command; no reads run then).
 */
async function measureRevocations(
  api: SimApi,
  fleet: SimFleet,
  plan: SimPlan,
  rounds: number,
): Promise<number[]> {
  const allDoors = plan.doors.map((d) => d.id);
  const before = await fleet.snapshotVersions();
  await api.ensure('POST', '/api/access-levels', { id: 'sim-all', name: 'every door', doors: allDoors });
  for (let k = 1; k <= rounds; k++) {
    await api.ensure('POST', '/api/people', {
      id: `sim-r${k}`,
      name: `Revoked ${k}`,
      site: SIM_SITE,
      levels: ['sim-all'],
    });
    await api.ensure('POST', '/api/credentials', {
      id: `sim-r${k}-card`,
      personId: `sim-r${k}`,
      type: 'card',
      identifier: `R-${k}`,
    });
  }
  // Every controller must know them before a revocation can be timed: a snapshot (or delta) issued
  // after the last of them, then one grant at each to be sure (presenting at every poll would journal
  // and send thousands of events while waiting).
  const doorOf = Object.fromEntries(plan.levels.map((l, i) => [plan.controllers[i]!, l.doors[0]!]));
  for (let tries = 0; ; tries++) {
    const pending = await fleet.notReady(`R-${rounds}`, before, doorOf);
    if (pending.length === 0) break;
    if (tries > 1800)
      throw new Error(`the revocation test people did not reach controllers ${pending.join(', ')} in 180 s`);
    await sleep(100);
  }
  await fleet.untilDelivered(120);
  const samples: number[] = [];
  for (let k = 1; k <= rounds; k++) {
    // Each controller journals the operator event synchronously as it applies the revocation; the
    // fleet notes when (sharedClock: comparable across the processes), and no reads run meanwhile.
    await fleet.watchNextEvents();
    const t0 = sharedClock();
    const call = api.ensure('PATCH', `/api/credentials/sim-r${k}-card`, { state: 'suspended' });
    const applied = await fleet.nextEvents(10_000);
    for (const at of Object.values(applied)) samples.push(at - t0);
    await call;
    await fleet.untilDelivered(60);
  }
  return samples.sort((a, b) => a - b);
}

async function runOn(db: string): Promise<StackFigures | undefined> {
  const tStack = performance.now();
  const dir = mkdtempSync(join(tmpdir(), `monban-stack-${db}-`));
  // The controllers' journals and snapshots: in memory where the machine has /dev/shm. A hundred
  // controllers in one process would otherwise take turns at one thread's fsync — real controllers
  // are a hundred devices. The fsync before unlock is measured where it belongs, per controller:
  // `npm run bench -- --only controller`. The server's database stays on disk.
  const controllerDir = mkdtempSync(
    join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'monban-stack-ctl-'),
  );
  const scratch = db === 'postgres' ? await scratchPostgres() : undefined;
  if (db === 'postgres' && !scratch) {
    progress(`PostgreSQL at ${POSTGRES} is not reachable: skipping the PostgreSQL run`);
    return undefined;
  }
  const size = {
    controllers: Number(values.controllers),
    doorsPerController: Number(values.doors),
    people: Number(values.people),
  };
  const plan = simPlan(size);
  let running: RunningServer | undefined;
  let fleet: SimFleet | undefined;
  const processes = Number(values['controller-processes']);
  const profiler = values['cpu-prof'] ? new PhaseProfiler() : undefined;
  try {
    const server = await startLocalServer(join(dir, 'server'), {
      logLevel: 'error',
      ...(scratch && { databaseUrl: scratch.url }),
    });
    running = server.running;
    const api = new SimApi(server.url, server.token, server.ca);
    progress(
      `${db}: building the site (${size.controllers} controllers, ${size.controllers * size.doorsPerController} doors, ${size.people.toLocaleString('en')} people)`,
    );
    await seedSimStructure(api, plan);
    const t0 = performance.now();
    await seedSimPeople(api, plan, (line) => progress(`${db}: ${line}`));
    const importSeconds = (performance.now() - t0) / 1000;
    const rssServer = process.memoryUsage().rss;
    const t1 = performance.now();
    // Enrolled from here (identity.json in each controller's directory), started where they run.
    await enrollSimControllers(api, plan.controllers, {
      server: server.url,
      ca: server.ca,
      dataDir: controllerDir,
    });
    const started = {
      ids: plan.controllers,
      dataDir: controllerDir,
      progress: (l: string) => progress(`${db}: ${l}`),
    };
    fleet =
      processes > 0
        ? await ProcessFleet.start({ ...started, count: processes, size })
        : await LocalFleet.start({ ...started, plan, role: 'server and controllers' });
    await fleet.untilPolicies(1200);
    const policySeconds = (performance.now() - t1) / 1000;
    progress(`${db}: every controller has its policy after ${policySeconds.toFixed(1)} s; reading cards`);
    const rate = Number(values.rate);
    const clients = Number(values['stream-clients']);
    const stream = await streamClients({ url: server.url, token: server.token, ca: server.ca, clients });
    await profiler?.start();
    const tReads = performance.now();
    const cpuReads = process.cpuUsage();
    const reads = await fleet.driveReads({ rate, seconds: Number(values.seconds) });
    await fleet.untilDelivered(600);
    const sustained = reads.reads / ((performance.now() - tReads) / 1000);
    // The server's CPU per event: what decides whether its loop keeps up, and steadier than
    // latency on a machine that others load too.
    const cpuUsed = process.cpuUsage(cpuReads);
    const serverCpuPerEventUs = (cpuUsed.user + cpuUsed.system) / Math.max(1, reads.reads);
    await profiler?.stop(join(values.out, `stack-${db}-reads`));
    const streamed = await stream.stop();
    const undelivered = await fleet.undelivered();
    progress(`${db}: revocation to ${fleet.ids.length} controllers`);
    const rounds = Number(values.revocations);
    const revocations = await measureRevocations(api, fleet, plan, rounds);
    progress(`${db}: door actions`);
    await profiler?.start();
    const doorActions = await measureDoorActions(api, plan, Number(values.actions));
    await profiler?.stop(join(values.out, `stack-${db}-actions`));
    const rss = process.memoryUsage().rss;
    const controllerMemory = processes > 0 ? await fleet.memory() : [];
    const memory: ProcessMemory[] = [
      {
        role: processes > 0 ? 'server' : 'server and controllers',
        pid: process.pid,
        controllers: processes > 0 ? 0 : size.controllers,
        rssMiB: rss / 2 ** 20,
      },
      ...controllerMemory,
      { role: 'stream clients', pid: streamed.pid, controllers: 0, rssMiB: streamed.rssMiB },
    ];
    // What the agents added: to the server's process (in it), or to each controller process since
    // before its agents started.
    const agentsBytes =
      processes > 0
        ? controllerMemory.reduce((a, m) => a + (m.rssMiB - (m.rssBeforeAgentsMiB ?? 0)) * 2 ** 20, 0)
        : Math.max(0, rss - rssServer);
    return {
      db,
      size: {
        controllers: size.controllers,
        doors: size.controllers * size.doorsPerController,
        people: size.people,
      },
      importRowsPerSecond: (2 * size.people) / importSeconds,
      policySeconds,
      readToUnlockMs: { p50: percentile(reads.latencies, 0.5), p99: percentile(reads.latencies, 0.99) },
      reads: reads.reads,
      serverCpuPerEventUs,
      unexpected: reads.unexpected,
      readRatePerSecond: reads.ratePerSecond,
      sustainedEventsPerSecond: sustained,
      undelivered,
      revocationMs: {
        samples: revocations.length,
        expected: rounds * fleet.ids.length,
        p50: percentile(revocations, 0.5),
        p99: percentile(revocations, 0.99),
      },
      doorActionMs: doorActions,
      streamMs: {
        samples: streamed.samples,
        p50: streamed.p50,
        p99: streamed.p99,
        perClientEvents: streamed.perClientEvents,
        clients,
      },
      controllerProcesses: processes,
      rssMiB: rss / 2 ** 20,
      perControllerMiB: agentsBytes / 2 ** 20 / size.controllers,
      processes: memory,
      seconds: { stack: (performance.now() - tStack) / 1000 },
    };
  } finally {
    await fleet?.stop();
    await running?.close();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(controllerDir, { recursive: true, force: true });
  }
}

/** The events/s target of an engine's ingest (DESIGN.md §7). */
const ingestTarget = (f: StackFigures) =>
  f.db === 'sqlite' ? EVENT_TARGETS.sqliteIngestPerSecond : EVENT_TARGETS.postgresIngestPerSecond;

function markdown(figures: StackFigures[], totalSeconds: number): string {
  const ratio = (v: number | undefined, target: number) =>
    v === undefined ? '—' : `${(v / target).toFixed(2)}×`;
  const rows: string[][] = [
    ['figure', ...figures.map((f) => f.db), 'target', ...figures.map((f) => `ratio (${f.db})`)],
  ];
  /** A row; the target may differ per engine (ingest), and a figure may be absent (--no-events). */
  const add = (
    name: string,
    pick: (f: StackFigures) => number | undefined,
    target: number | ((f: StackFigures) => number),
    unit: string,
    higher = false,
  ) => {
    const targetOf = (f: StackFigures) => (typeof target === 'number' ? target : target(f));
    const targets = [...new Set(figures.map(targetOf))];
    const unitText = unit === '×' ? '×' : ` ${unit}`;
    rows.push([
      name,
      ...figures.map((f) => {
        const v = pick(f);
        return v === undefined ? '—' : `${fmt(v)}${unitText}`;
      }),
      `${higher ? '≥' : '≤'} ${targets.map((t) => `${fmt(t)}${unitText}`).join(' / ')}`,
      ...figures.map((f) => ratio(pick(f), targetOf(f))),
    ]);
  };
  add('read → unlock p99 (controller)', (f) => f.readToUnlockMs.p99, TARGETS.readToUnlockP99, 'ms');
  add('revocation p99 to every controller', (f) => f.revocationMs.p99, TARGETS.revocationP99, 'ms');
  add('door action p99 (API → applied)', (f) => f.doorActionMs.p99, TARGETS.doorActionP99, 'ms');
  add('push stream p99 (decision → client)', (f) => f.streamMs.p99, TARGETS.streamP99, 'ms');
  add(
    'sustained events/s through the stack',
    (f) => f.sustainedEventsPerSecond,
    TARGETS.sustainedEvents,
    '/s',
    true,
  );
  add('CSV import through the API', (f) => f.importRowsPerSecond, TARGETS.importRows, 'rows/s', true);
  if (figures.some((f) => f.events)) {
    const events = figures.find((f) => f.events)!.events!.search.events.toLocaleString('en');
    add(
      `search p99, person + 7 days, ${events} events`,
      (f) => f.events?.search.byPerson.p99,
      EVENT_TARGETS.searchP99Ms,
      'ms',
    );
    add(
      `search p99, door + 1 day, ${events} events`,
      (f) => f.events?.search.byDoor.p99,
      EVENT_TARGETS.searchP99Ms,
      'ms',
    );
    add('ingest, EventStore alone', (f) => f.events?.ingest.ingestPerSecond, ingestTarget, '/s', true);
    add('ingest, whole path', (f) => f.events?.ingest.path.perSecond, ingestTarget, '/s', true);
    add(
      'ingest, whole path, all at once',
      (f) => f.events?.ingest.grouped.perSecond,
      ingestTarget,
      '/s',
      true,
    );
    add(
      'ingest ÷ raw, EventStore alone',
      (f) => f.events?.ingest.ratio,
      EVENT_TARGETS.ingestVsRaw,
      '×',
      true,
    );
    add('ingest ÷ raw, whole path', (f) => f.events?.ingest.path.ratio, EVENT_TARGETS.ingestVsRaw, '×', true);
    add(
      'ingest ÷ raw, whole path, all at once',
      (f) => f.events?.ingest.grouped.ratio,
      EVENT_TARGETS.ingestVsRaw,
      '×',
      true,
    );
  }
  const lines = [
    `# bench:stack — ${new Date().toISOString()} (Node ${process.version}), ${fmt(totalSeconds / 60, 1)} minutes`,
    '',
    ...figures.map(
      (f) =>
        `- ${f.db}: ${f.controllerProcesses > 0 ? `controllers in ${f.controllerProcesses} processes of their own` : 'controllers in the server process'}; ${f.size.controllers} controllers, ${f.size.doors} doors, ${f.size.people.toLocaleString('en')} people; ${f.reads} reads (${f.unexpected} unexpected, ${f.undelivered} undelivered), read → unlock p50 ${fmt(f.readToUnlockMs.p50)} ms; server CPU ${fmt(f.serverCpuPerEventUs)} µs per event; revocation samples ${f.revocationMs.samples}/${f.revocationMs.expected}, p50 ${fmt(f.revocationMs.p50)} ms; door actions ${f.doorActionMs.samples} applied (${f.doorActionMs.notApplied} not), p50 ${fmt(f.doorActionMs.p50)} ms; push stream ${f.streamMs.clients} clients, ${fmt(f.streamMs.perClientEvents)} access events each, p50 ${fmt(f.streamMs.p50)} ms; policy at every controller ${fmt(f.policySeconds)} s after the import; RSS ${f.processes.map((m) => `${m.role} ${fmt(m.rssMiB)} MiB`).join(', ')} (${fmt(f.perControllerMiB)} MiB per controller)`,
    ),
    ...figures.flatMap((f) => {
      if (!f.events) return [];
      const { ingest, search } = f.events;
      return [
        `- ${f.db} events: ingest of ${ingest.events.toLocaleString('en')} events from ${ingest.controllers} controllers in batches of ${ingest.batch} (${ingest.parallel} at once) against a raw bulk insert of the same rows, ${fmt(ingest.rawPerSecond, 0)} events/s; batch p99 ${fmt(ingest.ingestMs.p99)} ms (EventStore), ${fmt(ingest.path.ms.p99)} ms (whole path), ${fmt(ingest.grouped.ms.p99)} ms (all at once), raw ${fmt(ingest.rawMs.p99)} ms; search p50 ${fmt(search.byPerson.p50)} ms by person (${fmt(search.personRows, 1)} rows a page), ${fmt(search.byDoor.p50)} ms by door (${fmt(search.doorRows, 1)} rows), over ${search.events.toLocaleString('en')} events, ${search.people.toLocaleString('en')} people, ${search.doors.toLocaleString('en')} doors, ${search.days} days, generated into storage in ${fmt(search.generateSeconds, 0)} s`,
      ];
    }),
    `- duration: ${figures.map((f) => `${f.db} stack ${fmt(f.seconds.stack, 0)} s${f.seconds.ingest === undefined ? '' : `, ingest ${fmt(f.seconds.ingest, 0)} s, search ${fmt(f.seconds.search ?? 0, 0)} s (generation included)`}`).join('; ')}; ${fmt(totalSeconds / 60, 1)} minutes in all`,
    '',
    ...table(rows)
      .split('\n')
      .map((l) => `    ${l}`),
    '',
  ];
  return lines.join('\n');
}

/** The event store's section on the engine the stack part just ran on (its server closed by then). */
async function eventsOn(f: StackFigures, events: number): Promise<void> {
  const engine: Engine = f.db === 'sqlite' ? { dialect: 'sqlite' } : { dialect: 'postgres', url: POSTGRES };
  const t0 = performance.now();
  const ingest = await measureIngestOn(engine, progress);
  const t1 = performance.now();
  const search = await measureSearchOn(engine, events, progress);
  f.events = { ingest, search };
  f.seconds.ingest = (t1 - t0) / 1000;
  f.seconds.search = (performance.now() - t1) / 1000;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const events = Number(values.events.replaceAll('_', ''));
  if (!Number.isSafeInteger(events) || events < 10_000)
    throw new Error('--events: a whole number of at least 10,000');
  const figures: StackFigures[] = [];
  mkdirSync(values.out, { recursive: true });
  for (const db of values.db.split(',')) {
    const f = await runOn(db.trim());
    if (f) figures.push(f);
  }
  // Every engine's stack part first, then the event sections: the SQLite bulk load's page cache
  // (1 GiB) stays in this process's RSS after it closes, which the next engine's stack part would
  // have counted as its server's (1,844 MiB on PostgreSQL in the run of 7 December).
  if (!values['no-events']) for (const f of figures) await eventsOn(f, events);
  const totalSeconds = (performance.now() - t0) / 1000;
  mkdirSync(values.out, { recursive: true });
  writeFileSync(
    join(values.out, 'stack.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, totalSeconds, figures }, null, 2)}\n`,
  );
  const md = markdown(figures, totalSeconds);
  writeFileSync(join(values.out, 'stack.md'), md);
  process.stdout.write(md);
}

await main();
