// Simulated working days at a small office, through the real decision path, for the report tests:
// the site is written through the management API (test/server/api/support.ts: the composition root),
// each controller is a real ControllerAgent deciding offline from the snapshot the server builds for
// it (credentials as keyed hashes), people present cards (and PINs) at readers and open doors on a
// simulated clock, and what the agents journal goes through the server's own ingest (credential
// references, event chains, presence, presence history, alarms) — no hand-written event rows.
//
// The site (Asia/Tokyo): outside → lobby (gate) → office (office-door); inside the office the
// My Number room (管理区域, card + PIN), the My Number desk area (取扱区域) and a server room.
// Controllers: ctl-front (gate, office-door), ctl-secure (the rest).

import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { siteCredentialKey } from '../../src/contracts/credential-key.ts';
import { Sealer } from '../../src/contracts/envelope.ts';
import type { ControllerEvent } from '../../src/contracts/messages.ts';
import { ControllerAgent } from '../../src/controller/agent.ts';
import type { ControllerIdentity } from '../../src/controller/identity.ts';
import { controllerAlarms } from '../../src/server/controllers/controller-alarms.ts';
import type { EventIngest } from '../../src/server/controllers/ingest.ts';
import { buildSnapshot, siteAsJson } from '../../src/server/controllers/snapshot.ts';
import { chainKeys } from '../../src/server/storage/chain.ts';
import { type Api, KEY, startApi } from '../server/api/support.ts';
import { standaloneIngest } from './event-ingest.ts';
import { at } from './sites.ts';

export const CONTROLLERS = ['ctl-front', 'ctl-secure'] as const;
export const DOOR_CONTROLLER: Record<string, (typeof CONTROLLERS)[number]> = {
  gate: 'ctl-front',
  'office-door': 'ctl-front',
  'mn-door': 'ctl-secure',
  'desk-door': 'ctl-secure',
  'sr-door': 'ctl-secure',
};

export interface SimPerson {
  id: string;
  name: string;
  department: string;
  groups: string[];
  card: string;
  pin?: string;
  active?: boolean;
  /** a key that expired before the simulation began */
  expiredKey?: boolean;
}

/** 16 staff: 4 of them My Number staff (card + PIN), 2 in IT; one who has left; one expired guest. */
export function simPeople(): SimPerson[] {
  const people: SimPerson[] = [];
  for (let i = 1; i <= 16; i++) {
    const id = `E${String(i).padStart(3, '0')}`;
    const groups = ['staff'];
    let department = '営業部';
    if (i <= 4) {
      groups.push('mynumber-staff');
      department = '人事部';
    } else if (i <= 6) {
      groups.push('it');
      department = '情報システム部';
    }
    people.push({
      id,
      name: `社員 ${i}号`,
      department,
      groups,
      card: `C-${1000 + i}`,
      ...(i <= 4 && { pin: String(4800 + i) }),
    });
  }
  people.push({
    id: 'E099',
    name: '退職 太郎',
    department: '営業部',
    groups: ['staff'],
    card: 'C-1099',
    active: false,
  });
  people.push({
    id: 'V001',
    name: '来客 木村 様',
    department: '来客',
    groups: ['staff'],
    card: 'K-9001',
    expiredKey: true,
  });
  return people;
}

