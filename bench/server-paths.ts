// Server paths at the size of DESIGN.md §7 (100,000 people): rebuilding every controller's snapshot
// after one person changed (the delta path: SnapshotPublisher), and taking in controller event
// batches full of grants (EventIngest: exactly-once insert + PresenceCoordinator, presence in
// storage), beside a raw append of the same events as the baseline. The server's own parts over a
// seeded SQLite database; controllers are coordinators whose sends are taken at once (no broker).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { siteCredentialKey } from '../src/contracts/credential-key.ts';
import type { ControllerEvent } from '../src/contracts/messages.ts';
import { AlarmService } from '../src/server/alarms/service.ts';
import { securityDb } from '../src/server/auth/context.ts';
import { controllerAlarms } from '../src/server/controllers/controller-alarms.ts';
import { ControllerCoordinator } from '../src/server/controllers/coordinator.ts';
import { SnapshotPublisher } from '../src/server/controllers/snapshot-publisher.ts';
import { chainKeys } from '../src/server/storage/chain.ts';
import { openStore, type Store } from '../src/server/storage/db.ts';
import { EventStore } from '../src/server/storage/events.ts';
import { repositories } from '../src/server/storage/index.ts';
import { standaloneIngest } from '../test/support/event-ingest.ts';
import { seedServerSite } from './server-site.ts';
import { BENCH_SIZE } from './site-generator.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';

export interface ServerPaths {
  /** the snapshots of every controller rebuilt and handed to the coordinators */
  rebuild(): Promise<void>;
  ingest(controllerId: string, events: ControllerEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface ServerPathsReport {
  people: number;
  controllers: number;
  seedMs: number;
  firstBuildMs: number;
  rebuildMs: LatencyStats;
  ingestBatch: number;
  ingestMs: LatencyStats;
  ingestPerSecond: number;
  appendMs: LatencyStats;
  appendPerSecond: number;
}

/** The server's parts as the controller link wires them (src/server/controllers/link.ts). */
export async function openServerPaths(store: Store, controllers: number): Promise<ServerPaths> {
  const logger = pino({ level: 'silent' });
  const installationKey = new Uint8Array(32).fill(9);
  const repos = repositories(store.db, installationKey);
  const coordinators = Array.from(
    { length: controllers },
    (_, i) =>
      new ControllerCoordinator(`ctl-${i}`, {
        send: async () => {},
        now: Date.now,
        onLinkEvents: () => {},
        onSendFailed: () => {},
      }),
  );
  const raise = controllerAlarms(
    new AlarmService(securityDb(store.db), logger, { now: Date.now }),
    'bench',
    logger,
  );
  const snapshots = new SnapshotPublisher({
    db: store.db,
    credentialKey: siteCredentialKey(installationKey),
    settings: { snapshotMaxAgeMinutes: 1440, fallback: 'emergency_only' },
    coordinators: () => coordinators,
    logger,
    now: Date.now,
  });
  const ingest = standaloneIngest(store.db, repos, raise, {
    eventKey: chainKeys(installationKey).events,
    coordinators: () => coordinators,
  });
  return {
    rebuild: () => snapshots.rebuild(),
    ingest: async (controllerId, events) => {
      await ingest.ingest(controllerId, events);
    },
    close: () => snapshots.stop(),
  };
}

export async function runServerPathsBench(
  progress: Progress,
  open: (store: Store, controllers: number) => Promise<ServerPaths> = openServerPaths,
  controllers = 10,
  // each rebuild at 100,000 people takes minutes today (O(site) per controller): few rounds
  rounds = 2,
  batches = 20,
  batch = 1000,
  people = BENCH_SIZE.people,
): Promise<ServerPathsReport> {
  const size = { ...BENCH_SIZE, people };
  const dir = mkdtempSync(join(tmpdir(), 'monban-bench-server-'));
  const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
  try {
    progress(`server paths: seeding ${people.toLocaleString()} people…`);
    let t = performance.now();
    const { site } = await seedServerSite(store, size, controllers);
    const seedMs = performance.now() - t;
    const paths = await open(store, controllers);
    progress('server paths: first snapshots…');
    t = performance.now();
    await paths.rebuild();
    const firstBuildMs = performance.now() - t;
    const rebuilds = new Float64Array(rounds);
    for (let r = 0; r < rounds; r++) {
      // One person's card changes state: only people changed, so deltas go out.
      await store.db
        .updateTable('credentials')
        .set({ state: r % 2 === 0 ? 'suspended' : 'active' })
        .where('id', '=', 'person-1-0')
        .execute();
      progress(`server paths: rebuild ${r + 1}/${rounds}…`);
      t = performance.now();
      await paths.rebuild();
      rebuilds[r] = (performance.now() - t) * 1000;
    }

    // Grants by people with a door of a controller (doors are spread round-robin over controllers).
    const doors = site.doors;
    let seq = 1;
    const at0 = Date.parse('2026-01-05T00:00:00Z');
    const grants = (controllerIndex: number): ControllerEvent[] =>
      Array.from({ length: batch }, (_, i) => {
        const door =
          doors[(controllerIndex + controllers * ((seq + i) % (doors.length / controllers))) % doors.length]!;
        const person = site.people[(seq * 7919 + i * 104_729) % site.people.length]!;
        const e: ControllerEvent = {
          seq: seq + i,
          at: at0 + seq + i,
          type: 'access',
          door: door.id,
          person: person.id,
          detail: { result: 'grant', side: (seq + i) % 3 === 0 ? 'out' : 'in', reason: 'granted' },
        };
        return e;
      });
    const ingest = new Float64Array(batches);
    let ingestTotal = 0;
    for (let b = 0; b < batches; b++) {
      const controllerIndex = b % controllers;
      const events = grants(controllerIndex);
      seq += batch;
      t = performance.now();
      await paths.ingest(`ctl-${controllerIndex}`, events);
      const ms = performance.now() - t;
      ingest[b] = ms * 1000;
      ingestTotal += ms;
    }
    progress('server paths: raw append baseline…');
    const raw = new EventStore(store.db, chainKeys(new Uint8Array(32).fill(9)).events);
    const append = new Float64Array(batches);
    let appendTotal = 0;
    for (let b = 0; b < batches; b++) {
      const controllerIndex = b % controllers;
      const events = grants(controllerIndex).map((e) => ({
        controllerId: `raw-${controllerIndex}`,
        seq: e.seq,
        at: e.at,
        type: e.type,
        door: e.door!,
        personId: e.person!,
        detail: e.detail,
      }));
      seq += batch;
      t = performance.now();
      await raw.appendNew(events);
      const ms = performance.now() - t;
      append[b] = ms * 1000;
      appendTotal += ms;
    }
    await paths.close();
    const toMs = (s: LatencyStats): LatencyStats => ({
      samples: s.samples,
      p50: s.p50 / 1000,
      p99: s.p99 / 1000,
      p999: s.p999 / 1000,
      max: s.max / 1000,
    });
    return {
      people,
      controllers,
      seedMs,
      firstBuildMs,
      rebuildMs: toMs(latencyStats(rebuilds)),
      ingestBatch: batch,
      ingestMs: toMs(latencyStats(ingest)),
      ingestPerSecond: (batches * batch) / (ingestTotal / 1000),
      appendMs: toMs(latencyStats(append)),
      appendPerSecond: (batches * batch) / (appendTotal / 1000),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
