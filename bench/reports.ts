// The reports at the size of DESIGN.md §7: 100,000 people on a 20-floor campus with a My Number
// room, and a month of working days generated through the real decision path — one real
// ControllerAgent per controller deciding from the snapshot the server builds for it (journals on
// /dev/shm when there is one, so fsync costs nothing), its journal taken in by the server's own
// ingest (event chains, presence, presence history, credential last use). Then each report is asked
// through the HTTP app (as the console would) and timed, beside a baseline in the same process: a
// page of the plain event search for one person and month.
//
// MONBAN_BENCH_REPORT_PEOPLE (default 100,000), MONBAN_BENCH_REPORT_ATTENDEES (people at work per
// day, default 5,000), MONBAN_BENCH_REPORT_DAYS (working days, default 22: April 2026).

import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { credentialIdHash, siteCredentialKey } from '../src/contracts/credential-key.ts';
import { Sealer } from '../src/contracts/envelope.ts';
import type { ControllerEvent } from '../src/contracts/messages.ts';
import { ControllerAgent } from '../src/controller/agent.ts';
import type { ControllerIdentity } from '../src/controller/identity.ts';
import { TimeZone } from '../src/core/time/zone.ts';
import { composeServer } from '../src/server/compose.ts';
import { controllerAlarms } from '../src/server/controllers/controller-alarms.ts';
import type { EventIngest } from '../src/server/controllers/ingest.ts';
import { buildSnapshot, siteAsJson } from '../src/server/controllers/snapshot.ts';
import type { Principal } from '../src/server/http/principal.ts';
import { chainKeys } from '../src/server/storage/chain.ts';
import { openStore, type Store } from '../src/server/storage/db.ts';
import { repositories } from '../src/server/storage/index.ts';
import { standaloneIngest } from '../test/support/event-ingest.ts';
import { rng } from './site-generator.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';

const KEY = new Uint8Array(32).fill(9);
const ZONE = new TimeZone('Asia/Tokyo');
const CONTROLLERS = 10;
const FLOORS = 20;
const MYNUMBER_STAFF = 50;
const local = (text: string) => ZONE.toInstant(Date.parse(`${text}Z`));

export interface ReportTiming {
  name: string;
  latency: LatencyStats;
  /** p50 of the report ÷ p50 of the baseline */
  ratio: number;
  bytes: number;
}

export interface ReportsBench {
  people: number;
  attendeesPerDay: number;
  days: number;
  events: number;
  seedMs: number;
  generateMs: number;
  decisionsPerSecond: number;
  ingestPerSecond: number;
  baseline: LatencyStats;
  reports: ReportTiming[];
}

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
};

async function insertAll(store: Store, table: string, rows: readonly Record<string, unknown>[]) {
  for (let i = 0; i < rows.length; i += 500)
    // biome-ignore lint/suspicious/noExplicitAny: one helper for every table of the seed
    await (store.db as any)
      .insertInto(table)
      .values(rows.slice(i, i + 500))
      .execute();
}

const pid = (i: number) => `P${String(i).padStart(6, '0')}`;
const floorOf = (i: number) => (i % FLOORS) + 1;