/** A small seeded random source (the same days every run). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const weekdays = (interval: string) =>
  Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [interval]]));

interface Agent {
  agent: ControllerAgent;
  dir: string;
  ingested: number;
}

export class ReportSite {
  api!: Api;
  readonly clock = { now: at('2026-03-31T12:00:00') };
  readonly people = simPeople();
  private readonly agents = new Map<string, Agent>();
  private ingest!: EventIngest;
  private readonly rand = random(15);
  /** what the simulation did, to check the reports against */
  readonly log: {
    at: number;
    person: string;
    door: string;
    side: 'in' | 'out';
    result: string;
    reason: string;
  }[] = [];

  async start(): Promise<this> {
    this.api = await startApi();
    this.api.now = this.clock.now;
    await this.writeSite();
    const db = this.api.store.db;
    const raise = controllerAlarms(this.api.server.alarms, 'tokyo', pino({ level: 'silent' }));
    const repos = this.api.repos;
    this.ingest = standaloneIngest(db, repos, raise, {
      credentialKey: siteCredentialKey(KEY),
      eventKey: chainKeys(KEY).events,
    });
    for (const id of CONTROLLERS) await this.startAgent(id);
    return this;
  }

  private async post(url: string, body: unknown): Promise<void> {
    const res = await this.api.post('admin', url, body);
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  }

  /** The site, written as an administrator would, through the API. */
  private async writeSite(): Promise<void> {
    await this.post('/api/sites', { id: 'tokyo', name: '東京本社', timezone: 'Asia/Tokyo', topic: 'tokyo' });
    for (const id of CONTROLLERS) await this.post('/api/controllers', { id, name: id, site: 'tokyo' });
    const area = (id: string, name: string, parentId: string, extra: Record<string, unknown> = {}) =>
      this.post('/api/areas', { id, name, parentId, site: 'tokyo', ...extra });
    await area('lobby', 'ロビー', 'outside');
    await area('office', '執務室', 'lobby');
    await area('mn-room', 'マイナンバー保管室', 'office', { myNumberZone: 'management' });
    await area('mn-desk', 'マイナンバー事務エリア', 'office', { myNumberZone: 'handling' });
    await area('server-room', 'サーバ室', 'office');
    const door = (id: string, fromArea: string, toArea: string, extra: Record<string, unknown> = {}) =>
      this.post('/api/doors', {
        id,
        name: `${id} 扉`,
        fromArea,
        toArea,
        controllerId: DOOR_CONTROLLER[id],
        heldOpenSeconds: 30,
        ...extra,
      });
    await door('gate', 'outside', 'lobby');
    await door('office-door', 'lobby', 'office');
    await door('mn-door', 'office', 'mn-room', { mode: 'card+pin' });
    await door('desk-door', 'office', 'mn-desk');
    await door('sr-door', 'office', 'server-room');
    await this.post('/api/schedules', { id: 'business', name: '業務時間', weekly: weekdays('07:00-22:00') });
    const level = (id: string, doors: string[], scheduleId: string | null) =>
      this.post('/api/access-levels', { id, name: id, doors, scheduleId });
    await level('entry', ['gate', 'office-door'], 'business');
    await level('mynumber', ['mn-door', 'desk-door'], 'business');
    await level('server', ['sr-door'], null);
    for (const [id, levels] of [
      ['staff', ['entry']],
      ['mynumber-staff', ['mynumber']],
      ['it', ['server']],
    ] as const)
      await this.post('/api/groups', { id, name: id, levels });
    for (const p of this.people) {
      await this.post('/api/people', {
        id: p.id,
        name: p.name,
        department: p.department,
        site: 'tokyo',
        groups: p.groups,
      });
      await this.post('/api/credentials', {
        id: `${p.id}-card`,
        personId: p.id,
        type: p.expiredKey ? 'key' : 'card',
        identifier: p.card,
        ...(p.pin && { pin: p.pin }),
        ...(p.expiredKey && {
          validFrom: new Date(this.clock.now - 10 * 86_400_000).toISOString(),
          validUntil: new Date(this.clock.now - 86_400_000).toISOString(),
        }),
      });
    }
    // Marked as left after the card was issued: the card stays active (the 棚卸 finds it).
    for (const p of this.people)
      if (p.active === false) {
        const res = await this.api.patch('admin', `/api/people/${p.id}`, { active: false });
        if (res.statusCode !== 200) throw new Error(`leave ${p.id}: ${res.body}`);
      }
  }

  /** A real agent with the server's snapshot for it, signed, on disk — as after a power cut. */
  private async startAgent(controllerId: string): Promise<void> {
    const credentialKey = siteCredentialKey(KEY);
    const content = await buildSnapshot(this.api.store.db, controllerId, credentialKey);
    const server = generateKeyPairSync('ed25519');
    const identity: ControllerIdentity = {
      controllerId,
      site: 'tokyo',
      mqttUrl: 'mqtt://127.0.0.1:9', // the link is never started: the agent decides offline
      mqttProtocol: 4,
      brokerCa: undefined,
      serverKey: server.publicKey,
      credentialKey,
      privateKey: generateKeyPairSync('ed25519').privateKey,
    };
    const body = {
      kind: 'snapshot',
      version: 1,
      issuedAt: this.clock.now,
      maxAgeMinutes: 366 * 24 * 60,
      fallback: 'keep_deciding',
      emergency: content.emergency,
      offlineDeny: content.offlineDeny,
      site: await siteAsJson(content.site),
    };
    const envelope = new Sealer('server', server.privateKey).seal(
      `monban/tokyo/server/commands/${controllerId}`,
      body,
      this.clock.now,
    );
    const dir = mkdtempSync(join(tmpdir(), `monban-report-${controllerId}-`));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'snapshot.json'), JSON.stringify({ base: envelope, deltas: [] }));
    const agent = new ControllerAgent({
      dataDir: dir,
      identity,
      softwareVersion: 'test',
      now: () => this.clock.now,
    });
    if (agent.snapshotVersion === 0) throw new Error(`${controllerId}: the snapshot was refused`);
    this.agents.set(controllerId, { agent, dir, ingested: 0 });
  }

  private agentOf(door: string): ControllerAgent {
    return this.agents.get(DOOR_CONTROLLER[door]!)!.agent;
  }

  person(id: string): SimPerson {
    return this.people.find((p) => p.id === id)!;
  }

  /**
   * A card (and PIN) at a reader at `time`; on a grant the door opens a second later and closes
   * `openMs` after that (default 2 s; longer than the door's held-open time raises held_open).
   */
  present(
    time: number,
    personId: string,
    door: string,
    side: 'in' | 'out',
    pin?: string,
    openMs = 2_000,
  ): boolean {
    const p = this.person(personId);
    // The clock never runs backwards (a step may come due while the last door is still closing).
    time = Math.max(time, this.clock.now + 1_000);
    this.clock.now = time;
    const decision = this.agentOf(door).present({
      door,
      side,
      card: p.card,
      type: p.expiredKey ? 'key' : 'card',
      ...(pin !== undefined && { pin }),
    });
    this.log.push({
      at: time,
      person: personId,
      door,
      side,
      result: decision.result,
      reason: decision.reason,
    });
    if (decision.result !== 'grant') return false;
    this.clock.now = time + 1_000;
    this.agentOf(door).doorSensor(door, true);
    this.clock.now = time + 1_000 + openMs;
    this.agentOf(door).doorSensor(door, false);
    return true;
  }

  /** The door contact alone: opened without a grant (forced), or left open past its time (held). */
  sensor(time: number, door: string, open: boolean): void {
    this.clock.now = Math.max(time, this.clock.now + 1_000);
    this.agentOf(door).doorSensor(door, open);
  }

  /** Controllers whose events are held back (offline from the server) until `release`. */
  readonly held = new Set<string>();

  /** What the agents journaled since the last flush, through the server's ingest. */
  async flush(): Promise<number> {
    let count = 0;
    for (const [controllerId, a] of this.agents) {
      if (this.held.has(controllerId)) continue;
      const batch: ControllerEvent[] = [];
      for (const entry of a.agent.journal.unacknowledged())
        if (entry.seq > a.ingested)
          batch.push({ seq: entry.seq, ...JSON.parse(new TextDecoder().decode(entry.payload)) });
      for (let i = 0; i < batch.length; i += 200)
        await this.ingest.ingest(controllerId, batch.slice(i, i + 200));
      if (batch.length > 0) {
        a.ingested = batch.at(-1)!.seq;
        a.agent.journal.acknowledge(a.ingested);
      }
      count += batch.length;
    }
    this.api.now = this.clock.now;
    return count;
  }

  /**
   * One working day (a local date, YYYY-MM-DD): staff arrive between 08:00 and 10:00 and leave
   * between 17:00 and 20:00; My Number staff work in the room and at the desks (a mistyped PIN now
   * and then); someone without the level tries the My Number room; IT visits the server room; the
   * person who has left and the expired guest try the gate. Every few days the My Number room door
   * is forced open, or held open too long.
   */
  async day(date: string, index: number): Promise<void> {
    // Steps run in time order; a step may schedule the next one (only after a grant, say).
    const queue: { at: number; run: () => void }[] = [];
    const add = (time: number, run: () => void) => queue.push({ at: time, run });
    const t = (hhmm: string, jitterMinutes = 0) =>
      at(`${date}T${hhmm}:00`) + Math.floor(this.rand() * jitterMinutes) * 60_000;
    const minutes = (n: number) => n * 60_000;
    const staff = this.people.filter((p) => p.active !== false && !p.expiredKey);
    for (const p of staff) {
      // One in eight days, a person is away.
      if (this.rand() < 0.125) continue;
      const arrive = t('08:00', 120);
      add(arrive, () => {
        if (this.present(arrive, p.id, 'gate', 'in'))
          add(arrive + 20_000, () => this.present(arrive + 20_000, p.id, 'office-door', 'in'));
      });
      if (p.groups.includes('mynumber-staff')) {
        const enter = t('10:30', 120);
        const stay = minutes(20 + Math.floor(this.rand() * 60));
        if (this.rand() < 0.2)
          add(enter - 30_000, () => this.present(enter - 30_000, p.id, 'mn-door', 'in', '0000'));
        add(enter, () => {
          if (this.present(enter, p.id, 'mn-door', 'in', p.pin))
            add(enter + stay, () => this.present(enter + stay, p.id, 'mn-door', 'out', p.pin));
        });
        const desk = t('14:00', 60);
        add(desk, () => {
          if (this.present(desk, p.id, 'desk-door', 'in'))
            add(desk + minutes(45), () => this.present(desk + minutes(45), p.id, 'desk-door', 'out'));
        });
      }
      if (p.groups.includes('it') && this.rand() < 0.5) {
        const enter = t('13:00', 120);
        add(enter, () => {
          if (this.present(enter, p.id, 'sr-door', 'in'))
            add(enter + minutes(15), () => this.present(enter + minutes(15), p.id, 'sr-door', 'out'));
        });
      }
      const leave = t('17:00', 180);
      add(leave, () => {
        if (this.present(leave, p.id, 'office-door', 'out'))
          add(leave + 20_000, () => this.present(leave + 20_000, p.id, 'gate', 'out'));
      });
    }
    add(t('12:10'), () => this.present(t('12:10'), 'E010', 'mn-door', 'in', '1234'));
    add(t('09:15'), () => this.present(t('09:15'), 'E099', 'gate', 'in'));
    add(t('09:20'), () => this.present(t('09:20'), 'V001', 'gate', 'in'));
    if (index % 5 === 2) {
      const forced = t('19:45');
      add(forced, () => this.sensor(forced, 'mn-door', true));
      add(forced + 5_000, () => this.sensor(forced + 5_000, 'mn-door', false));
    }
    if (index % 5 === 4) {
      // E001 props the desk-area door open for a minute on the way in.
      const held = t('16:30');
      add(held, () => {
        if (this.present(held, 'E001', 'desk-door', 'in', undefined, 60_000))
          add(held + minutes(10), () => this.present(held + minutes(10), 'E001', 'desk-door', 'out'));
      });
    }
    while (queue.length > 0) {
      let next = 0;
      for (let i = 1; i < queue.length; i++) if (queue[i]!.at < queue[next]!.at) next = i;
      const [step] = queue.splice(next, 1);
      step!.run();
    }
    await this.flush();
  }

  /** A held-back controller comes back: its events arrive late, after newer ones of the others. */
  async release(controllerId: string): Promise<number> {
    this.held.delete(controllerId);
    return this.flush();
  }

  /** The working days (Mon–Fri) from `from` to `to` (local dates, inclusive). */
  async days(from: string, to: string): Promise<string[]> {
    const out: string[] = [];
    let day = at(`${from}T12:00:00`);
    const end = at(`${to}T12:00:00`);
    for (let i = 0; day <= end; day += 86_400_000) {
      const date = new Date(day + 9 * 3_600_000).toISOString().slice(0, 10);
      const weekday = new Date(day + 9 * 3_600_000).getUTCDay();
      if (weekday === 0 || weekday === 6) continue;
      await this.day(date, i++);
      out.push(date);
    }
    return out;
  }

  async close(): Promise<void> {
    for (const a of this.agents.values()) {
      await a.agent.stop();
      rmSync(a.dir, { recursive: true, force: true });
    }
    await this.api.close();
  }
}

export function startReportSite(): Promise<ReportSite> {
  return new ReportSite().start();
}
