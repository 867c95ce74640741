// The site model at the sizes of DESIGN.md §7: a 100,000-person site stored in SQLite, exported as a
// scenario file (time and memory, against reading the same rows bare), and events listed with the
// names of their people and doors (page latency, against the same query without the joins: names
// must cost no extra query per event).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialIdHash, pinHash, siteCredentialKey } from '../src/contracts/credential-key.ts';
import { exportScenario } from '../src/server/export/scenario.ts';
import { chainKeys } from '../src/server/storage/chain.ts';
import { openStore, type Store } from '../src/server/storage/db.ts';
import { EventStore } from '../src/server/storage/events.ts';
import { BENCH_SIZE, generateSite, type SiteSize } from './site-generator.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';

export interface SiteExportResult {
  people: number;
  exportMs: number;
  exportBytes: number;
  /** peak RSS growth while exporting */
  exportPeakMb: number;
  /** reading the same people, groups, levels and credentials page by page, writing nothing */
  bareReadMs: number;
  events: number;
  /** a page of 100 events of one person in a time range, with names */
  search: LatencyStats;
  /** the same page without the joins that add names */
  bare: LatencyStats;
}

const CHUNK = 500;
const T0 = Date.parse('2026-01-05T00:00:00Z');

async function insertAll(store: Store, table: string, rows: Record<string, unknown>[]): Promise<void> {
  // biome-ignore lint/suspicious/noExplicitAny: bench loader writes rows of many tables
  const db = store.db as any;
  for (let i = 0; i < rows.length; i += CHUNK)
    await db
      .insertInto(table)
      .values(rows.slice(i, i + CHUNK))
      .execute();
}

/** The generated site in the server's tables, as the API would have stored it. */
export async function load(store: Store, size: SiteSize, key: Uint8Array): Promise<void> {
  const site = generateSite(size);
  const credentialKey = siteCredentialKey(key);
  const now = T0;
  const stamps = { created_at: now, updated_at: now };
  await store.db.transaction().execute(async (tx) => {
    const s = { db: tx } as unknown as Store;
    await insertAll(s, 'sites', [
      { id: 'main', name: 'Main', timezone: 'Asia/Tokyo', topic: 'main', ...stamps },
    ]);
    await insertAll(s, 'holiday_calendars', [{ id: 'jp-2026', name: 'jp', preset: null, ...stamps }]);
    await insertAll(
      s,
      'holiday_dates',
      site.holidayCalendars[0]!.dates.map((date) => ({ calendar_id: 'jp-2026', date, name: '' })),
    );
    await insertAll(
      s,
      'areas',
      site.areas.map((a) => ({
        id: a.id,
        name: a.id,
        parent_id: a.parent ?? 'outside',
        site: null,
        max_occupancy: a.maxOccupancy ?? null,
        antipassback: a.antipassback ? JSON.stringify(a.antipassback) : null,
        offline_mode: 'local',
        rules: JSON.stringify({
          ...(a.twoPerson && { twoPerson: a.twoPerson }),
          ...(a.route && { route: a.route }),
          ...(a.priority && { priority: a.priority }),
          ...(a.escort && { escort: a.escort }),
          ...(a.fireZone && { fireZone: a.fireZone }),
        }),
        ...stamps,
      })),
    );
    await insertAll(s, 'controllers', [
      { id: 'ctl-1', name: 'ctl-1', site: null, description: null, ...stamps },
    ]);
    await insertAll(
      s,
      'doors',
      site.doors.map((d) => ({
        id: d.id,
        name: `Door ${d.id}`,
        from_area: d.from,
        to_area: d.to,
        controller_id: 'ctl-1',
        mode: d.mode ?? 'card',
        strike_seconds: 5,
        held_open_seconds: 30,
        rules: JSON.stringify({
          ...(d.interlock && { interlock: d.interlock }),
          ...(d.antipassback && { localAntipassback: true }),
          ...(d.scheduledModes && { scheduledModes: d.scheduledModes }),
        }),
        ...stamps,
      })),
    );
    await insertAll(
      s,
      'schedules',
      site.schedules.map((sc) => ({
        id: sc.id,
        name: sc.id,
        timezone: 'Asia/Tokyo',
        weekly: JSON.stringify(sc.weekly),
        holiday_intervals: null,
        site_holidays: 1,
        ...stamps,
      })),
    );
    await insertAll(
      s,
      'schedule_holidays',
      site.schedules
        .filter((sc) => sc.calendars)
        .map((sc) => ({ schedule_id: sc.id, calendar_id: 'jp-2026' })),
    );
    await insertAll(
      s,
      'access_levels',
      site.levels.map((l) => ({
        id: l.id,
        name: l.id,
        schedule_id: l.schedule ?? null,
        max_threat_level: l.maxThreatLevel ?? null,
        ...stamps,
      })),
    );
    await insertAll(
      s,
      'access_level_doors',
      site.levels.flatMap((l) => l.doors.map((door_id) => ({ level_id: l.id, door_id }))),
    );
    await insertAll(
      s,
      'groups',
      site.groups.map((g) => ({ id: g.id, name: g.id, description: null, ...stamps })),
    );
    await insertAll(
      s,
      'group_levels',
      site.groups.flatMap((g) =>
        [...new Set(g.levels ?? [])].map((level_id) => ({ group_id: g.id, level_id })),
      ),
    );
    await insertAll(
      s,
      'people',
      site.people.map((p) => ({
        id: p.id,
        name: `利用者 ${p.id}`,
        department: null,
        site: null,
        active: p.active === false ? 0 : 1,
        left_at: null,
        ...stamps,
      })),
    );
    await insertAll(
      s,
      'person_groups',
      site.people.flatMap((p) =>
        [...new Set(p.groups ?? [])].map((group_id) => ({ person_id: p.id, group_id })),
      ),
    );
    await insertAll(
      s,
      'person_levels',
      site.people.flatMap((p) => (p.levels ?? []).map((level_id) => ({ person_id: p.id, level_id }))),
    );
    await insertAll(
      s,
      'credentials',
      site.people.flatMap((p) =>
        p.credentials.map((c) => ({
          id: `${p.id}-card`,
          person_id: p.id,
          type: c.type,
          identifier: c.id!,
          ref_hash: credentialIdHash(credentialKey, c.type, c.id!),
          pin_hash: c.pin ? pinHash(credentialKey, c.pin) : null,
          duress_pin_hash: c.duressPin ? pinHash(credentialKey, c.duressPin) : null,
          state: c.state ?? 'active',
          valid_from: null,
          valid_until: null,
          max_uses: c.maxUses ?? null,
          uses: 0,
          label: null,
          ...stamps,
        })),
      ),
    );
  });
}