/** The campus, as the API would have stored it, in bulk (the API would take minutes for 100,000). */
async function seed(store: Store, people: number): Promise<void> {
  const now = local('2026-03-01T00:00:00');
  const stamps = { created_at: now, updated_at: now };
  const key = siteCredentialKey(KEY);
  await store.db.transaction().execute(async (tx) => {
    const s = { ...store, db: tx } as unknown as Store;
    await insertAll(s, 'sites', [
      { id: 'tokyo', name: 'Tokyo', timezone: 'Asia/Tokyo', topic: 'tokyo', ...stamps },
    ]);
    await insertAll(
      s,
      'controllers',
      Array.from({ length: CONTROLLERS }, (_, i) => ({
        id: `ctl-${i}`,
        name: `ctl-${i}`,
        site: 'tokyo',
        description: null,
        ...stamps,
      })),
    );
    const area = (id: string, parent: string, zone: string | null = null) => ({
      id,
      name: id,
      parent_id: parent,
      site: 'tokyo',
      max_occupancy: null,
      antipassback: null,
      offline_mode: 'local',
      rules: null,
      my_number_zone: zone,
      ...stamps,
    });
    await insertAll(s, 'areas', [
      area('lobby', 'outside'),
      ...Array.from({ length: FLOORS }, (_, i) => area(`floor-${i + 1}`, 'lobby')),
    ]);
    await insertAll(s, 'areas', [
      area('mn-room', 'floor-1', 'management'),
      area('mn-desk', 'floor-1', 'handling'),
    ]);
    const door = (id: string, from: string, to: string, controller: number) => ({
      id,
      name: id,
      from_area: from,
      to_area: to,
      controller_id: `ctl-${controller}`,
      mode: 'card',
      strike_seconds: 5,
      held_open_seconds: 30,
      rules: null,
      ...stamps,
    });
    await insertAll(s, 'doors', [
      ...Array.from({ length: CONTROLLERS }, (_, i) => door(`gate-${i}`, 'outside', 'lobby', i)),
      ...Array.from({ length: FLOORS }, (_, i) =>
        door(`floor-door-${i + 1}`, 'lobby', `floor-${i + 1}`, i % CONTROLLERS),
      ),
      door('mn-door', 'floor-1', 'mn-room', 0),
      door('desk-door', 'floor-1', 'mn-desk', 0),
    ]);
    const weekly = JSON.stringify(
      Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, ['07:00-22:00']])),
    );
    await insertAll(s, 'schedules', [
      { id: 'business', name: 'business', timezone: 'Asia/Tokyo', weekly, ...stamps },
    ]);
    const levels = [...Array.from({ length: FLOORS }, (_, i) => `entry-${i + 1}`), 'mynumber'];
    await insertAll(
      s,
      'access_levels',
      levels.map((id) => ({ id, name: id, schedule_id: 'business', ...stamps })),
    );
    await insertAll(s, 'access_level_doors', [
      ...Array.from({ length: FLOORS }, (_, f) => [
        ...Array.from({ length: CONTROLLERS }, (_, g) => ({
          level_id: `entry-${f + 1}`,
          door_id: `gate-${g}`,
        })),
        { level_id: `entry-${f + 1}`, door_id: `floor-door-${f + 1}` },
      ]).flat(),
      { level_id: 'mynumber', door_id: 'mn-door' },
      { level_id: 'mynumber', door_id: 'desk-door' },
    ]);
    const groups = [...Array.from({ length: FLOORS }, (_, i) => `floor-${i + 1}`), 'mynumber-staff'];
    await insertAll(
      s,
      'groups',
      groups.map((id) => ({ id, name: id, description: null, ...stamps })),
    );
    await insertAll(s, 'group_levels', [
      ...Array.from({ length: FLOORS }, (_, i) => ({
        group_id: `floor-${i + 1}`,
        level_id: `entry-${i + 1}`,
      })),
      { group_id: 'mynumber-staff', level_id: 'mynumber' },
    ]);
    const ids = Array.from({ length: people }, (_, i) => i);
    await insertAll(
      s,
      'people',
      ids.map((i) => ({
        id: pid(i),
        name: `社員 ${i}`,
        department: `dept-${floorOf(i)}`,
        site: 'tokyo',
        // One in a hundred has left (and still holds an active card: the 棚卸 finds them).
        active: i % 100 === 99 ? 0 : 1,
        left_at: i % 100 === 99 ? now : null,
        ...stamps,
      })),
    );
    await insertAll(s, 'person_groups', [
      ...ids.map((i) => ({ person_id: pid(i), group_id: `floor-${floorOf(i)}` })),
      ...ids.slice(0, MYNUMBER_STAFF).map((i) => ({ person_id: pid(i), group_id: 'mynumber-staff' })),
    ]);
    await insertAll(
      s,
      'credentials',
      ids.map((i) => ({
        id: `${pid(i)}-card`,
        person_id: pid(i),
        type: 'card',
        identifier: `C-${i}`,
        pin_hash: null,
        duress_pin_hash: null,
        state: 'active',
        valid_from: null,
        // One in a thousand is a guest card that has expired.
        valid_until: i % 1000 === 7 ? now : null,
        max_uses: null,
        uses: 0,
        label: null,
        ref_hash: credentialIdHash(key, 'card', `C-${i}`),
        ...stamps,
      })),
    );
  });
}

