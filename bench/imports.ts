// CSV import at DESIGN.md §7 size (issue 11 §3): 100,000 people rows imported as a background job
// (server/imports/: a worker thread reads, checks and stages, then one switch) over a real SQLite
// file, with the domain events published and audited as the server does. Reported: rows/s over the
// whole job and per phase, the main thread's event-loop delay meanwhile (what a health probe waits
// at most), and as the baseline a raw bulk INSERT of the same rows into the same tables, measured
// in the same process.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { composeSiteData } from '../src/server/compose.ts';
import { openStore, type Store } from '../src/server/storage/db.ts';
import type { Progress } from './stats.ts';

export interface ImportBenchReport {
  rows: number;
  jobMs: number;
  rowsPerSecond: number;
  phasesMs: Record<string, number>;
  loopDelayMs: { p50: number; p99: number; max: number };
  baselineMs: number;
  baselineRowsPerSecond: number;
}

const LEVEL = { id: 'office', name: 'Office', schedule_id: null, max_threat_level: null };

function peopleFile(rows: number): Buffer {
  const lines = ['id,name,department,levels'];
  for (let i = 0; i < rows; i++) lines.push(`p${i},Person ${i},Dept ${i % 50},office`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function freshStore(dir: string, name: string): Promise<Store> {
  const store = await openStore({ sqliteFile: join(dir, name) });
  const now = Date.now();
  await store.db
    .insertInto('access_levels')
    .values({ ...LEVEL, created_at: now, updated_at: now })
    .execute();
  return store;
}

/** The baseline: the same rows straight into people and person_levels, in one transaction. */
async function rawInsert(store: Store, rows: number): Promise<number> {
  const now = Date.now();
  const t = performance.now();
  await store.db.transaction().execute(async (tx) => {
    for (let i = 0; i < rows; i += 500) {
      const ids = Array.from({ length: Math.min(500, rows - i) }, (_, j) => i + j);
      await tx
        .insertInto('people')
        .values(
          ids.map((n) => ({
            id: `p${n}`,
            name: `Person ${n}`,
            department: `Dept ${n % 50}`,
            site: null,
            active: 1,
            left_at: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      await tx
        .insertInto('person_levels')
        .values(ids.map((n) => ({ person_id: `p${n}`, level_id: 'office' })))
        .execute();
    }
  });
  return performance.now() - t;
}

export async function runImportBench(progress: Progress, rows = 100_000): Promise<ImportBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'monban-bench-import-'));
  try {
    const file = peopleFile(rows);
    progress(`import: baseline, raw insert of ${rows.toLocaleString()} rows…`);
    const baselineStore = await freshStore(dir, 'baseline.db');
    const baselineMs = await rawInsert(baselineStore, rows);
    await baselineStore.close();

    progress(`import: ${rows.toLocaleString()} rows as a job…`);
    const store = await freshStore(dir, 'monban.db');
    const installationKey = new Uint8Array(32).fill(5);
    const site = composeSiteData({ store, installationKey, logger: pino({ level: 'silent' }) });
    const actor = { origin: { actor: 'bench', source: 'bench', via: 'cli' as const }, scope: 'all' as const };
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const t = performance.now();
    const started = site.services.imports.start('people', file, {}, actor);
    const job = (await site.services.imports.wait(started.id, actor))!;
    const jobMs = performance.now() - t;
    delay.disable();
    site.close();
    await store.close();
    if (job.state !== 'succeeded') throw new Error(`bench import ${job.state}: ${job.error ?? ''}`);
    const ms = (ns: number) => ns / 1e6;
    return {
      rows,
      jobMs,
      rowsPerSecond: rows / (jobMs / 1000),
      phasesMs: job.timings as Record<string, number>,
      loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
      baselineMs,
      baselineRowsPerSecond: rows / (baselineMs / 1000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