function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  return fn().then((value) => [value, performance.now() - start]);
}

export async function runSiteExportBench(
  progress: Progress,
  size: SiteSize = BENCH_SIZE,
  eventCount = 1_000_000,
): Promise<SiteExportResult> {
  const dir = mkdtempSync(join(tmpdir(), 'monban-bench-export-'));
  const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
  try {
    progress(`site model: storing ${size.people.toLocaleString()} people`);
    await load(store, size, new Uint8Array(32).fill(7));

    progress('site model: bare read of the same rows');
    const [, bareReadMs] = await timed(async () => {
      let after = '';
      for (;;) {
        const people = await store.db
          .selectFrom('people')
          .selectAll()
          .where('id', '>', after)
          .orderBy('id')
          .limit(1000)
          .execute();
        if (people.length === 0) return;
        after = people.at(-1)!.id;
        const ids = people.map((p) => p.id);
        await Promise.all([
          store.db.selectFrom('person_groups').selectAll().where('person_id', 'in', ids).execute(),
          store.db.selectFrom('person_levels').selectAll().where('person_id', 'in', ids).execute(),
          store.db.selectFrom('credentials').selectAll().where('person_id', 'in', ids).execute(),
        ]);
      }
    });

    progress('site model: scenario export');
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    let bytes = 0;
    const [, exportMs] = await timed(async () => {
      for await (const chunk of exportScenario(store.db)) bytes += Buffer.byteLength(chunk);
    });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    progress(`site model: storing ${eventCount.toLocaleString()} events`);
    const events = new EventStore(store.db, chainKeys(new Uint8Array(32).fill(9)).events);
    const batch = 1000;
    for (let i = 0; i < eventCount; i += batch)
      await events.append(
        Array.from({ length: Math.min(batch, eventCount - i) }, (_, j) => {
          const n = i + j;
          return {
            controllerId: 'ctl-1',
            seq: n + 1,
            at: T0 + n * 1000,
            type: 'access',
            door: `door-${n % size.doors}`,
            personId: `person-${n % size.people}`,
            detail: { result: n % 5 ? 'grant' : 'deny', reason: n % 5 ? 'granted' : 'no_access', side: 'in' },
          };
        }),
      );

    progress('site model: event pages with names, and without');
    const rounds = 300;
    const withNames = new Float64Array(rounds);
    const without = new Float64Array(rounds);
    for (let r = 0; r < rounds; r++) {
      const personId = `person-${(r * 7919) % size.people}`;
      const range = { from: T0, until: T0 + eventCount * 1000 };
      let start = performance.now();
      await events.search({ personId, ...range, limit: 100 });
      withNames[r] = (performance.now() - start) * 1000;
      start = performance.now();
      await store.db
        .selectFrom('events')
        .selectAll()
        .where('person_id', '=', personId)
        .where('at', '>=', range.from)
        .where('at', '<', range.until)
        .orderBy('at')
        .orderBy('id')
        .limit(101)
        .execute();
      without[r] = (performance.now() - start) * 1000;
    }
    return {
      people: size.people,
      exportMs,
      exportBytes: bytes,
      exportPeakMb: (peak - rssBefore) / 1024 / 1024,
      bareReadMs,
      events: eventCount,
      search: latencyStats(withNames),
      bare: latencyStats(without),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node --import tsx bench/site-export.ts` runs this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runSiteExportBench((m) => process.stderr.write(`… ${m}\n`));
  console.log(JSON.stringify(r, null, 2));
}