interface Sim {
  agents: Map<string, { agent: ControllerAgent; dir: string; ingested: number }>;
  clock: { now: number };
}

async function startAgents(store: Store, root: string, clock: { now: number }): Promise<Sim> {
  const agents = new Map<string, { agent: ControllerAgent; dir: string; ingested: number }>();
  const credentialKey = siteCredentialKey(KEY);
  for (let i = 0; i < CONTROLLERS; i++) {
    const controllerId = `ctl-${i}`;
    const content = await buildSnapshot(store.db, controllerId, credentialKey);
    const server = generateKeyPairSync('ed25519');
    const identity: ControllerIdentity = {
      controllerId,
      site: 'tokyo',
      mqttUrl: 'mqtt://127.0.0.1:9',
      mqttProtocol: 4,
      brokerCa: undefined,
      serverKey: server.publicKey,
      credentialKey,
      privateKey: generateKeyPairSync('ed25519').privateKey,
    };
    const body = {
      kind: 'snapshot',
      version: 1,
      issuedAt: clock.now,
      maxAgeMinutes: 366 * 24 * 60,
      fallback: 'keep_deciding',
      emergency: content.emergency,
      offlineDeny: content.offlineDeny,
      site: await siteAsJson(content.site),
    };
    const envelope = new Sealer('server', server.privateKey).seal(
      `monban/tokyo/server/commands/${controllerId}`,
      body,
      clock.now,
    );
    const dir = join(root, controllerId);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ base: envelope, deltas: [] }));
    const agent = new ControllerAgent({
      dataDir: dir,
      identity,
      softwareVersion: 'bench',
      now: () => clock.now,
    });
    agents.set(controllerId, { agent, dir, ingested: 0 });
  }
  return { agents, clock };
}

const DOOR_CONTROLLER = (door: string): string => {
  if (door.startsWith('gate-')) return `ctl-${door.slice(5)}`;
  if (door.startsWith('floor-door-')) return `ctl-${(Number(door.slice(11)) - 1) % CONTROLLERS}`;
  return 'ctl-0';
};

/** One working day's presentations, in time order, through the agents; then the ingest. */
async function simulateDay(
  sim: Sim,
  ingest: EventIngest,
  date: string,
  people: number,
  attendees: number,
  random: () => number,
): Promise<{ presented: number; decideMs: number; ingested: number; ingestMs: number }> {
  const steps: { at: number; person: number; door: string; side: 'in' | 'out' }[] = [];
  const base = local(`${date}T00:00:00`);
  const minute = 60_000;
  const chosen = new Set<number>();
  for (let i = 0; i < MYNUMBER_STAFF && chosen.size < attendees; i++) if (random() < 0.9) chosen.add(i);
  while (chosen.size < Math.min(attendees, people)) chosen.add(Math.floor(random() * people));
  for (const i of chosen) {
    if (i % 100 === 99 || i % 1000 === 7) continue; // left, or an expired guest card: refused at the gate
    const gate = `gate-${Math.floor(random() * CONTROLLERS)}`;
    const floor = `floor-door-${floorOf(i)}`;
    const arrive =
      base + 8 * 60 * minute + Math.floor(random() * 120) * minute + Math.floor(random() * 60_000);
    const leave =
      base + 17 * 60 * minute + Math.floor(random() * 180) * minute + Math.floor(random() * 60_000);
    steps.push({ at: arrive, person: i, door: gate, side: 'in' });
    steps.push({ at: arrive + 90_000, person: i, door: floor, side: 'in' });
    if (i < MYNUMBER_STAFF) {
      const enter = base + 10 * 60 * minute + Math.floor(random() * 240) * minute;
      steps.push({ at: enter, person: i, door: 'mn-door', side: 'in' });
      steps.push({
        at: enter + (20 + Math.floor(random() * 60)) * minute,
        person: i,
        door: 'mn-door',
        side: 'out',
      });
    }
    steps.push({ at: leave, person: i, door: floor, side: 'out' });
    steps.push({ at: leave + 90_000, person: i, door: gate, side: 'out' });
  }
  steps.sort((a, b) => a.at - b.at);
  // As live controllers do, the agents' new events reach the server within the minute (a person's
  // next door is at least 90 s later, so each person's passages arrive in order, as they do live).
  let decideMs = 0;
  let ingestMs = 0;
  let ingested = 0;
  const deliver = async () => {
    const t = performance.now();
    for (const [controllerId, a] of sim.agents) {
      let batch: ControllerEvent[] = [];
      const send = async () => {
        await ingest.ingest(controllerId, batch);
        ingested += batch.length;
        a.ingested = batch.at(-1)!.seq;
        batch = [];
      };
      for (const entry of a.agent.journal.unacknowledged()) {
        if (entry.seq <= a.ingested) continue;
        batch.push({ seq: entry.seq, ...JSON.parse(new TextDecoder().decode(entry.payload)) });
        if (batch.length === 1000) await send();
      }
      if (batch.length > 0) await send();
      if (a.ingested > a.agent.journal.acknowledged) a.agent.journal.acknowledge(a.ingested);
    }
    ingestMs += performance.now() - t;
  };
  let due = base + minute;
  let t = performance.now();
  for (const step of steps) {
    if (step.at >= due) {
      decideMs += performance.now() - t;
      await deliver();
      while (due <= step.at) due += minute;
      t = performance.now();
    }
    sim.clock.now = step.at;
    sim.agents.get(DOOR_CONTROLLER(step.door))!.agent.present({
      door: step.door,
      side: step.side,
      card: `C-${step.person}`,
      type: 'card',
    });
  }
  decideMs += performance.now() - t;
  await deliver();
  return { presented: steps.length, decideMs, ingested, ingestMs };
}

