// Explaining decisions at the size of DESIGN.md §7 (100,000 people, 1,000 doors on one controller,
// stored in SQLite): building the controller's explain policy once (snapshot + everyone else +
// compile + profiles), then "who can pass this door" — a page of 100 with counts over everyone —
// against a baseline that decides every person directly without the profile memo, and the preview
// of a change to an access level.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DomainBus } from '../src/server/domain/bus.ts';
import { decideFor, explainState } from '../src/server/explain/decisions.ts';
import { buildExplainPolicy } from '../src/server/explain/policy.ts';
import { profilesOf } from '../src/server/explain/profiles.ts';
import { ExplainService } from '../src/server/explain/service.ts';
import { openStore } from '../src/server/storage/db.ts';
import { load } from './site-export.ts';
import { BENCH_SIZE, type SiteSize } from './site-generator.ts';
import { type LatencyStats, latencyStats, type Progress } from './stats.ts';

export interface ExplainBenchResult {
  people: number;
  doors: number;
  /** first request of a controller: its explain policy built */
  buildMs: number;
  profiles: number;
  /** GET /api/doors/:id/access (service call): a page of 100 plus counts over everyone, ms */
  page: LatencyStats;
  /** the same decisions, every person decided directly (no profile memo), ms */
  direct: LatencyStats;
  /** preview of removing one door from a level, ms (built of the level's holders only) */
  preview: LatencyStats;
  /** the same preview by the whole rebuild (policies before already kept), ms; with MONBAN_BENCH_EXPLAIN_WHOLE=1 */
  previewWhole: LatencyStats | null;
}

const T0 = Date.parse('2026-04-01T01:00:00Z'); // Wednesday 10:00 in Tokyo
const toMs = (us: Float64Array) => latencyStats(us.map((v) => v / 1000));

export async function runExplainBench(
  progress: Progress,
  size: SiteSize = BENCH_SIZE,
): Promise<ExplainBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'monban-bench-explain-'));
  const store = await openStore({ sqliteFile: join(dir, 'monban.db') });
  const key = new Uint8Array(32).fill(7);
  const bus = new DomainBus(pino({ level: 'silent' }));
  const service = new ExplainService({ store, installationKey: key, bus, clock: { now: () => T0 } });
  try {
    progress(`explain: storing ${size.people.toLocaleString()} people`);
    await load(store, size, key);

    progress('explain: building the controller’s explain policy');
    let start = performance.now();
    await service.doorAccess({ door: 'door-0', at: T0, side: 'in', scope: 'all', limit: 100 });
    const buildMs = performance.now() - start;
    const built = await buildExplainPolicy(store.db, 'ctl-1', key, { now: T0 });

    const rounds = Number(process.env.MONBAN_BENCH_EXPLAIN_ROUNDS ?? 10);
    const page = new Float64Array(rounds);
    const direct = new Float64Array(rounds);
    for (let r = 0; r < rounds; r++) {
      const door = `door-${(r * 37) % size.doors}`;
      const at = T0 + r * 3_600_000;
      progress(`explain: ${door} at +${r} h`);
      start = performance.now();
      const answer = await service.doorAccess({ door, at, side: 'in', scope: 'all', limit: 100 });
      page[r] = (performance.now() - start) * 1000;
      start = performance.now();
      const state = explainState(built.policy, at);
      let grants = 0;
      for (const p of built.policy.people.indices())
        if (decideFor(built.policy, state, p, door, 'in', at).result === 'grant') grants++;
      direct[r] = (performance.now() - start) * 1000;
      if (grants !== answer.counts.grant)
        throw new Error(`explain bench: ${grants} ≠ ${answer.counts.grant}`);
    }
    const profiles = profilesOf(built.policy).representative.length;

    const level = await store.db
      .selectFrom('access_level_doors')
      .select(['level_id', 'door_id'])
      .limit(1)
      .executeTakeFirstOrThrow();
    const doors = (
      await store.db
        .selectFrom('access_level_doors')
        .select('door_id')
        .where('level_id', '=', level.level_id)
        .execute()
    ).map((d) => d.door_id);
    const change = {
      resource: 'access_level' as const,
      id: level.level_id,
      patch: { doors: doors.slice(1) },
    };
    const previewRounds = Number(process.env.MONBAN_BENCH_EXPLAIN_PREVIEWS ?? 5);
    const preview = new Float64Array(previewRounds);
    let answer: unknown;
    for (let r = 0; r < previewRounds; r++) {
      start = performance.now();
      answer = await service.preview(change, 'all');
      preview[r] = (performance.now() - start) * 1000;
      progress(`explain: preview ${r + 1}/${previewRounds}: ${(preview[r]! / 1000).toFixed(0)} ms`);
    }
    // The whole rebuild (O(site): minutes at 100,000 people) as the baseline, once, on request.
    let previewWhole: LatencyStats | null = null;
    if (process.env.MONBAN_BENCH_EXPLAIN_WHOLE === '1') {
      progress('explain: preview by the whole rebuild');
      start = performance.now();
      const whole = await service.preview(change, 'all', undefined, { exhaustive: true });
      previewWhole = toMs(Float64Array.of((performance.now() - start) * 1000));
      if (JSON.stringify(whole) !== JSON.stringify(answer))
        throw new Error('explain bench: the holders-only preview differs from the whole rebuild');
    }
    return {
      people: size.people,
      doors: size.doors,
      buildMs,
      profiles,
      page: toMs(page),
      direct: toMs(direct),
      preview: toMs(preview),
      previewWhole,
    };
  } finally {
    service.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