function workingDays(count: number): string[] {
  const out: string[] = [];
  for (let d = Date.parse('2026-04-01T00:00:00Z'); out.length < count; d += 86_400_000) {
    const day = new Date(d);
    if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) out.push(day.toISOString().slice(0, 10));
  }
  return out;
}

export async function runReportsBench(progress: Progress): Promise<ReportsBench> {
  const people = env('MONBAN_BENCH_REPORT_PEOPLE', 100_000);
  const attendees = env('MONBAN_BENCH_REPORT_ATTENDEES', 5_000);
  const days = workingDays(env('MONBAN_BENCH_REPORT_DAYS', 22));
  const dir = mkdtempSync(join(tmpdir(), 'monban-bench-reports-'));
  const shm = existsSync('/dev/shm')
    ? mkdtempSync('/dev/shm/monban-bench-agents-')
    : mkdtempSync(join(dir, 'agents-'));
  const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
  // Generating a month in a few minutes: no fsync per commit (the WAL still orders every write).
  // Only the generation is faster for it; the reports timed below only read.
  await sql`pragma synchronous = normal`.execute(store.db);
  const clock = { now: local('2026-03-31T12:00:00') };
  const admin: Principal = { kind: 'operator', id: 'bench-admin', role: 'admin', scope: 'all' };
  const server = await composeServer({
    store,
    installationKey: KEY,
    logger: pino({ level: 'silent' }),
    clock: { now: () => clock.now },
    controllers: false,
    docs: false,
    authenticate: () => admin,
  });
  const agents: Sim['agents'] = new Map();
  try {
    let t = performance.now();
    progress(`reports: seeding ${people.toLocaleString()} people`);
    await seed(store, people);
    const seedMs = performance.now() - t;

    const sim = await startAgents(store, shm, clock);
    for (const [id, a] of sim.agents) agents.set(id, a);
    const repos = repositories(store.db, KEY);
    const raise = controllerAlarms(server.alarms, 'tokyo', pino({ level: 'silent' }));
    const ingest = standaloneIngest(store.db, repos, raise, {
      credentialKey: siteCredentialKey(KEY),
      eventKey: chainKeys(KEY).events,
    });
    const random = rng(15);
    let presented = 0;
    let decideMs = 0;
    let ingested = 0;
    let ingestMs = 0;
    t = performance.now();
    for (const [i, date] of days.entries()) {
      const day = await simulateDay(sim, ingest, date, people, attendees, random);
      presented += day.presented;
      decideMs += day.decideMs;
      ingested += day.ingested;
      ingestMs += day.ingestMs;
      if (i % 5 === 4 || i === days.length - 1)
        progress(`reports: ${i + 1}/${days.length} days, ${ingested.toLocaleString()} events`);
    }
    const generateMs = performance.now() - t;
    // Mid-morning of the month's last day, for "now" (muster, inventory).
    clock.now = local(`${days.at(-1)}T11:00:00`);

    const app = server.app;
    await app.ready();
    const month = `from=${encodeURIComponent('2026-04-01T00:00:00+09:00')}&until=${encodeURIComponent('2026-05-01T00:00:00+09:00')}`;
    // A working day in the middle of the month, and the next midnight.
    const mid = days[Math.floor(days.length / 2)]!;
    const next = new Date(Date.parse(`${mid}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const oneDay = `from=${encodeURIComponent(`${mid}T00:00:00+09:00`)}&until=${encodeURIComponent(`${next}T00:00:00+09:00`)}`;
    const person = pid(12);
    const time = async (url: string, runs: number): Promise<{ latency: LatencyStats; bytes: number }> => {
      const samples = new Float64Array(runs);
      let bytes = 0;
      for (let i = 0; i < runs; i++) {
        const start = performance.now();
        const res = await app.inject({ method: 'GET', url });
        samples[i] = (performance.now() - start) * 1000;
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
        bytes = res.rawPayload.length;
      }
      return { latency: latencyStats(samples), bytes };
    };
    progress('reports: timing');
    const baseline = (await time(`/api/events?person=${person}&${month}&limit=100`, 50)).latency;
    const cases: [string, string, number][] = [
      [
        'event export, one person, month (JSON page)',
        `/api/reports/events?person=${person}&${month}&limit=100`,
        50,
      ],
      [
        'event export, denials at a door, month (CSV)',
        `/api/reports/events/csv?door=gate-3&result=deny&${month}`,
        10,
      ],
      [
        'event export, one gate, one day (CSV, Shift_JIS)',
        `/api/reports/events/csv?door=gate-3&${oneDay}&encoding=shift_jis`,
        10,
      ],
      [
        'attendance, month, 100 people (JSON page)',
        '/api/reports/attendance?from=2026-04-01&to=2026-04-30&limit=100',
        30,
      ],
      [
        'attendance, month, one floor (CSV, monthly)',
        '/api/reports/attendance/csv?from=2026-04-01&to=2026-04-30&department=dept-5&view=monthly',
        5,
      ],
      ['muster, every area, now', '/api/reports/muster', 10],
      ['occupancy, a floor, month, hourly', `/api/reports/occupancy?areas=floor-3&${month}&step=60`, 10],
      [
        'My Number zone access, month (with evidence)',
        `/api/reports/my-number/access?${month}&limit=200`,
        10,
      ],
      ['incident, My Number room, one day', `/api/reports/incident?zone=mn-room&${oneDay}`, 20],
      ['incident, a floor, one day (CSV)', `/api/reports/incident/csv?zone=floor-3&${oneDay}`, 5],
      ['棚卸: unused 7 days (page)', '/api/reports/inventory/unused?days=7&limit=100', 20],
      ['棚卸: left with active cards (page)', '/api/reports/inventory/left?limit=100', 20],
      [
        'access review, a floor (5,000 people, page)',
        '/api/reports/access-review?area=floor-3&limit=200',
        10,
      ],
      ['access review, My Number room', '/api/reports/access-review?area=mn-room', 20],
    ];
    const reports: ReportTiming[] = [];
    for (const [name, url, runs] of cases) {
      const { latency, bytes } = await time(url, runs);
      reports.push({ name, latency, bytes, ratio: latency.p50 / baseline.p50 });
    }
    return {
      people,
      attendeesPerDay: attendees,
      days: days.length,
      events: ingested,
      seedMs,
      generateMs,
      decisionsPerSecond: presented / (decideMs / 1000),
      ingestPerSecond: ingested / (ingestMs / 1000),
      baseline,
      reports,
    };
  } finally {
    for (const a of agents.values()) await a.agent.stop();
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(shm, { recursive: true, force: true });
  }
}
